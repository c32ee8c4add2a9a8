/**
 * Metadata records as they are stored in `__cluster_metadata-0`: each record value is Kafka's
 * ApiMessageAndVersion framing — unsigned varint frame version (1), unsigned varint record type
 * (the record's "apiKey"), unsigned varint record version, then the record in that version.
 */
import { ByteReader, ByteWriter } from '../../protocol/bytes.js';
import { decodeMessage, encodeMessage } from '../../protocol/schema/codec.js';
import type { FieldSpec, MessageSpec } from '../../protocol/schema/dsl.js';
import { METADATA_RECORD_SCHEMAS } from './records/index.js';

export const METADATA_RECORD_FRAME_VERSION = 1;

export interface DecodedMetadataRecord {
  readonly type: number;
  readonly version: number;
  readonly value: object;
}

export class MetadataRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataRecordError';
  }
}

/**
 * Kafka declares the nullable arrays of PartitionRecord/PartitionChangeRecord with `"default": "null"`
 * (null = "no change" in PartitionChangeRecord), but the generated schemas carry no array defaults, so
 * an absent tagged field would decode as [] ("empty ISR"). Every nullable array in the metadata
 * records Kafka declares has that null default, so restore it here.
 */
function withNullArrayDefaults(fields: readonly FieldSpec[]): FieldSpec[] {
  return fields.map((f) => {
    const nested = f.fields.length > 0 ? withNullArrayDefaults(f.fields) : f.fields;
    const nullableArray = f.array && f.nullable.min <= f.nullable.max && f.default === undefined;
    return { ...f, fields: nested, default: nullableArray ? null : f.default };
  });
}

interface RecordSchema {
  readonly name: string;
  readonly schema: MessageSpec;
  /** The version we write: the newest we declare. */
  readonly writeVersion: number;
}

const SCHEMAS: ReadonlyMap<number, RecordSchema> = new Map(
  [...METADATA_RECORD_SCHEMAS].map(([type, { name, schema }]) => [
    type,
    { name, schema: { ...schema, fields: withNullArrayDefaults(schema.fields) }, writeVersion: schema.validVersions.max },
  ]),
);

function schemaOf(type: number): RecordSchema {
  const s = SCHEMAS.get(type);
  if (!s) throw new MetadataRecordError(`unknown metadata record type ${type}`);
  return s;
}

/** The version `encodeMetadataRecord` writes when none is given (the newest declared). */
export function latestRecordVersion(type: number): number {
  return schemaOf(type).writeVersion;
}

export function metadataRecordName(type: number): string {
  return SCHEMAS.get(type)?.name ?? `UnknownRecord(${type})`;
}

export function encodeMetadataRecord(type: number, version: number, value: object): Buffer {
  const { schema, name } = schemaOf(type);
  if (version < schema.validVersions.min || version > schema.validVersions.max) {
    throw new MetadataRecordError(`${name} has no version ${version}`);
  }
  const w = new ByteWriter(64);
  w.uvarint(METADATA_RECORD_FRAME_VERSION);
  w.uvarint(type);
  w.uvarint(version);
  encodeMessage(schema, version, value, w);
  return w.toBuffer();
}

/** Encodes at the newest version: what the controller writes. */
export function encodeRecord(type: number, value: object): Buffer {
  return encodeMetadataRecord(type, latestRecordVersion(type), value);
}

export function decodeMetadataRecord(buf: Buffer): DecodedMetadataRecord {
  const r = new ByteReader(buf);
  const frameVersion = r.uvarint();
  if (frameVersion !== METADATA_RECORD_FRAME_VERSION) {
    throw new MetadataRecordError(`unsupported metadata record frame version ${frameVersion}`);
  }
  const type = r.uvarint();
  const version = r.uvarint();
  const { schema, name } = schemaOf(type);
  if (version < schema.validVersions.min || version > schema.validVersions.max) {
    throw new MetadataRecordError(`${name} has no version ${version}`);
  }
  const value = decodeMessage<object>(schema, version, r);
  if (r.remaining !== 0) throw new MetadataRecordError(`${name}: ${r.remaining} trailing bytes`);
  return { type, version, value };
}
