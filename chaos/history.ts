/**
 * What a chaos run records, in the order it happened: every send and its outcome, every poll an
 * observer made, every fault. The checker (checker.ts) reads only this and the final reads, so a
 * history file can be checked again later (`npm run chaos -- --check FILE`). One JSON object per line.
 */
import fs from 'node:fs';

/** A record's identity: "<lane>:<seq>", written as the start of its value ("<lane>:<seq>|…"). */
export type RecordId = string;

export type HistoryEvent =
  | { t: number; type: 'send'; lane: string; seq: number; partition: number }
  | { t: number; type: 'ack'; lane: string; seq: number; partition: number; offset: number }
  | { t: number; type: 'fail'; lane: string; seq: number; partition: number; error: string }
  /** One fetch answer: the records it returned ([offset, id]), from where, and the high watermark it carried. */
  | { t: number; type: 'poll'; observer: string; partition: number; from: number; records: Array<[number, RecordId | null]>; highWatermark: number; leader: number; leaderEpoch?: number }
  | { t: number; type: 'fault'; kind: string; detail: string }
  | { t: number; type: 'heal'; kind: string; detail: string }
  /** A producer lane, before its first send: which client, and whether it produces with idempotence. */
  | { t: number; type: 'lane'; lane: string; client: string; idempotent: boolean }
  /** Something worth reading next to the faults (a node ready again after its restart, a client replaced). */
  | { t: number; type: 'note'; detail: string }
  /** After healing: what each partition holds, read from its leader below the high watermark. */
  | { t: number; type: 'final'; partition: number; highWatermark: number; logStartOffset: number; records: Array<[number, RecordId | null]> }
  // The transactional workloads (txn-workload.ts, checked by txn-checker.ts):
  /** One transaction of a lane, once it ended: its records ([id, partition] on `topic`), what the lane meant and what the client reported. */
  | { t: number; type: 'txn'; lane: string; topic: string; txn: number; records: Array<[RecordId, number]>; intent: 'commit' | 'abort'; outcome: 'committed' | 'aborted' | 'unknown'; written?: string[]; error?: string }
  /** An input of the consume-transform-produce workload, acknowledged at `offset`. */
  | { t: number; type: 'input'; id: RecordId; partition: number; offset: number }
  /** What a read_committed consumer was handed ([offset, id]). */
  | { t: number; type: 'cpoll'; observer: string; topic: string; partition: number; records: Array<[number, RecordId | null]> }
  /** After healing, once no transaction is open: a partition's records below the high watermark with their fate from the markers. */
  | { t: number; type: 'tfinal'; topic: string; partition: number; highWatermark: number; records: Array<[number, RecordId | null, RecordFate]> }
  /** After healing: a group's committed offsets ([partition, offset], -1 none). */
  | { t: number; type: 'group-offsets'; group: string; topic: string; offsets: Array<[number, number]> };

/** A stored record's fate: committed (or not transactional), aborted, or in a transaction still open. */
export type RecordFate = 'c' | 'a' | 'o';

export function valueOf(id: RecordId, bytes: number): Buffer {
  const prefix = `${id}|`;
  return Buffer.from(prefix + '.'.repeat(Math.max(0, bytes - prefix.length)));
}

export function idOf(value: Buffer | null): RecordId | null {
  if (value === null) return null;
  const bar = value.indexOf(0x7c); // '|'
  return bar > 0 ? value.subarray(0, bar).toString() : null;
}

export class History {
  readonly events: HistoryEvent[] = [];
  private readonly out: number | null;

  constructor(file: string | null) {
    this.out = file === null ? null : fs.openSync(file, 'w');
  }

  add(e: HistoryEvent): void {
    this.events.push(e);
    if (this.out !== null) fs.writeSync(this.out, JSON.stringify(e) + '\n');
  }

  close(): void {
    if (this.out !== null) fs.closeSync(this.out);
  }

  static read(file: string): HistoryEvent[] {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as HistoryEvent);
  }
}
