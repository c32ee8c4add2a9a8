/**
 * The batches (entries) of one partition's fetched records, decoded one at a time as the
 * application reaches them: the fetcher only walks the batch headers (to know where the next
 * fetch starts) before sending the next fetch, so CRC checks and record decoding overlap with the
 * broker's work on that fetch. Compressed entries are CRC-checked and handed to the thread pool
 * for decompression right away (`ready`), since that work runs off the event loop anyway.
 */
import { decompress } from '../../protocol/compression/index.js';
import { CompressionType } from '../../protocol/compression/types.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { computeBatchCrc, RECORD_BATCH_OVERHEAD } from '../../protocol/records/batch-header.js';
import { ControlRecordType, decodeControlKey } from '../../protocol/records/control.js';
import { decodeLegacyEntry, legacyCompressedValue, legacyCrcMatches } from '../../protocol/records/legacy.js';
import { decodeRecords, decodeRecordsWith, type RecordFactory, type RecordsContext } from '../../protocol/records/record-decoder.js';
import type { BatchInfo } from '../../protocol/records/types.js';

export interface Entry {
  readonly info: BatchInfo;
  /** The decompressed records of a compressed entry, once decompression finished. */
  plain: Buffer | null;
  /** CRC mismatch or failed decompression, raised when the application reaches this entry. */
  error: Error | null;
  /** The CRC was checked already (compressed entries, before decompression). */
  crcChecked: boolean;
}

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

function checkCrc(buf: Buffer, info: BatchInfo): void {
  const ok = info.magic === 2 ? computeBatchCrc(buf, info.position) === info.crc : legacyCrcMatches(buf, info.position, info.size);
  if (!ok) throw corrupt(`batch at offset ${info.baseOffset} (byte ${info.position}): CRC mismatch`);
}

function compressedPayload(buf: Buffer, info: BatchInfo): Buffer | null {
  if (info.magic < 2) return legacyCompressedValue(buf, info);
  if (info.compression === CompressionType.None) return null;
  return buf.subarray(info.position + RECORD_BATCH_OVERHEAD, info.position + info.size);
}

/** Entries for `infos`; `ready` resolves (never rejects) once every compressed one is decompressed. */
export function prepareEntries(buf: Buffer, infos: readonly BatchInfo[], verifyCrc: boolean): { entries: Entry[]; ready: Promise<void> | null } {
  const entries: Entry[] = [];
  const pending: Array<Promise<void>> = [];
  for (const info of infos) {
    const entry: Entry = { info, plain: null, error: null, crcChecked: false };
    entries.push(entry);
    if (info.compression === CompressionType.None) continue;
    try {
      if (verifyCrc) checkCrc(buf, info);
      entry.crcChecked = true;
      const payload = compressedPayload(buf, info);
      if (payload === null) continue;
      pending.push(
        decompress(info.compression, payload, info.magic).then(
          (plain) => void (entry.plain = plain),
          (err: unknown) => void (entry.error = err as Error),
        ),
      );
    } catch (err) {
      entry.error = err as Error;
    }
  }
  return { entries, ready: pending.length === 0 ? null : Promise.all(pending).then(() => undefined) };
}

function contextOf(info: BatchInfo): RecordsContext {
  return { baseOffset: info.baseOffset, baseTimestamp: info.baseTimestamp, logAppendTime: info.timestampType === 'log-append' ? info.maxTimestamp : null };
}

/** Appends the entry's records, built by `make`, to `out`. Throws what corruption or `make` throws. */
export function decodeEntry<T>(buf: Buffer, entry: Entry, verifyCrc: boolean, make: RecordFactory<T>, out: T[]): void {
  const info = entry.info;
  if (entry.error) throw entry.error;
  if (verifyCrc && !entry.crcChecked) checkCrc(buf, info);
  const compressed = info.compression !== CompressionType.None;
  if (info.magic < 2) {
    for (const r of decodeLegacyEntry(buf, info, compressed ? entry.plain : null).records) out.push(make(r.offset, r.timestamp, r.key, r.value, r.headers));
    return;
  }
  if (compressed) {
    const plain = entry.plain!;
    decodeRecordsWith(plain, 0, plain.length, info.recordsCount, contextOf(info), make, out);
  } else {
    decodeRecordsWith(buf, info.position + RECORD_BATCH_OVERHEAD, info.position + info.size, info.recordsCount, contextOf(info), make, out);
  }
}

/** The marker type of a control batch (its first record's key); null if it holds no record. */
export function controlTypeOf(buf: Buffer, entry: Entry, verifyCrc: boolean): ControlRecordType | null {
  const info = entry.info;
  if (entry.error) throw entry.error;
  if (verifyCrc && !entry.crcChecked) checkCrc(buf, info);
  const records =
    info.compression === CompressionType.None
      ? decodeRecords(buf, info.position + RECORD_BATCH_OVERHEAD, info.position + info.size, info.recordsCount, contextOf(info))
      : decodeRecords(entry.plain!, 0, entry.plain!.length, info.recordsCount, contextOf(info));
  const first = records[0];
  return first ? decodeControlKey(first.key).type : null;
}
