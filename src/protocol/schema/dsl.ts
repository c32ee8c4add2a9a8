/**
 * The schema language every API message is declared in. A declaration is data: the codec engine
 * (`codec.ts`) interprets it for any version, in both directions, for broker and client alike.
 *
 *   field('acks', 'int16', '0+')
 *   field('transactionalId', 'string', '3+', { nullable: '3+', default: null })
 *   field('topics', '[]', '0+', { of: [ ...fields ] })
 *   field('partitionIds', '[]int32', '0+')
 *   field('clusterId', 'string', '12+', { nullable: '12+', tag: 0, tagged: '12+', default: null })
 *
 * Version ranges are written as Kafka's specs write them: "3+", "0-5", "none".
 */

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint16'
  | 'uint32'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

/** Inclusive version range; `max` is Infinity for open ranges, and min > max means "never". */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const NEVER: VersionRange = { min: 1, max: 0 };

export function parseRange(spec: string): VersionRange {
  if (spec === 'none' || spec === '') return NEVER;
  if (spec.endsWith('+')) return { min: Number(spec.slice(0, -1)), max: Infinity };
  const dash = spec.indexOf('-');
  if (dash > 0) return { min: Number(spec.slice(0, dash)), max: Number(spec.slice(dash + 1)) };
  const v = Number(spec);
  return { min: v, max: v };
}

export function inRange(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max;
}

export type FieldDefault = boolean | number | string | null;

export interface FieldSpec {
  readonly name: string;
  /** A primitive, or 'struct' for a nested struct. */
  readonly type: PrimitiveType | 'struct';
  readonly array: boolean;
  readonly versions: VersionRange;
  readonly nullable: VersionRange;
  readonly tag: number | undefined;
  readonly tagged: VersionRange;
  readonly default: FieldDefault | undefined;
  /** Fields of the struct (or of each array element) when type is 'struct'. */
  readonly fields: readonly FieldSpec[];
}

export interface FieldOptions {
  nullable?: string;
  default?: FieldDefault;
  tag?: number;
  tagged?: string;
  of?: readonly FieldSpec[];
}

/**
 * Declare a field. `type` is a primitive, '[]' + primitive for arrays of primitives,
 * '[]' with `of` for arrays of structs, or '{}' with `of` for a single nested struct.
 */
export function field(name: string, type: string, versions: string, options: FieldOptions = {}): FieldSpec {
  let array = false;
  let base = type;
  if (base.startsWith('[]')) {
    array = true;
    base = base.slice(2);
  }
  let kind: PrimitiveType | 'struct';
  if (base === '' || base === '{}') {
    if (!options.of) throw new Error(`field ${name}: struct type needs 'of'`);
    kind = 'struct';
  } else {
    kind = base as PrimitiveType;
  }
  return {
    name,
    type: kind,
    array,
    versions: parseRange(versions),
    nullable: options.nullable ? parseRange(options.nullable) : NEVER,
    tag: options.tag,
    tagged: options.tagged ? parseRange(options.tagged) : NEVER,
    default: options.default,
    fields: options.of ?? [],
  };
}

export interface MessageSpec {
  readonly name: string;
  readonly validVersions: VersionRange;
  /** First flexible version (KIP-482), or Infinity when the message is never flexible. */
  readonly flexibleFrom: number;
  readonly fields: readonly FieldSpec[];
}

export function message(name: string, validVersions: string, flexibleVersions: string, fields: readonly FieldSpec[]): MessageSpec {
  const flex = parseRange(flexibleVersions);
  return {
    name,
    validVersions: parseRange(validVersions),
    flexibleFrom: flex.min > flex.max ? Infinity : flex.min,
    fields,
  };
}

export interface ApiSpec {
  readonly apiKey: number;
  readonly name: string;
  readonly request: MessageSpec;
  readonly response: MessageSpec;
}

export function api(apiKey: number, request: MessageSpec, response: MessageSpec): ApiSpec {
  return { apiKey, name: request.name.replace(/Request$/, ''), request, response };
}
