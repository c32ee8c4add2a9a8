/**
 * Structure-aware mutation of RecordBatch v2 (magic 2) batches for fuzzing the broker's record
 * validation. A real batch (built by the codec, optionally compressed) is taken apart into its
 * header and its records' fields (length, attributes, timestamp delta, offset delta, key and value
 * lengths, header count, header key/value lengths), one field or header value is changed, the
 * batch is put back together (record lengths, batch length and compression redone unless the
 * mutation is about them) and the CRC-32C is recomputed, so the batch gets past the CRC check and
 * reaches the deep checks Kafka's LogValidator makes.
 */
import { BATCH_LENGTH, CRC, computeBatchCrc, RECORD_BATCH_OVERHEAD, RECORDS_COUNT } from '../../src/protocol/records/batch-header.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { CompressionType, compressSync, decompressSync } from '../../src/protocol/compression/index.js';
import type { Rng } from './fuzz.js';

type TokenKind = 'attributes' | 'timestampDelta' | 'offsetDelta' | 'keyLength' | 'key' | 'valueLength' | 'value' | 'headerCount' | 'headerKeyLength' | 'headerKey' | 'headerValueLength' | 'headerValue';

interface Token {
  kind: TokenKind;
  raw: Buffer;
}

interface ParsedRecord {
  /** null: recompute from the body when serialising. */
  lengthRaw: Buffer | null;
  tokens: Token[];
}

function zigzag(v: bigint): bigint {
  return v >= 0n ? v << 1n : (-v << 1n) - 1n;
}

export function varintBytes(v: number | bigint): Buffer {
  let n = zigzag(BigInt(v));
  const out: number[] = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return Buffer.from(out);
}

function readVarint(buf: Buffer, pos: number): { value: number; next: number } {
  let result = 0n;
  let shift = 0n;
  let i = pos;
  for (;;) {
    if (i >= buf.length) throw new RangeError('varint past the end');
    const b = buf[i++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
  }
  const value = (result >> 1n) ^ -(result & 1n);
  return { value: Number(value), next: i };
}

/** Takes valid uncompressed records apart (they come from the codec, so the parse cannot fail). */
function parseRecords(data: Buffer, count: number): ParsedRecord[] {
  const records: ParsedRecord[] = [];
  let pos = 0;
  const take = (kind: TokenKind, tokens: Token[], n: number): void => {
    tokens.push({ kind, raw: data.subarray(pos, pos + n) });
    pos += n;
  };
  const varint = (kind: TokenKind, tokens: Token[]): number => {
    const { value, next } = readVarint(data, pos);
    tokens.push({ kind, raw: data.subarray(pos, next) });
    pos = next;
    return value;
  };
  for (let r = 0; r < count; r++) {
    const { next } = readVarint(data, pos);
    pos = next;
    const tokens: Token[] = [];
    take('attributes', tokens, 1);
    varint('timestampDelta', tokens);
    varint('offsetDelta', tokens);
    const keyLength = varint('keyLength', tokens);
    if (keyLength > 0) take('key', tokens, keyLength);
    const valueLength = varint('valueLength', tokens);
    if (valueLength > 0) take('value', tokens, valueLength);
    const headers = varint('headerCount', tokens);
    for (let h = 0; h < headers; h++) {
      const kl = varint('headerKeyLength', tokens);
      if (kl > 0) take('headerKey', tokens, kl);
      const vl = varint('headerValueLength', tokens);
      if (vl > 0) take('headerValue', tokens, vl);
    }
    records.push({ lengthRaw: null, tokens });
  }
  return records;
}

function serialiseRecords(records: readonly ParsedRecord[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) {
    const body = Buffer.concat(r.tokens.map((t) => t.raw));
    parts.push(r.lengthRaw ?? varintBytes(body.length), body);
  }
  return Buffer.concat(parts);
}

/** A valid batch of `count` records with keys, values and headers, in `codec`. */
export function baseBatch(rng: Rng, codec: CompressionType, count: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({
    key: rng.chance(0.8) ? `key-${i}-${rng.int(1000)}` : null,
    value: rng.chance(0.95) ? Buffer.alloc(rng.range(0, 200), 0x61 + (i % 26)) : null,
    headers: rng.chance(0.5) ? [{ key: 'h', value: `v${i}` }, { key: 'trace', value: null }] : [],
  }));
  return buildRecordBatchSync({ records, compression: codec });
}

export type RecordMutation =
  | 'records-count'
  | 'batch-length'
  | 'last-offset-delta'
  | 'attributes'
  | 'record-length'
  | 'record-varint'
  | 'key-length'
  | 'value-length'
  | 'header-count'
  | 'header-lengths'
  | 'offset-delta'
  | 'timestamp-delta'
  | 'overlong-varint'
  | 'truncate-records'
  | 'trailing-bytes'
  | 'drop-record'
  | 'compressed-bytes'
  | 'codec-swap'
  | 'wrong-crc';

export const RECORD_MUTATIONS: readonly RecordMutation[] = [
  'records-count',
  'records-count',
  'batch-length',
  'last-offset-delta',
  'attributes',
  'record-length',
  'record-length',
  'record-varint',
  'key-length',
  'key-length',
  'value-length',
  'value-length',
  'header-count',
  'header-count',
  'header-lengths',
  'offset-delta',
  'timestamp-delta',
  'overlong-varint',
  'truncate-records',
  'trailing-bytes',
  'drop-record',
  'compressed-bytes',
  'codec-swap',
  'wrong-crc',
];

const LENGTH_LIES = [-2, -1, 0, 1, 0x7fffffff, 1_000_000, 255];

/**
 * Mutates a valid batch (one mutation; the records are re-encoded and the CRC recomputed, except for
 * 'wrong-crc'). Returns the mutated batch and what was done.
 */
export function mutateBatch(rng: Rng, batch: Buffer, mutation: RecordMutation = rng.pick(RECORD_MUTATIONS)): { batch: Buffer; note: string } {
  const header = Buffer.from(batch.subarray(0, RECORD_BATCH_OVERHEAD));
  const attributes = header.readInt16BE(21);
  const codec = (attributes & 0x07) as CompressionType;
  const count = header.readInt32BE(RECORDS_COUNT);
  const payload = batch.subarray(RECORD_BATCH_OVERHEAD);
  const plain = codec === CompressionType.None ? payload : decompressSync(codec, payload);
  const records = parseRecords(plain, count);
  let recordsBytes: Buffer | null = null; // set when the mutation works on the serialised records
  let payloadOverride: Buffer | null = null; // set when the mutation works on the compressed bytes
  let keepBatchLength = false;
  let keepCrc = false;
  let note: string = mutation;
  const anyRecord = (): ParsedRecord => rng.pick(records);
  const tokenOf = (kinds: readonly TokenKind[]): Token | undefined => {
    const all = records.flatMap((r) => r.tokens.filter((t) => kinds.includes(t.kind)));
    return all.length === 0 ? undefined : rng.pick(all);
  };
  switch (mutation) {
    case 'records-count': {
      const v = rng.pick([0, -1, count + 1, count - 1, 0x7fffffff, count * 1000]);
      header.writeInt32BE(v, RECORDS_COUNT);
      note = `recordsCount ${count} -> ${v}`;
      break;
    }
    case 'batch-length': {
      keepBatchLength = true;
      const real = batch.length - 12;
      const v = rng.pick([real + 1, real - 1, real + 100, 0, -1, 0x7fffffff]);
      header.writeInt32BE(v, BATCH_LENGTH);
      note = `batchLength ${real} -> ${v}`;
      break;
    }
    case 'last-offset-delta': {
      const v = rng.pick([-1, count, count + 5, 0x7fffffff, 0]);
      header.writeInt32BE(v, 23);
      note = `lastOffsetDelta -> ${v}`;
      break;
    }
    case 'attributes': {
      const v = rng.pick([attributes | 0x20, attributes | 0x10, (attributes & ~0x07) | 5, (attributes & ~0x07) | 7, 0xffff, attributes | 0x40]);
      header.writeUInt16BE(v & 0xffff, 21);
      note = `attributes 0x${attributes.toString(16)} -> 0x${(v & 0xffff).toString(16)}`;
      break;
    }
    case 'record-length': {
      const r = anyRecord();
      const body = r.tokens.reduce((n, t) => n + t.raw.length, 0);
      const v = rng.pick([body + 1, body - 1, body + 50, 0, -1, 0x7fffffff]);
      r.lengthRaw = varintBytes(v);
      note = `record length ${body} -> ${v}`;
      break;
    }
    case 'record-varint': {
      const t = tokenOf(['attributes']);
      if (t) t.raw = Buffer.from([rng.pick([0x01, 0x80, 0xff])]);
      note = 'record attributes garbage';
      break;
    }
    case 'key-length':
    case 'value-length':
    case 'header-lengths': {
      const kinds: TokenKind[] = mutation === 'key-length' ? ['keyLength'] : mutation === 'value-length' ? ['valueLength'] : ['headerKeyLength', 'headerValueLength'];
      const t = tokenOf(kinds);
      if (!t) break;
      const v = rng.pick(LENGTH_LIES);
      t.raw = varintBytes(v);
      note = `${t.kind} -> ${v}`;
      break;
    }
    case 'header-count': {
      const t = tokenOf(['headerCount']);
      if (!t) break;
      const v = rng.pick([-1, -2, 1, 3, 1000, 0x7fffffff]);
      t.raw = varintBytes(v);
      note = `headerCount -> ${v}`;
      break;
    }
    case 'offset-delta': {
      const t = tokenOf(['offsetDelta']);
      if (!t) break;
      const v = rng.pick([-1, 0, count, 0x7fffffff, 5]);
      t.raw = varintBytes(v);
      note = `offsetDelta -> ${v}`;
      break;
    }
    case 'timestamp-delta': {
      const t = tokenOf(['timestampDelta']);
      if (!t) break;
      const v = rng.pick([-(2n ** 62n), 2n ** 62n, -1n, 10n ** 15n]);
      t.raw = varintBytes(v);
      note = `timestampDelta -> ${v}`;
      break;
    }
    case 'overlong-varint': {
      const t = tokenOf(['keyLength', 'valueLength', 'headerCount', 'offsetDelta', 'timestampDelta']);
      if (!t) break;
      const storm = Buffer.alloc(rng.range(6, 12), 0xff);
      storm[storm.length - 1] = 0x01;
      t.raw = storm;
      note = `${t.kind} overlong varint (${storm.length} bytes)`;
      break;
    }
    case 'truncate-records': {
      const full = serialiseRecords(records);
      recordsBytes = full.subarray(0, rng.int(Math.max(1, full.length)));
      note = `records truncated ${full.length} -> ${recordsBytes.length}`;
      break;
    }
    case 'trailing-bytes': {
      recordsBytes = Buffer.concat([serialiseRecords(records), rng.bytes(rng.range(1, 20))]);
      note = 'garbage after the last record';
      break;
    }
    case 'drop-record': {
      if (records.length > 1) records.splice(rng.int(records.length), 1);
      else records[0]!.tokens.splice(0, records[0]!.tokens.length);
      note = 'one record dropped (count unchanged)';
      break;
    }
    case 'compressed-bytes': {
      if (codec === CompressionType.None) {
        recordsBytes = Buffer.from(serialiseRecords(records));
        for (let i = 0; i < 3 && recordsBytes.length > 0; i++) recordsBytes[rng.int(recordsBytes.length)] ^= 0xff;
        note = 'flipped bytes in the records';
      } else {
        payloadOverride = Buffer.from(payload);
        const n = rng.range(1, 4);
        for (let i = 0; i < n; i++) payloadOverride[rng.int(payloadOverride.length)] ^= 1 << rng.int(8);
        if (rng.chance(0.3)) payloadOverride = payloadOverride.subarray(0, rng.int(payloadOverride.length));
        note = `flipped bits in the ${CompressionType[codec]} payload`;
      }
      break;
    }
    case 'codec-swap': {
      const other = rng.pick([CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd, CompressionType.None].filter((c) => c !== codec));
      header.writeInt16BE((attributes & ~0x07) | other, 21);
      payloadOverride = Buffer.from(payload);
      note = `payload in ${CompressionType[codec]} labelled ${CompressionType[other]}`;
      break;
    }
    case 'wrong-crc':
      keepCrc = true;
      header.writeUInt32BE((header.readUInt32BE(CRC) ^ 0x5a5a5a5a) >>> 0, CRC);
      break;
  }
  const recordsOut = recordsBytes ?? serialiseRecords(records);
  const newPayload = payloadOverride ?? (codec === CompressionType.None ? recordsOut : compressSync(codec, recordsOut));
  const out = Buffer.concat([header, newPayload]);
  if (!keepBatchLength) out.writeInt32BE(out.length - 12, BATCH_LENGTH);
  if (!keepCrc) out.writeUInt32BE(computeBatchCrc(out), CRC);
  return { batch: out, note };
}
