/**
 * Walks the records of a v2 batch (its uncompressed records section) and checks their structure
 * without building an object per record: what Kafka's LogValidator learns by reading every record
 * with DefaultRecord.readFrom. Every length is checked against the bytes that remain, so a lying
 * batch can neither read past its end nor leave bytes unaccounted for:
 * - each record's length is non-negative and fits the section; its fields end exactly at its end;
 * - varints are at most 5 bytes (10 for the timestamp delta), as Java's ByteUtils requires;
 * - key and value lengths are ≥ -1 and fit the record; header counts are ≥ 0, header keys non-null;
 * - client batches: offset deltas are 0, 1, 2, … (Kafka: "does not have incremental offsets");
 * - the section holds exactly `recordsCount` records and nothing after the last one;
 * - optionally, every record has a key (compacted topics) and a timestamp within KIP-937 bounds.
 *
 * The walk can stop after a number of steps and resume, so a caller can spread a huge batch over several
 * event-loop turns. Failures throw KafkaError: INVALID_RECORD (structure, keys, offsets, as Kafka's
 * InvalidRecordException) or INVALID_TIMESTAMP.
 */
import { ErrorCode, KafkaError } from '../errors.js';

export interface RecordWalk {
  /** The batch header's recordsCount: the records the section must hold. */
  readonly recordsCount: number;
  /** The batch header's baseTimestamp (records carry deltas from it). */
  readonly baseTimestamp: number;
  /** Client batches: record i must carry offset delta i. */
  readonly sequentialOffsets: boolean;
  /** Compacted topics: a record with a null key is INVALID_RECORD. */
  readonly requireKeys: boolean;
  /** KIP-937 bounds on CreateTime record timestamps (inclusive); ±Infinity to skip the check. */
  readonly minTimestamp: number;
  readonly maxTimestamp: number;
  /** For error messages: where the batch starts in the request. */
  readonly batchPosition: number;
  /** Progress: records walked so far and the next byte to read. */
  index: number;
  pos: number;
  /** A walk paused inside a record's headers: where the record ends, its length and headers left. */
  recordEnd: number;
  recordLength: number;
  headerCount: number;
  headersLeft: number;
}

export interface WalkRules {
  sequentialOffsets: boolean;
  requireKeys: boolean;
  minTimestamp?: number;
  maxTimestamp?: number;
}

/** A walk of a records section starting at `pos`, for the batch at `batchPosition` with this header. */
export function startWalk(pos: number, recordsCount: number, baseTimestamp: number, batchPosition: number, rules: WalkRules): RecordWalk {
  return {
    recordsCount,
    baseTimestamp,
    batchPosition,
    sequentialOffsets: rules.sequentialOffsets,
    requireKeys: rules.requireKeys,
    minTimestamp: rules.minTimestamp ?? -Infinity,
    maxTimestamp: rules.maxTimestamp ?? Infinity,
    index: 0,
    pos,
    recordEnd: -1,
    recordLength: 0,
    headerCount: 0,
    headersLeft: 0,
  };
}

// The walk is synchronous, so its cursor and the record being read live here rather than in a
// per-call object: the varint readers below advance `p` and never allocate.
let p = 0;
let recordIndex = 0;
let batchAt = 0;

/**
 * A record that breaks a rule: the error names the record by its index in the batch, which Produce v8+
 * answers in `record_errors` (Kafka's RecordValidationException).
 */
export class RecordValidationError extends KafkaError {
  constructor(
    code: ErrorCode,
    readonly recordIndex: number,
    readonly recordMessage: string,
    batchPosition: number,
  ) {
    super(code, `record batch at byte ${batchPosition}: record ${recordIndex}: ${recordMessage}`);
  }
}

function invalid(what: string, code: ErrorCode = ErrorCode.INVALID_RECORD): never {
  throw new RecordValidationError(code, recordIndex, what, batchAt);
}

/** A zigzag varint of at most 5 bytes (an int32), read below `end`. */
function varint(buf: Buffer, end: number): number {
  if (p >= end) invalid('truncated (a varint runs past the end of the record)');
  let b = buf[p++]!;
  if (b < 0x80) return (b >>> 1) ^ -(b & 1);
  let z = b & 0x7f;
  let shift = 7;
  do {
    if (p >= end) invalid('truncated (a varint runs past the end of the record)');
    b = buf[p++]!;
    z |= (b & 0x7f) << shift;
    shift += 7;
  } while (b >= 0x80 && shift < 35);
  if (b >= 0x80) invalid('varint is too long (more than 5 bytes)');
  return (z >>> 1) ^ -(z & 1);
}

/** A zigzag varlong of at most 10 bytes; beyond 2^53 the value is approximate (timestamps only). */
function varlong(buf: Buffer, end: number): number {
  let z = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (p >= end) invalid('truncated (a varlong runs past the end of the record)');
    const b = buf[p++]!;
    z += (b & 0x7f) * scale;
    if (b < 0x80) return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    scale *= 128;
  }
  return invalid('varlong is too long (more than 10 bytes)');
}

/** Skips `length` bytes of a key, value or header, which must fit before `end`. */
function skip(length: number, end: number, what: string): void {
  if (length > end - p) invalid(`${what} length ${length} runs past the end of the record (${end - p} bytes left)`);
  p += length;
}

/**
 * Walks records from where `walk` stands until all `recordsCount` are read (then checks that the
 * section ends at `end` and returns true), or until `maxSteps` records and headers have been read
 * (returns false; call again to go on). A step is one record or one header, so a pause can fall
 * inside a record with millions of headers as well as between records. `fastPath` false reads every
 * record field by field (the reference the fast path is tested against).
 */
export function walkRecords(buf: Buffer, end: number, walk: RecordWalk, maxSteps = Infinity, fastPath = true): boolean {
  p = walk.pos;
  batchAt = walk.batchPosition;
  let steps = 0;
  for (;;) {
    recordIndex = walk.index;
    if (walk.recordEnd < 0) {
      if (walk.index === walk.recordsCount) break;
      if (steps >= maxSteps) break;
      if (fastPath) {
        const before = walk.index;
        walk.pos = p;
        walkPlainRecords(buf, end, walk, maxSteps - steps);
        p = walk.pos;
        steps += walk.index - before;
        if (walk.index === walk.recordsCount || steps >= maxSteps) continue;
      }
      // The record the fast path left to us: read it field by field (and report what is wrong with it).
      recordIndex = walk.index;
      steps++;
      readRecordPrefix(buf, end, walk);
    }
    const recordEnd = walk.recordEnd;
    let left = walk.headersLeft;
    while (left > 0) {
      if (steps >= maxSteps) break;
      steps++;
      const h = walk.headerCount - left;
      const headerKeyLength = varint(buf, recordEnd);
      if (headerKeyLength < 0) invalid(`header ${h} has an invalid key length ${headerKeyLength}`);
      skip(headerKeyLength, recordEnd, `header ${h} key`);
      const headerValueLength = varint(buf, recordEnd);
      if (headerValueLength < -1) invalid(`header ${h} has an invalid value length ${headerValueLength}`);
      if (headerValueLength > 0) skip(headerValueLength, recordEnd, `header ${h} value`);
      left--;
    }
    walk.headersLeft = left;
    if (left > 0) break;
    if (p !== recordEnd) invalid(`record length ${walk.recordLength} but its fields take ${walk.recordLength - (recordEnd - p)} bytes`);
    walk.recordEnd = -1;
    walk.index++;
  }
  walk.pos = p;
  if (walk.index < walk.recordsCount || walk.recordEnd >= 0) return false;
  if (p !== end) invalid(`${end - p} bytes after the last of the ${walk.recordsCount} records the batch declares`);
  return true;
}

/**
 * The fast path: walks records whose varints are short (lengths up to 2 bytes, deltas and value lengths up
 * to 3) and that carry no headers — what clients write for all but very large or header-carrying records —
 * with every variable local, as the field-by-field walk cannot. It commits a record only when its fields end
 * exactly at its length and every rule holds; on anything else it stops at the record's start, and the
 * field-by-field walk reads that record (and reports it, if it is wrong). Bytes are only read below `end`
 * or, for a record that turns out wrong, a few past it (then rejected): `pos` only grows, so a record whose
 * reads went past its end never ends exactly at it.
 */
function walkPlainRecords(buf: Buffer, end: number, walk: RecordWalk, maxRecords: number): void {
  const stop = Math.min(walk.recordsCount, walk.index + maxRecords);
  const sequential = walk.sequentialOffsets;
  const requireKeys = walk.requireKeys;
  const base = walk.baseTimestamp;
  const lo = walk.minTimestamp;
  const hi = walk.maxTimestamp;
  let i = walk.index;
  let start = walk.pos;
  while (i < stop && start + 7 <= end) {
    let pos = start;
    let z = buf[pos++]!;
    if (z >= 0x80) {
      const b = buf[pos++]!;
      if (b >= 0x80) break;
      z = (z & 0x7f) | (b << 7);
    }
    const recordEnd = pos + ((z >>> 1) ^ -(z & 1));
    if (recordEnd > end || recordEnd < pos + 6) break;
    pos++; // attributes
    z = buf[pos++]!;
    if (z >= 0x80) {
      let b = buf[pos++]!;
      z = (z & 0x7f) | ((b & 0x7f) << 7);
      if (b >= 0x80) {
        b = buf[pos++]!;
        if (b >= 0x80) break;
        z |= b << 14;
      }
    }
    const timestamp = base + ((z >>> 1) ^ -(z & 1));
    if (timestamp < lo || timestamp > hi) break;
    z = buf[pos++]!;
    if (z >= 0x80) {
      let b = buf[pos++]!;
      z = (z & 0x7f) | ((b & 0x7f) << 7);
      if (b >= 0x80) {
        b = buf[pos++]!;
        if (b >= 0x80) break;
        z |= b << 14;
      }
    }
    if (sequential && (z >>> 1) ^ -(z & 1) ^ i) break;
    z = buf[pos++]!;
    if (z >= 0x80) {
      const b = buf[pos++]!;
      if (b >= 0x80) break;
      z = (z & 0x7f) | (b << 7);
    }
    if (z === 1) {
      if (requireKeys) break; // key -1
    } else if (z & 1) {
      break;
    } else {
      pos += z >>> 1;
    }
    z = buf[pos++]!;
    if (z >= 0x80) {
      let b = buf[pos++]!;
      z = (z & 0x7f) | ((b & 0x7f) << 7);
      if (b >= 0x80) {
        b = buf[pos++]!;
        if (b >= 0x80) break;
        z |= b << 14;
      }
    }
    if (z !== 1) {
      if (z & 1) break; // value length below -1
      pos += z >>> 1;
    }
    if (buf[pos++] !== 0) break; // headers: the field-by-field walk reads them
    if (pos !== recordEnd) break;
    start = pos;
    i++;
  }
  walk.index = i;
  walk.pos = start;
}

/** Reads one record up to its header count, leaving the headers to the caller's loop. */
function readRecordPrefix(buf: Buffer, end: number, walk: RecordWalk): void {
  const i = walk.index;
  if (p >= end) invalid(`the batch declares ${walk.recordsCount} records but holds only ${i}`);
  const length = varint(buf, end);
  if (length < 0) invalid(`negative record length ${length}`);
  if (length > end - p) invalid(`record length ${length} runs past the end of the batch (${end - p} bytes left)`);
  const recordEnd = p + length;
  if (p >= recordEnd) invalid('truncated (no attributes)');
  p++; // attributes: unused by Kafka today
  const timestampDelta = varlong(buf, recordEnd);
  const offsetDelta = varint(buf, recordEnd);
  if (walk.sequentialOffsets && offsetDelta !== i) invalid(`offset delta ${offsetDelta} where ${i} was expected (offsets must be incremental)`);
  const keyLength = varint(buf, recordEnd);
  if (keyLength === -1) {
    if (walk.requireKeys) invalid('compacted topic cannot accept a record without a key');
  } else if (keyLength < -1) {
    invalid(`invalid key length ${keyLength}`);
  } else {
    skip(keyLength, recordEnd, 'key');
  }
  const valueLength = varint(buf, recordEnd);
  if (valueLength < -1) invalid(`invalid value length ${valueLength}`);
  if (valueLength > 0) skip(valueLength, recordEnd, 'value');
  const headerCount = varint(buf, recordEnd);
  // Each header takes at least 2 bytes, so a lying count fails on the bytes, not after 2^31 turns.
  if (headerCount < 0) invalid(`invalid header count ${headerCount}`);
  const timestamp = walk.baseTimestamp + timestampDelta;
  if (timestamp < walk.minTimestamp || timestamp > walk.maxTimestamp) {
    invalid(
      `timestamp ${timestamp} is outside [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms] = [${walk.minTimestamp}, ${walk.maxTimestamp}]`,
      ErrorCode.INVALID_TIMESTAMP,
    );
  }
  walk.recordEnd = recordEnd;
  walk.recordLength = length;
  walk.headerCount = headerCount;
  walk.headersLeft = headerCount;
}
