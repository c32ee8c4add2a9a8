/**
 * Control records (batch attribute bit 5). Key: int16 version (0) + int16 type. A transaction
 * marker's value: int16 version (0) + int32 coordinatorEpoch (EndTransactionMarker).
 */
import { ErrorCode, KafkaError } from '../errors.js';
import { ByteReader } from '../bytes.js';
import { RECORD_BATCH_OVERHEAD } from './batch-header.js';
import { buildRecordBatch } from './record-batch.js';

export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KraftVersion = 5,
  KraftVoters = 6,
}

export function encodeControlKey(type: ControlRecordType): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt16BE(0, 0);
  b.writeInt16BE(type, 2);
  return b;
}

/** The type of a control record from its key. Unknown types are returned as numbers, not rejected. */
export function decodeControlKey(key: Buffer | null): { version: number; type: ControlRecordType } {
  if (key === null || key.length < 4) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'control record key is too short');
  }
  return { version: key.readInt16BE(0), type: key.readInt16BE(2) };
}

export function encodeEndTxnMarker(coordinatorEpoch: number): Buffer {
  const b = Buffer.allocUnsafe(6);
  b.writeInt16BE(0, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

export function decodeEndTxnMarker(value: Buffer | null): { version: number; coordinatorEpoch: number } {
  if (value === null || value.length < 6) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'transaction marker value is too short');
  }
  return { version: value.readInt16BE(0), coordinatorEpoch: value.readInt32BE(2) };
}

export interface EndTxnMarkerOptions {
  commit: boolean;
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  timestamp?: number;
}

/** The one-record control batch a partition leader appends on transaction commit/abort. */
export function buildEndTxnMarkerBatch(opts: EndTxnMarkerOptions): Promise<Buffer> {
  return buildRecordBatch({
    baseOffset: opts.baseOffset ?? 0,
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? -1,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    transactional: true,
    control: true,
    records: [
      {
        key: encodeControlKey(opts.commit ? ControlRecordType.Commit : ControlRecordType.Abort),
        value: encodeEndTxnMarker(opts.coordinatorEpoch),
        timestamp: opts.timestamp,
      },
    ],
  });
}

/**
 * The type and value of the first record of the control batch at `pos` in `buf` (the whole batch must be
 * there), read in place. Control batches are never compressed (Kafka writes them plain).
 */
export function controlRecordAt(buf: Buffer, pos: number, size: number): { type: ControlRecordType; value: Buffer | null } {
  const r = new ByteReader(buf, pos + RECORD_BATCH_OVERHEAD, pos + size);
  r.varint(); // record length
  r.int8(); // attributes
  r.varlong(); // timestamp delta
  r.varint(); // offset delta
  const keyLength = r.varint();
  if (keyLength < 4) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'control record key is too short');
  const keyEnd = r.pos + keyLength;
  r.int16(); // key version
  const type = r.int16() as ControlRecordType;
  r.pos = keyEnd;
  const valueLength = r.varint();
  const value = valueLength < 0 ? null : buf.subarray(r.pos, r.pos + valueLength);
  if (value !== null && r.pos + valueLength > pos + size) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'control record value runs past its batch');
  return { type, value };
}
