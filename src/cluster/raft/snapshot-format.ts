/**
 * A snapshot as Kafka stores it (`<endOffset>-<epoch>.checkpoint`): record batches, the first a control
 * batch with a SnapshotHeaderRecord, then data batches holding the state's records, then a control batch
 * with a SnapshotFooterRecord. Offsets inside a snapshot start at 0.
 */
import { ByteReader, ByteWriter } from '../../protocol/bytes.js';
import { SnapshotFooterRecordSchema } from '../../protocol/messages/snapshot-footer-record.js';
import { SnapshotHeaderRecordSchema, type SnapshotHeaderRecord } from '../../protocol/messages/snapshot-header-record.js';
import { ControlRecordType, decodeControlKey, encodeControlKey } from '../../protocol/records/control.js';
import { decodeMessage, encodeMessage } from '../../protocol/schema/codec.js';
import { buildRaftBatch, decodeRaftBatches, type RaftRecord } from './raft-log.js';
import type { SnapshotContents, SnapshotId } from './types.js';

/** Records per data batch of a snapshot file (bounds a batch's size for ordinary metadata records). */
const RECORDS_PER_BATCH = 1000;

export function snapshotFileName(id: SnapshotId): string {
  return `${String(id.endOffset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}.checkpoint`;
}

export function parseSnapshotFileName(name: string): SnapshotId | null {
  const m = /^(\d{20})-(\d{10})\.checkpoint$/.exec(name);
  return m === null ? null : { endOffset: Number(m[1]), epoch: Number(m[2]) };
}

export function compareSnapshotIds(a: SnapshotId, b: SnapshotId): number {
  return a.endOffset - b.endOffset || a.epoch - b.epoch;
}

export function encodeSnapshot(contents: SnapshotContents): Buffer {
  const ts = contents.lastContainedLogTimestampMs;
  const header = new ByteWriter(32);
  encodeMessage(SnapshotHeaderRecordSchema, 0, { version: 0, lastContainedLogTimestamp: ts }, header);
  const footer = new ByteWriter(8);
  encodeMessage(SnapshotFooterRecordSchema, 0, { version: 0 }, footer);
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (records: RaftRecord[], control: boolean): void => {
    parts.push(buildRaftBatch(offset, contents.id.epoch, ts, { records, control }));
    offset += records.length;
  };
  push([{ key: encodeControlKey(ControlRecordType.SnapshotHeader), value: header.toBuffer() }], true);
  for (let i = 0; i < contents.records.length; i += RECORDS_PER_BATCH) {
    push(contents.records.slice(i, i + RECORDS_PER_BATCH).map((value) => ({ value })), false);
  }
  push([{ key: encodeControlKey(ControlRecordType.SnapshotFooter), value: footer.toBuffer() }], true);
  return Buffer.concat(parts);
}

/** Decodes and checks a whole snapshot; throws when the header or footer is missing (a torn file). */
export function decodeSnapshot(id: SnapshotId, bytes: Buffer): SnapshotContents {
  const batches = decodeRaftBatches(bytes);
  const first = batches[0];
  const last = batches[batches.length - 1];
  if (first === undefined || last === undefined || batches.length < 2) throw new Error(`snapshot ${snapshotFileName(id)} is incomplete`);
  const typeOf = (r: RaftRecord | undefined): number => decodeControlKey(r?.key ?? null).type;
  if (!first.isControl || typeOf(first.records[0]) !== ControlRecordType.SnapshotHeader) throw new Error(`snapshot ${snapshotFileName(id)} has no header`);
  if (!last.isControl || typeOf(last.records[0]) !== ControlRecordType.SnapshotFooter) throw new Error(`snapshot ${snapshotFileName(id)} has no footer`);
  const header = decodeMessage<SnapshotHeaderRecord>(SnapshotHeaderRecordSchema, 0, new ByteReader(first.records[0]!.value));
  const records: Buffer[] = [];
  for (const b of batches) if (!b.isControl) for (const r of b.records) records.push(r.value);
  return { id, lastContainedLogTimestampMs: header.lastContainedLogTimestamp, records };
}
