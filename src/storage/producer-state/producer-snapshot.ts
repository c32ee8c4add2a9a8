/**
 * Producer state snapshots, `<20-digit offset>.snapshot` in the partition directory, in Kafka's format
 * (ProducerStateManager, version 1), so that either broker can read the other's:
 *
 *   version int16 (1) | crc uint32 (CRC-32C of everything after it) | count int32 | count × entry
 *   entry: producer_id int64, epoch int16, last_sequence int32, last_offset int64, offset_delta int32,
 *          timestamp int64, coordinator_epoch int32, current_txn_first_offset int64
 *
 * A snapshot named N holds the state of every batch below offset N. Like Kafka it keeps only each
 * producer's last batch: after a restart a retry of an older in-flight batch is answered as out of order,
 * not as a duplicate.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { crc32c } from '../../protocol/records/crc32c.js';
import { atomicWriteFile, offsetFileName, parseOffsetFileName } from '../fs-util.js';
import type { ProducerStateEntry } from './producer-state-manager.js';

export const SNAPSHOT_SUFFIX = '.snapshot';
const VERSION = 1;
const HEADER_BYTES = 2 + 4 + 4;
const ENTRY_BYTES = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

export class CorruptSnapshotError extends Error {}

export function snapshotFileName(offset: number): string {
  return offsetFileName(offset, SNAPSHOT_SUFFIX);
}

export function encodeSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = [...entries].filter((e) => e.batches.length > 0 || e.currentTxnFirstOffset >= 0 || e.coordinatorEpoch >= 0);
  const buf = Buffer.alloc(HEADER_BYTES + list.length * ENTRY_BYTES);
  buf.writeInt16BE(VERSION, 0);
  buf.writeInt32BE(list.length, 6);
  let pos = HEADER_BYTES;
  for (const e of list) {
    const last = e.batches.at(-1);
    buf.writeBigInt64BE(BigInt(e.producerId), pos);
    buf.writeInt16BE(e.producerEpoch, pos + 8);
    buf.writeInt32BE(last?.lastSeq ?? -1, pos + 10);
    buf.writeBigInt64BE(BigInt(last?.lastOffset ?? -1), pos + 14);
    buf.writeInt32BE(last?.offsetDelta ?? 0, pos + 22);
    buf.writeBigInt64BE(BigInt(e.lastTimestampMs), pos + 26);
    buf.writeInt32BE(e.coordinatorEpoch, pos + 34);
    buf.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), pos + 38);
    pos += ENTRY_BYTES;
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
  return buf;
}

export function decodeSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < HEADER_BYTES) throw new CorruptSnapshotError(`snapshot of ${buf.length} bytes is too short`);
  const version = buf.readInt16BE(0);
  if (version !== VERSION) throw new CorruptSnapshotError(`snapshot version ${version} is not ${VERSION}`);
  if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) throw new CorruptSnapshotError('snapshot CRC does not match');
  const count = buf.readInt32BE(6);
  if (count < 0 || buf.length !== HEADER_BYTES + count * ENTRY_BYTES) throw new CorruptSnapshotError(`snapshot of ${buf.length} bytes cannot hold ${count} entries`);
  const out: ProducerStateEntry[] = [];
  for (let i = 0, pos = HEADER_BYTES; i < count; i += 1, pos += ENTRY_BYTES) {
    const lastSeq = buf.readInt32BE(pos + 10);
    const lastOffset = Number(buf.readBigInt64BE(pos + 14));
    const offsetDelta = buf.readInt32BE(pos + 22);
    const timestampMs = Number(buf.readBigInt64BE(pos + 26));
    out.push({
      producerId: Number(buf.readBigInt64BE(pos)),
      producerEpoch: buf.readInt16BE(pos + 8),
      batches: lastOffset >= 0 ? [{ lastSeq, lastOffset, offsetDelta, timestampMs }] : [],
      lastTimestampMs: timestampMs,
      coordinatorEpoch: buf.readInt32BE(pos + 34),
      currentTxnFirstOffset: Number(buf.readBigInt64BE(pos + 38)),
    });
  }
  return out;
}

/** The snapshot offsets in `dir`, ascending. */
export async function listSnapshots(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  const offsets: number[] = [];
  for (const n of names) {
    const offset = parseOffsetFileName(n, SNAPSHOT_SUFFIX);
    if (offset !== null) offsets.push(offset);
  }
  return offsets.sort((a, b) => a - b);
}

export async function readSnapshot(dir: string, offset: number): Promise<ProducerStateEntry[]> {
  return decodeSnapshot(await readFile(path.join(dir, snapshotFileName(offset))));
}

export function writeSnapshot(dir: string, offset: number, bytes: Buffer): Promise<void> {
  return atomicWriteFile(path.join(dir, snapshotFileName(offset)), bytes);
}

export function deleteSnapshot(dir: string, offset: number): Promise<void> {
  return rm(path.join(dir, snapshotFileName(offset)), { force: true });
}
