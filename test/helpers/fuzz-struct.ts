/**
 * Structure-aware fuzzing of the broker's request decoders. For every API and version the broker
 * serves, a plausible request is generated from the message schema (the same declarations the codec
 * reads), encoded by an instrumented encoder that records where every field lies (length prefixes,
 * array counts, varints, tagged-field sections, record sets), and then mutated at those places:
 * nulls in non-nullable fields, lying lengths and counts, overlong and oversized varints, boundary
 * integers, invalid UTF-8, truncation at a field, dropped and doubled fields, bogus tagged fields,
 * and mutated record batches. The frame's size prefix is always recomputed, so every input reaches
 * the decoder whole. The unmutated encoding is checked against the real codec (encodeMessage), so
 * the generator cannot drift from what the broker reads.
 */
import { ByteWriter } from '../../src/protocol/bytes.js';
import { inRange, type ApiSpec, type FieldSpec, type MessageSpec } from '../../src/protocol/schema/dsl.js';
import { encodeMessage } from '../../src/protocol/schema/codec.js';
import { ZERO_UUID, uuidToBytes } from '../../src/protocol/schema/uuid.js';
import type { Rng } from './fuzz.js';

/** What the generator knows about the broker it targets. */
export interface FuzzWorld {
  /** Topic names that requests mostly name (existing ones, and a few that do not exist). */
  readonly topics: readonly string[];
  /** Topic ids (base64url) of existing topics. */
  readonly topicIds: readonly string[];
  readonly groups: readonly string[];
  /** Valid record batches to put in `records` fields. */
  readonly batches: readonly Buffer[];
}

/** Where one encoded field lies in the body, and what it is. */
export interface Span {
  readonly field: string;
  /** 'prefix' spans cover a length/count prefix; the rest cover a whole value. */
  readonly kind: 'prefix' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'uint32' | 'float64' | 'bool' | 'uuid' | 'utf8' | 'bytes' | 'records' | 'field' | 'tagged-section';
  readonly start: number;
  readonly end: number;
  /** For prefixes: compact (uvarint n+1) or fixed width (2 or 4 bytes); and whether null is allowed. */
  readonly compact?: boolean;
  readonly width?: 2 | 4;
  readonly nullable?: boolean;
  /** For prefixes of nullable structs: a one-byte int8 marker instead of a length. */
  readonly structMarker?: boolean;
}

interface Encoded {
  body: Buffer;
  spans: Span[];
}

// ------------------------------------------------------------------ value generation

const SMALL_TIMEOUT_FIELDS = /timeout|wait|delay|interval|retention/i;

function genPrimitive(rng: Rng, f: FieldSpec, world: FuzzWorld, path: string): unknown {
  const name = f.name;
  switch (f.type) {
    case 'bool':
      return rng.chance(0.5);
    case 'int8':
      return rng.int(3);
    case 'int16':
      if (name === 'acks') return rng.pick([1, -1, 0, 1]);
      if (name === 'replicationFactor') return rng.pick([1, -1]);
      if (name === 'resourceType') return rng.pick([2, 2, 4]);
      return rng.int(4);
    case 'int32':
      if (SMALL_TIMEOUT_FIELDS.test(name)) return rng.range(0, 300);
      if (name === 'numPartitions' || name === 'count') return rng.range(1, 6);
      if (/partition/i.test(name)) return rng.int(4);
      if (/maxBytes|minBytes/i.test(name)) return rng.pick([1, 1024, 1048576]);
      if (name === 'replicaId' || name === 'brokerId' || name === 'nodeId') return rng.pick([-1, 0]);
      if (/epoch|generation/i.test(name)) return rng.pick([-1, 0, 1]);
      return rng.int(4);
    case 'int64':
      if (/timestamp/i.test(name)) return rng.pick([-1, -2, Date.now()]);
      if (SMALL_TIMEOUT_FIELDS.test(name)) return rng.range(0, 300);
      return rng.int(3);
    case 'uint16':
    case 'uint32':
      return rng.int(4);
    case 'float64':
      return rng.next();
    case 'uuid':
      return world.topicIds.length > 0 && rng.chance(0.6) ? rng.pick(world.topicIds) : ZERO_UUID;
    case 'string':
      if (/group/i.test(name)) return rng.pick(world.groups);
      if (/topic/i.test(name) || (name === 'name' && /topic/i.test(path)) || name === 'resourceName') return rng.pick(world.topics);
      if (name === 'name' && /config/i.test(path)) return rng.pick(['retention.ms', 'cleanup.policy', 'segment.bytes', 'max.message.bytes', 'no.such.config']);
      if (name === 'value' && /config/i.test(path)) return rng.pick(['100000', 'delete', 'compact', '1048576', 'x']);
      if (name === 'protocolType') return 'consumer';
      if (name === 'memberId') return rng.pick(['', 'fuzz-member']);
      return rng.pick(['fuzz', '', 'range', 'roundrobin']);
    case 'bytes':
      return rng.bytes(rng.int(12));
    case 'records':
      return rng.pick(world.batches);
    case 'struct':
      throw new Error('struct handled by genStruct');
  }
}

function genField(rng: Rng, f: FieldSpec, version: number, world: FuzzWorld, path: string): unknown {
  const nullable = inRange(f.nullable, version);
  if (f.array) {
    if (nullable && rng.chance(0.15)) return null;
    const n = /topics|partitions|resources|groups|members/i.test(f.name) ? rng.range(1, 2) : rng.range(0, 2);
    const items: unknown[] = [];
    for (let i = 0; i < n; i++) items.push(f.type === 'struct' ? genStruct(rng, f.fields, version, world, `${path}.${f.name}`) : genPrimitive(rng, f, world, `${path}.${f.name}`));
    return items;
  }
  if (f.type === 'struct') return nullable && rng.chance(0.2) ? null : genStruct(rng, f.fields, version, world, `${path}.${f.name}`);
  if (nullable && f.type !== 'records' && rng.chance(0.1)) return null;
  return genPrimitive(rng, f, world, path);
}

function genStruct(rng: Rng, fields: readonly FieldSpec[], version: number, world: FuzzWorld, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    // Tagged fields are left at their defaults (not sent): the 'tagged' mutations add them.
    if (f.tag !== undefined && inRange(f.tagged, version)) continue;
    out[f.name] = genField(rng, f, version, world, path);
  }
  return out;
}

export function generateRequest(rng: Rng, spec: MessageSpec, version: number, world: FuzzWorld): Record<string, unknown> {
  return genStruct(rng, spec.fields, version, world, spec.name);
}

// ------------------------------------------------------------------ instrumented encoding

class SpanWriter {
  readonly w = new ByteWriter(256);
  readonly spans: Span[] = [];
  get pos(): number {
    return this.w.length;
  }
}

function writeLength(sw: SpanWriter, field: string, n: number, compact: boolean, width: 2 | 4, nullable: boolean): void {
  const start = sw.pos;
  if (compact) sw.w.uvarint(n + 1);
  else if (width === 4) sw.w.int32(n);
  else sw.w.int16(n);
  sw.spans.push({ field, kind: 'prefix', start, end: sw.pos, compact, width, nullable });
}

function writeValue(sw: SpanWriter, f: FieldSpec, version: number, flexible: boolean, v: unknown): void {
  const nullable = inRange(f.nullable, version);
  const start = sw.pos;
  if (f.array) {
    if (v === null) writeLength(sw, f.name, -1, flexible, 4, nullable);
    else {
      const items = v as unknown[];
      writeLength(sw, f.name, items.length, flexible, 4, nullable);
      for (const item of items) {
        if (f.type === 'struct') writeStruct(sw, f.fields, version, flexible, item as Record<string, unknown>);
        else writeScalar(sw, f, flexible, nullable, item);
      }
    }
  } else if (f.type === 'struct') {
    if (nullable) {
      const s = sw.pos;
      sw.w.int8(v === null ? -1 : 1);
      sw.spans.push({ field: f.name, kind: 'prefix', start: s, end: sw.pos, nullable: true, structMarker: true });
    }
    if (v !== null) writeStruct(sw, f.fields, version, flexible, (v ?? {}) as Record<string, unknown>);
  } else {
    writeScalar(sw, f, flexible, nullable, v);
  }
  sw.spans.push({ field: f.name, kind: 'field', start, end: sw.pos });
}

function writeScalar(sw: SpanWriter, f: FieldSpec, flexible: boolean, nullable: boolean, v: unknown): void {
  const start = sw.pos;
  const mark = (kind: Span['kind']): void => void sw.spans.push({ field: f.name, kind, start, end: sw.pos });
  switch (f.type) {
    case 'bool':
      sw.w.bool(Boolean(v));
      return mark('bool');
    case 'int8':
      sw.w.int8(Number(v));
      return mark('int8');
    case 'int16':
      sw.w.int16(Number(v));
      return mark('int16');
    case 'int32':
      sw.w.int32(Number(v));
      return mark('int32');
    case 'int64':
      sw.w.int64(Number(v));
      return mark('int64');
    case 'uint16':
      sw.w.uint16(Number(v));
      return mark('uint16');
    case 'uint32':
      sw.w.uint32(Number(v));
      return mark('uint32');
    case 'float64':
      sw.w.float64(Number(v));
      return mark('float64');
    case 'uuid':
      sw.w.raw(uuidToBytes(v as string));
      return mark('uuid');
    case 'string': {
      if (v === null) return writeLength(sw, f.name, -1, flexible, 2, nullable);
      const b = Buffer.from(String(v), 'utf8');
      writeLength(sw, f.name, b.length, flexible, 2, nullable);
      const s = sw.pos;
      sw.w.raw(b);
      sw.spans.push({ field: f.name, kind: 'utf8', start: s, end: sw.pos });
      return;
    }
    case 'bytes':
    case 'records': {
      if (v === null) return writeLength(sw, f.name, -1, flexible, 4, nullable);
      const b = v as Buffer;
      writeLength(sw, f.name, b.length, flexible, 4, nullable);
      const s = sw.pos;
      sw.w.raw(b);
      sw.spans.push({ field: f.name, kind: f.type, start: s, end: sw.pos });
      return;
    }
    case 'struct':
      throw new Error('unreachable');
  }
}

function writeStruct(sw: SpanWriter, fields: readonly FieldSpec[], version: number, flexible: boolean, data: Record<string, unknown>): void {
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    if (flexible && f.tag !== undefined && inRange(f.tagged, version)) continue;
    writeValue(sw, f, version, flexible, data[f.name] === undefined ? defaultOf(f, version) : data[f.name]);
  }
  if (flexible) {
    const start = sw.pos;
    sw.w.uvarint(0);
    sw.spans.push({ field: '(tagged fields)', kind: 'tagged-section', start, end: sw.pos });
  }
}

function defaultOf(f: FieldSpec, version: number): unknown {
  if (f.array) return f.default === null && inRange(f.nullable, version) ? null : [];
  if (f.default === null) return null;
  if (f.type === 'string') return f.default === undefined ? '' : String(f.default);
  if (f.type === 'bool') return f.default === true || f.default === 'true';
  if (f.type === 'uuid') return ZERO_UUID;
  if (f.type === 'bytes') return Buffer.alloc(0);
  if (f.type === 'records') return null;
  if (f.type === 'struct') return {};
  return f.default === undefined ? 0 : Number(f.default);
}

export function encodeInstrumented(spec: MessageSpec, version: number, data: Record<string, unknown>): Encoded {
  const sw = new SpanWriter();
  writeStruct(sw, spec.fields, version, version >= spec.flexibleFrom, data);
  return { body: sw.w.toBuffer(), spans: sw.spans };
}

/** The codec's own encoding of the same data, to prove the instrumented encoder writes what the broker reads. */
export function encodeWithCodec(spec: MessageSpec, version: number, data: Record<string, unknown>): Buffer {
  const w = new ByteWriter(256);
  encodeMessage(spec, version, data, w);
  return w.toBuffer();
}

// ------------------------------------------------------------------ frames

export function requestHeader(api: ApiSpec, version: number, correlationId: number, clientId = 'fuzz'): Buffer {
  const w = new ByteWriter(32);
  w.int16(api.apiKey).int16(version).int32(correlationId);
  const id = Buffer.from(clientId);
  w.int16(id.length).raw(id);
  if (version >= api.request.flexibleFrom) w.uvarint(0);
  return w.toBuffer();
}

export function frame(header: Buffer, body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length);
  return Buffer.concat([size, header, body]);
}

// ------------------------------------------------------------------ mutation

export type StructMutation =
  | 'null-prefix'
  | 'length-lie'
  | 'overlong-varint'
  | 'huge-varint'
  | 'int-boundary'
  | 'bool-garbage'
  | 'utf8-garbage'
  | 'long-string'
  | 'truncate-at-field'
  | 'drop-field'
  | 'double-field'
  | 'tagged-bogus'
  | 'uuid-random'
  | 'records-mutate'
  | 'bitflip'
  | 'none';

export const STRUCT_MUTATIONS: readonly StructMutation[] = [
  'null-prefix',
  'null-prefix',
  'null-prefix',
  'length-lie',
  'length-lie',
  'overlong-varint',
  'huge-varint',
  'int-boundary',
  'int-boundary',
  'bool-garbage',
  'utf8-garbage',
  'long-string',
  'truncate-at-field',
  'drop-field',
  'double-field',
  'tagged-bogus',
  'tagged-bogus',
  'uuid-random',
  'records-mutate',
  'bitflip',
  'none',
];

const INT_BOUNDARIES: Record<string, readonly number[]> = {
  int8: [-128, -1, 0, 127],
  int16: [-32768, -2, -1, 0, 32767],
  int32: [-2147483648, -2, -1, 0, 0x7fffffff, 0x40000000, 1_000_000],
  uint16: [0, 0xffff],
  uint32: [0, 0xffffffff],
};

function uvarintBytes(v: number): Buffer {
  const out: number[] = [];
  let n = v;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

function splice(body: Buffer, start: number, end: number, replacement: Buffer): Buffer {
  return Buffer.concat([body.subarray(0, start), replacement, body.subarray(end)]);
}

function prefixBytes(span: Span, n: number): Buffer {
  if (span.structMarker) return Buffer.from([n < 0 ? 0xff : 1]);
  if (span.compact) return uvarintBytes(n + 1 < 0 ? 0 : n + 1);
  const b = Buffer.alloc(span.width ?? 4);
  if (span.width === 2) b.writeInt16BE(Math.max(-32768, Math.min(32767, n)));
  else b.writeInt32BE(Math.max(-2147483648, Math.min(2147483647, n)));
  return b;
}

function readPrefix(body: Buffer, span: Span): number {
  if (span.compact) {
    let v = 0;
    let mul = 1;
    for (let i = span.start; i < span.end; i++) {
      v += (body[i]! & 0x7f) * mul;
      mul *= 128;
    }
    return v - 1;
  }
  return span.width === 2 ? body.readInt16BE(span.start) : body.readInt32BE(span.start);
}

/**
 * Applies one mutation. `mutateBatch` mutates a record batch (record-level fuzzing) for 'records-mutate'.
 * Returns the new body and a short description for replay logs.
 */
export function mutateStructured(rng: Rng, enc: Encoded, mutation: StructMutation, mutateBatch: (batch: Buffer) => Buffer): { body: Buffer; note: string } {
  const { body, spans } = enc;
  const pickSpan = (pred: (s: Span) => boolean): Span | undefined => {
    const candidates = spans.filter(pred);
    return candidates.length === 0 ? undefined : rng.pick(candidates);
  };
  switch (mutation) {
    case 'none':
      return { body, note: 'none' };
    case 'null-prefix': {
      // Prefer fields that must not be null: those are what Kafka's readers refuse.
      const s = pickSpan((x) => x.kind === 'prefix' && !x.nullable) ?? pickSpan((x) => x.kind === 'prefix');
      if (!s) return { body, note: 'null-prefix (no prefix)' };
      return { body: splice(body, s.start, s.end, prefixBytes(s, -1)), note: `null ${s.field}${s.nullable ? ' (nullable)' : ''}` };
    }
    case 'length-lie': {
      const s = pickSpan((x) => x.kind === 'prefix' && !x.structMarker);
      if (!s) return { body, note: 'length-lie (no prefix)' };
      const n = readPrefix(body, s);
      const lie = rng.pick([n + 1, n - 1, n + 1000, -2, 0, 0x7fffffff, 0x7ffe, body.length]);
      return { body: splice(body, s.start, s.end, prefixBytes(s, lie)), note: `${s.field} length ${n} -> ${lie}` };
    }
    case 'overlong-varint': {
      const s = pickSpan((x) => (x.kind === 'prefix' && x.compact === true) || x.kind === 'tagged-section');
      if (!s) return { body, note: 'overlong-varint (no varint)' };
      const storm = Buffer.alloc(rng.range(5, 11), 0x80);
      storm[storm.length - 1] = rng.pick([0x00, 0x01, 0x7f]);
      return { body: splice(body, s.start, s.end, storm), note: `${s.field} varint -> ${storm.toString('hex')}` };
    }
    case 'huge-varint': {
      const s = pickSpan((x) => (x.kind === 'prefix' && x.compact === true) || x.kind === 'tagged-section');
      if (!s) return { body, note: 'huge-varint (no varint)' };
      const v = rng.pick([0xffffffff, 0x80000000, 0x7fffffff, 2 ** 35]);
      return { body: splice(body, s.start, s.end, uvarintBytes(v)), note: `${s.field} varint -> ${v}` };
    }
    case 'int-boundary': {
      const s = pickSpan((x) => x.kind in INT_BOUNDARIES || x.kind === 'int64');
      if (!s) return { body, note: 'int-boundary (no int)' };
      const b = Buffer.from(body.subarray(s.start, s.end));
      if (s.kind === 'int64') b.writeBigInt64BE(rng.pick([-(2n ** 63n), -1n, 2n ** 63n - 1n, 2n ** 53n]));
      else {
        const v = rng.pick(INT_BOUNDARIES[s.kind]!);
        if (s.kind === 'int8') b.writeInt8(v);
        else if (s.kind === 'int16') b.writeInt16BE(v);
        else if (s.kind === 'int32') b.writeInt32BE(v);
        else if (s.kind === 'uint16') b.writeUInt16BE(v);
        else b.writeUInt32BE(v);
      }
      return { body: splice(body, s.start, s.end, b), note: `${s.field} (${s.kind}) -> ${b.toString('hex')}` };
    }
    case 'bool-garbage': {
      const s = pickSpan((x) => x.kind === 'bool');
      if (!s) return { body, note: 'bool-garbage (no bool)' };
      return { body: splice(body, s.start, s.end, Buffer.from([rng.pick([2, 0x7f, 0xff])])), note: `${s.field} bool garbage` };
    }
    case 'utf8-garbage': {
      const s = pickSpan((x) => x.kind === 'utf8' && x.end > x.start);
      if (!s) return { body, note: 'utf8-garbage (no string)' };
      const b = Buffer.from(body.subarray(s.start, s.end));
      b[rng.int(b.length)] = rng.pick([0xff, 0xc0, 0x80, 0x00]);
      return { body: splice(body, s.start, s.end, b), note: `${s.field} invalid utf8` };
    }
    case 'long-string': {
      // A consistent but long string: names of 250+ chars, 32 KiB values.
      const prefix = spans.findIndex((x) => x.kind === 'prefix' && x.width === 2);
      if (prefix < 0) return { body, note: 'long-string (no string)' };
      const s = rng.pick(spans.filter((x) => x.kind === 'prefix' && x.width === 2));
      const content = spans.find((x) => x.kind === 'utf8' && x.start === s.end);
      const len = rng.pick([249, 250, 255, 32767]);
      const text = Buffer.alloc(len, rng.pick([0x61, 0x2e, 0x2f]));
      return { body: splice(body, s.start, content ? content.end : s.end, Buffer.concat([prefixBytes(s, len), text])), note: `${s.field} ${len}-byte string` };
    }
    case 'truncate-at-field': {
      const s = pickSpan(() => true);
      const at = s ? rng.pick([s.start, s.end, Math.floor((s.start + s.end) / 2)]) : rng.int(body.length + 1);
      return { body: body.subarray(0, Math.min(at, Math.max(0, body.length - 1))), note: `truncated at ${at} (${s?.field ?? '?'})` };
    }
    case 'drop-field': {
      const s = pickSpan((x) => x.kind === 'field');
      if (!s) return { body, note: 'drop-field (no field)' };
      return { body: splice(body, s.start, s.end, Buffer.alloc(0)), note: `dropped ${s.field}` };
    }
    case 'double-field': {
      const s = pickSpan((x) => x.kind === 'field');
      if (!s) return { body, note: 'double-field (no field)' };
      return { body: splice(body, s.start, s.end, Buffer.concat([body.subarray(s.start, s.end), body.subarray(s.start, s.end)])), note: `doubled ${s.field}` };
    }
    case 'tagged-bogus': {
      const s = pickSpan((x) => x.kind === 'tagged-section');
      if (!s) return { body, note: 'tagged-bogus (not flexible)' };
      const kind = rng.int(4);
      let section: Buffer;
      if (kind === 0) section = Buffer.concat([uvarintBytes(1), uvarintBytes(rng.pick([0, 1, 2, 99, 0x7fffffff])), uvarintBytes(3), rng.bytes(3)]); // a tag with garbage
      else if (kind === 1) section = Buffer.concat([uvarintBytes(1), uvarintBytes(0), uvarintBytes(rng.pick([100, 0x7fffffff, 0xffffffff]))]); // size beyond the frame
      else if (kind === 2) section = Buffer.concat([uvarintBytes(2), uvarintBytes(0), uvarintBytes(1), Buffer.from([0]), uvarintBytes(0), uvarintBytes(1), Buffer.from([0])]); // duplicate tag
      else section = uvarintBytes(rng.pick([1000, 0x7fffffff])); // a count with no entries
      return { body: splice(body, s.start, s.end, section), note: `bogus tagged fields (${kind})` };
    }
    case 'uuid-random': {
      const s = pickSpan((x) => x.kind === 'uuid');
      if (!s) return { body, note: 'uuid-random (no uuid)' };
      return { body: splice(body, s.start, s.end, rng.chance(0.5) ? rng.bytes(16) : Buffer.alloc(16)), note: `${s.field} random uuid` };
    }
    case 'records-mutate': {
      const s = pickSpan((x) => x.kind === 'records');
      if (!s) return { body, note: 'records-mutate (no records)' };
      const prefix = spans.find((x) => x.kind === 'prefix' && x.end === s.start)!;
      const mutated = mutateBatch(Buffer.from(body.subarray(s.start, s.end)));
      return { body: splice(body, prefix.start, s.end, Buffer.concat([prefixBytes(prefix, mutated.length), mutated])), note: `records mutated (${mutated.length} bytes)` };
    }
    case 'bitflip': {
      const b = Buffer.from(body);
      for (let i = 0, n = rng.range(1, 4); i < n && b.length > 0; i++) {
        const at = rng.int(b.length);
        b[at] = b[at]! ^ (1 << rng.int(8));
      }
      return { body: b, note: 'bitflips' };
    }
    default: {
      const never: never = mutation;
      throw new Error(`unknown mutation ${String(never)}`);
    }
  }
}
