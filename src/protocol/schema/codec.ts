/**
 * The one codec engine: encodes and decodes any declared message at any version in its range.
 * For each (message, version) the field list is compiled once into a plan (which fields exist,
 * which are tagged, which are nullable, compact or not), so the per-message work is a loop over
 * a flat array.
 */
import { ByteReader, ByteWriter, ProtocolDecodeError } from '../bytes.js';
import { inRange, type FieldDefault, type FieldSpec, type MessageSpec, type PrimitiveType } from './dsl.js';
import { uuidFromBytes, uuidToBytes, ZERO_UUID } from './uuid.js';

/** A decoded message: plain objects keyed by camelCase field names. */
export type MessageData = Record<string, unknown>;

interface FieldPlan {
  readonly name: string;
  readonly type: PrimitiveType | 'struct';
  readonly array: boolean;
  readonly nullable: boolean;
  readonly compact: boolean;
  readonly defaultValue: unknown;
  readonly struct: StructPlan | undefined;
  readonly tag: number;
}

interface StructPlan {
  readonly flexible: boolean;
  readonly inline: readonly FieldPlan[];
  readonly tagged: readonly FieldPlan[];
  /** Fields absent at this version, filled with their defaults when decoding. */
  readonly absent: readonly FieldPlan[];
}

const planCache = new WeakMap<MessageSpec, Map<number, StructPlan>>();

function defaultFor(spec: FieldSpec, nullable: boolean): unknown {
  if (spec.array) return spec.default === null && nullable ? null : [];
  const d: FieldDefault | undefined = spec.default;
  if (d === null) return null;
  switch (spec.type) {
    case 'bool':
      return d === undefined ? false : d === true || d === 'true';
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
    case 'uint16':
    case 'uint32':
    case 'float64':
      return d === undefined ? 0 : Number(d);
    case 'string':
      return d === undefined ? '' : String(d);
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'struct':
      return undefined; // filled lazily from the struct's own defaults
  }
}

function compileStruct(fields: readonly FieldSpec[], version: number, flexible: boolean): StructPlan {
  const inline: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  const absent: FieldPlan[] = [];
  for (const f of fields) {
    const present = inRange(f.versions, version);
    const nullable = present && inRange(f.nullable, version);
    const plan: FieldPlan = {
      name: f.name,
      type: f.type,
      array: f.array,
      nullable,
      compact: flexible,
      defaultValue: defaultFor(f, nullable),
      struct: f.type === 'struct' ? compileStruct(f.fields, version, flexible) : undefined,
      tag: f.tag ?? -1,
    };
    if (!present) absent.push(plan);
    else if (flexible && f.tag !== undefined && inRange(f.tagged, version)) tagged.push(plan);
    else inline.push(plan);
  }
  tagged.sort((a, b) => a.tag - b.tag);
  return { flexible, inline, tagged, absent };
}

function planFor(spec: MessageSpec, version: number): StructPlan {
  let byVersion = planCache.get(spec);
  if (!byVersion) {
    byVersion = new Map();
    planCache.set(spec, byVersion);
  }
  let plan = byVersion.get(version);
  if (!plan) {
    if (!inRange(spec.validVersions, version)) {
      throw new ProtocolDecodeError(`${spec.name} has no version ${version}`);
    }
    plan = compileStruct(spec.fields, version, version >= spec.flexibleFrom);
    byVersion.set(version, plan);
  }
  return plan;
}

export function isFlexible(spec: MessageSpec, version: number): boolean {
  return version >= spec.flexibleFrom;
}

// ---------------------------------------------------------------- decoding

function readLength(r: ByteReader, compact: boolean, wide: boolean): number {
  if (compact) return r.uvarint() - 1;
  return wide ? r.int32() : r.int16();
}

function readPrimitive(r: ByteReader, f: FieldPlan, type: PrimitiveType): unknown {
  switch (type) {
    case 'bool':
      return r.bool();
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'uint16':
      return r.uint16();
    case 'uint32':
      return r.uint32();
    case 'float64':
      return r.float64();
    case 'uuid':
      return uuidFromBytes(r.uuid());
    case 'string': {
      const n = readLength(r, f.compact, false);
      if (n < 0) {
        if (!f.nullable) throw new ProtocolDecodeError(`${f.name} must not be null`);
        return null;
      }
      return r.utf8(n);
    }
    case 'bytes':
    case 'records': {
      const n = readLength(r, f.compact, true);
      if (n < 0) {
        if (!f.nullable) throw new ProtocolDecodeError(`${f.name} must not be null`);
        return null;
      }
      return r.raw(n);
    }
  }
}

function readStruct(r: ByteReader, plan: StructPlan): MessageData {
  const out: MessageData = {};
  const inline = plan.inline;
  for (let i = 0; i < inline.length; i++) {
    const f = inline[i]!;
    out[f.name] = readField(r, f);
  }
  const absent = plan.absent;
  for (let i = 0; i < absent.length; i++) {
    const f = absent[i]!;
    out[f.name] = f.struct ? defaultsOf(f.struct) : f.defaultValue;
  }
  const tagged = plan.tagged;
  for (let i = 0; i < tagged.length; i++) {
    const f = tagged[i]!;
    out[f.name] = f.struct && !f.array ? defaultsOf(f.struct) : f.defaultValue;
  }
  if (plan.flexible) readTaggedFields(r, plan, out);
  return out;
}

function readField(r: ByteReader, f: FieldPlan): unknown {
  if (f.array) {
    const n = readLength(r, f.compact, true);
    if (n < 0) {
      if (!f.nullable) throw new ProtocolDecodeError(`${f.name} must not be null`);
      return null;
    }
    // Every element takes at least one byte, so a count beyond the remaining bytes is a lie.
    if (n > r.remaining) throw new ProtocolDecodeError(`${f.name}: ${n} elements in ${r.remaining} bytes`);
    const items = new Array<unknown>(n);
    for (let i = 0; i < n; i++) items[i] = f.struct ? readStruct(r, f.struct) : readPrimitive(r, f, f.type as PrimitiveType);
    return items;
  }
  if (f.struct) {
    if (f.nullable && r.int8() < 0) return null;
    return readStruct(r, f.struct);
  }
  return readPrimitive(r, f, f.type as PrimitiveType);
}

function readTaggedFields(r: ByteReader, plan: StructPlan, out: MessageData): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const known = plan.tagged.find((f) => f.tag === tag);
    if (!known) {
      r.raw(size); // unknown tags are skipped, as KIP-482 requires
      continue;
    }
    const sub = new ByteReader(r.buf, r.pos, r.pos + size);
    out[known.name] = readField(sub, known);
    r.raw(size);
  }
}

function defaultsOf(plan: StructPlan): MessageData {
  const out: MessageData = {};
  for (const f of plan.inline) out[f.name] = f.struct && !f.array ? defaultsOf(f.struct) : f.defaultValue;
  for (const f of plan.tagged) out[f.name] = f.struct && !f.array ? defaultsOf(f.struct) : f.defaultValue;
  for (const f of plan.absent) out[f.name] = f.struct && !f.array ? defaultsOf(f.struct) : f.defaultValue;
  return out;
}

export function decodeMessage<T = MessageData>(spec: MessageSpec, version: number, r: ByteReader): T {
  return readStruct(r, planFor(spec, version)) as T;
}

// ---------------------------------------------------------------- encoding

function writeLength(w: ByteWriter, n: number, compact: boolean, wide: boolean): void {
  if (compact) w.uvarint(n + 1);
  else if (wide) w.int32(n);
  else w.int16(n);
}

function writeNull(w: ByteWriter, f: FieldPlan, wide: boolean): void {
  if (!f.nullable) throw new Error(`${f.name} must not be null`);
  writeLength(w, -1, f.compact, wide);
}

function writePrimitive(w: ByteWriter, f: FieldPlan, type: PrimitiveType, v: unknown): void {
  switch (type) {
    case 'bool':
      w.bool(Boolean(v));
      return;
    case 'int8':
      w.int8(Number(v ?? 0));
      return;
    case 'int16':
      w.int16(Number(v ?? 0));
      return;
    case 'int32':
      w.int32(Number(v ?? 0));
      return;
    case 'int64':
      w.int64(Number(v ?? 0));
      return;
    case 'uint16':
      w.uint16(Number(v ?? 0));
      return;
    case 'uint32':
      w.uint32(Number(v ?? 0));
      return;
    case 'float64':
      w.float64(Number(v ?? 0));
      return;
    case 'uuid':
      w.raw(uuidToBytes(typeof v === 'string' ? v : ZERO_UUID));
      return;
    case 'string': {
      if (v === null || v === undefined) {
        if (v === undefined && !f.nullable) {
          writeLength(w, 0, f.compact, false);
          return;
        }
        writeNull(w, f, false);
        return;
      }
      const s = String(v);
      writeLength(w, Buffer.byteLength(s), f.compact, false);
      w.utf8(s);
      return;
    }
    case 'bytes':
    case 'records': {
      if (v === null || v === undefined) {
        if (v === undefined && !f.nullable) {
          writeLength(w, 0, f.compact, true);
          return;
        }
        writeNull(w, f, true);
        return;
      }
      if (Array.isArray(v)) {
        // A record set given as chunks (e.g. batches read from several segments): no concatenation.
        const parts = v as Buffer[];
        let total = 0;
        for (const p of parts) total += p.length;
        writeLength(w, total, f.compact, true);
        for (const p of parts) w.chunk(p);
        return;
      }
      const b = v as Buffer;
      writeLength(w, b.length, f.compact, true);
      w.chunk(b);
      return;
    }
  }
}

function writeField(w: ByteWriter, f: FieldPlan, v: unknown): void {
  if (f.array) {
    if (v === null || v === undefined) {
      if (v === undefined && !f.nullable) {
        writeLength(w, 0, f.compact, true);
        return;
      }
      writeNull(w, f, true);
      return;
    }
    const items = v as unknown[];
    writeLength(w, items.length, f.compact, true);
    const struct = f.struct;
    if (struct) for (let i = 0; i < items.length; i++) writeStruct(w, struct, items[i] as MessageData);
    else for (let i = 0; i < items.length; i++) writePrimitive(w, f, f.type as PrimitiveType, items[i]);
    return;
  }
  if (f.struct) {
    if (f.nullable) {
      if (v === null) {
        w.int8(-1);
        return;
      }
      w.int8(1);
    }
    writeStruct(w, f.struct, (v ?? {}) as MessageData);
    return;
  }
  writePrimitive(w, f, f.type as PrimitiveType, v);
}

function isDefault(f: FieldPlan, v: unknown): boolean {
  if (v === undefined) return true;
  if (f.array) return Array.isArray(v) ? v.length === 0 && f.defaultValue !== null : v === f.defaultValue;
  if (f.struct) return v === null ? f.nullable : false;
  return v === f.defaultValue;
}

function writeStruct(w: ByteWriter, plan: StructPlan, data: MessageData): void {
  const inline = plan.inline;
  for (let i = 0; i < inline.length; i++) {
    const f = inline[i]!;
    const v = data[f.name];
    writeField(w, f, v === undefined ? f.defaultValue : v);
  }
  if (!plan.flexible) return;
  if (plan.tagged.length === 0) {
    w.uvarint(0);
    return;
  }
  const present = plan.tagged.filter((f) => !isDefault(f, data[f.name]));
  w.uvarint(present.length);
  for (const f of present) {
    const sub = new ByteWriter(64);
    writeField(sub, f, data[f.name]);
    const bytes = sub.toBuffer();
    w.uvarint(f.tag);
    w.uvarint(bytes.length);
    w.raw(bytes);
  }
}

/** Encode `data` as `spec` at `version`. Missing fields take their declared defaults. */
export function encodeMessage(spec: MessageSpec, version: number, data: object, w: ByteWriter): void {
  writeStruct(w, planFor(spec, version), data as MessageData);
}
