/**
 * A segment's aborted-transaction index, `<base>.txnindex` (Kafka's TransactionIndex): one 34-byte entry per
 * transaction whose ABORT marker is in the segment —
 *   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 (the marker) | lastStableOffset int64
 * where lastStableOffset is the partition's first unstable offset once that transaction was complete.
 * read_committed fetches collect the entries overlapping what they return (FetchResponse's
 * abortedTransactions) so the consumer can drop the aborted records.
 *
 * The file is created on the first entry, appended to (no fsync of its own: `flush` runs with the
 * segment's), cut by truncation. After an unclean shutdown the producer state replay rewrites the entries
 * of the batches it replays, so the file never misses a marker that is in the log.
 */
import { appendFile, readFile, open } from 'node:fs/promises';
import { atomicWriteFile, isNotFound } from '../fs-util.js';
const ENTRY_BYTES = 34;
const VERSION = 0;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export function encodeAbortedTxns(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(entries.length * ENTRY_BYTES);
  entries.forEach((e, i) => {
    const pos = i * ENTRY_BYTES;
    buf.writeInt16BE(VERSION, pos);
    buf.writeBigInt64BE(BigInt(e.producerId), pos + 2);
    buf.writeBigInt64BE(BigInt(e.firstOffset), pos + 10);
    buf.writeBigInt64BE(BigInt(e.lastOffset), pos + 18);
    buf.writeBigInt64BE(BigInt(e.lastStableOffset), pos + 26);
  });
  return buf;
}

export function decodeAbortedTxns(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  // A torn last entry (a crash mid-append) is dropped; the replay writes it again.
  for (let pos = 0; pos + ENTRY_BYTES <= buf.length; pos += ENTRY_BYTES) {
    if (buf.readInt16BE(pos) !== VERSION) break;
    out.push({
      producerId: Number(buf.readBigInt64BE(pos + 2)),
      firstOffset: Number(buf.readBigInt64BE(pos + 10)),
      lastOffset: Number(buf.readBigInt64BE(pos + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(pos + 26)),
    });
  }
  return out;
}

export class TransactionIndex {
  /** Loaded on first use; the file is the truth until then. */
  private entries: AbortedTxn[] | null = null;
  private dirty = false;

  /** `file` names the index with the segment's current suffix (it changes on `.deleted`, `.swap` renames). */
  constructor(private readonly file: () => string) {}

  async all(): Promise<readonly AbortedTxn[]> {
    if (this.entries === null) {
      try {
        this.entries = decodeAbortedTxns(await readFile(this.file()));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.entries = [];
      }
    }
    return this.entries;
  }

  async append(entry: AbortedTxn): Promise<void> {
    const entries = (await this.all()) as AbortedTxn[];
    const last = entries.at(-1);
    if (last !== undefined && entry.lastOffset <= last.lastOffset) {
      throw new Error(`aborted transaction at ${entry.lastOffset} does not follow the last one indexed at ${last.lastOffset}`);
    }
    await appendFile(this.file(), encodeAbortedTxns([entry]));
    entries.push(entry);
    this.dirty = true;
  }

  /** Drops the entries whose marker is at or above `offset` (truncation, replay). */
  async truncateTo(offset: number): Promise<void> {
    const entries = await this.all();
    const keep = entries.filter((e) => e.lastOffset < offset);
    if (keep.length === entries.length) return;
    this.entries = keep;
    await atomicWriteFile(this.file(), encodeAbortedTxns(keep));
  }

  /**
   * The entries of transactions overlapping [fetchOffset, upperBoundOffset), in marker order (Kafka's
   * collectAbortedTxns). `complete`: an entry was found whose lastStableOffset reaches the bound — every
   * transaction starting below the bound had ended by then, so later segments need not be searched.
   */
  async collect(fetchOffset: number, upperBoundOffset: number): Promise<{ entries: AbortedTxn[]; complete: boolean }> {
    const entries: AbortedTxn[] = [];
    for (const e of await this.all()) {
      if (e.lastOffset >= fetchOffset && e.firstOffset < upperBoundOffset) entries.push(e);
      if (e.lastStableOffset >= upperBoundOffset) return { entries, complete: true };
    }
    return { entries, complete: false };
  }

  /** fsyncs the file when entries were appended since the last flush. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    let fh;
    try {
      fh = await open(this.file(), 'r+');
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
