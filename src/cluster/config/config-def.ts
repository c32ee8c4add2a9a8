/**
 * The machinery shared by the broker and topic config tables: types, value parsing with Kafka's
 * rules (ConfigDef), validators, rendering values back to Kafka's strings, and "did you mean".
 */
import { ConfigError } from './errors.js';

/** Kafka's config types (ConfigDef.Type), minus CLASS which Tributary has no use for. */
export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'password';

/** DescribeConfigs `ConfigType` codes (DescribeConfigsResponse v3+) for each {@link ConfigType}. */
export const DESCRIBE_CONFIG_TYPE_CODES: Readonly<Record<ConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9,
};

/** DescribeConfigs `ConfigSource` codes (DescribeConfigsResponse v1+) for the sources Tributary reports. */
export const DESCRIBE_CONFIG_SOURCE_CODES = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** A parsed value. `null` is "not set" for properties whose default is null. */
export type ConfigValue = boolean | string | number | readonly string[] | null;

/** Java's Long.MAX_VALUE as Kafka writes it; Kafka uses it for "never" / "no limit". */
export const LONG_MAX_LITERAL = '9223372036854775807';
/**
 * How we hold Long.MAX_VALUE (and anything above 2^53 - 1) in a JS number: as "never". 2^53 ms is
 * about 285,000 years and 2^53 bytes is 8 PiB, so nothing real is lost. Rendered back as
 * {@link LONG_MAX_LITERAL}.
 */
export const NEVER = Number.MAX_SAFE_INTEGER;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const SHORT_MIN = -32768;
const SHORT_MAX = 32767;
const LONG_MIN_BIG = -(2n ** 63n);
const LONG_MAX_BIG = 2n ** 63n - 1n;

export interface Validator {
  /** True when the (non-null) value is acceptable. */
  test(value: Exclude<ConfigValue, null>): boolean;
  /** What is expected, completing "expected …", e.g. "a value >= 1". */
  readonly expected: string;
}

export interface ConfigDefinition {
  /** Kafka's property name. */
  readonly name: string;
  readonly type: ConfigType;
  /** The default as Kafka would write it (our default where we differ: see {@link kafkaDefault}); null = unset. */
  readonly default: string | null;
  readonly validator?: Validator;
  /** One line saying what the property does (our words). */
  readonly documentation: string;
  /** Whether Tributary acts on the property today. Accepted-but-ignored properties are false. */
  readonly honoured: boolean;
  /** Kafka's default, recorded when Tributary deliberately defaults differently. */
  readonly kafkaDefault?: string | null;
}

export function atLeast(min: number): Validator {
  return { test: (v) => typeof v === 'number' && v >= min, expected: `a value >= ${min}` };
}

export function between(min: number, max: number): Validator {
  return { test: (v) => typeof v === 'number' && v >= min && v <= max, expected: `a value between ${min} and ${max}` };
}

/** One of the given strings (case-sensitive, as Kafka's ValidString). */
export function oneOf(values: readonly string[]): Validator {
  return { test: (v) => typeof v === 'string' && values.includes(v), expected: `one of ${values.join(', ')}` };
}

/** A list whose every element is one of the given strings (Kafka's ValidList). */
export function listOf(values: readonly string[], allowEmpty = false): Validator {
  return {
    test: (v) => Array.isArray(v) && (allowEmpty || v.length > 0) && v.every((e) => values.includes(e)),
    expected: `a comma-separated list of ${values.join(', ')}${allowEmpty ? '' : ' (at least one)'}`,
  };
}

export function custom(test: (value: Exclude<ConfigValue, null>) => boolean, expected: string): Validator {
  return { test, expected };
}

function typeDescription(type: ConfigType): string {
  switch (type) {
    case 'boolean':
      return 'true or false';
    case 'int':
      return `an int (a whole number from ${INT_MIN} to ${INT_MAX})`;
    case 'short':
      return `a short (a whole number from ${SHORT_MIN} to ${SHORT_MAX})`;
    case 'long':
      return `a long (a whole number from -9223372036854775808 to ${LONG_MAX_LITERAL})`;
    case 'double':
      return 'a number';
    case 'list':
      return 'a comma-separated list';
    case 'string':
    case 'password':
      return 'a string';
  }
}

/** Quotes a value for an error message. Passwords are never echoed. */
function shown(def: ConfigDefinition, raw: string): string {
  return def.type === 'password' ? '(hidden)' : `'${raw}'`;
}

/**
 * Parses a raw string with Kafka's ConfigDef rules: numbers and booleans are trimmed, booleans are
 * case-insensitive, lists split on commas with surrounding whitespace, passwords kept verbatim.
 * Then validates. `kind` words the error ("broker config", "topic config").
 */
export function parseConfigValue(def: ConfigDefinition, raw: string, kind: string): ConfigValue {
  const fail = (expected: string): never => {
    throw new ConfigError(`Invalid value ${shown(def, raw)} for ${kind} '${def.name}': expected ${expected}.`, def.name);
  };
  const trimmed = raw.trim();
  let value: Exclude<ConfigValue, null>;
  switch (def.type) {
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower !== 'true' && lower !== 'false') fail(typeDescription('boolean'));
      value = lower === 'true';
      break;
    }
    case 'int':
    case 'short': {
      if (!/^[+-]?\d+$/.test(trimmed)) fail(typeDescription(def.type));
      const n = Number(trimmed);
      const [lo, hi] = def.type === 'int' ? [INT_MIN, INT_MAX] : [SHORT_MIN, SHORT_MAX];
      if (n < lo || n > hi) fail(typeDescription(def.type));
      value = n;
      break;
    }
    case 'long': {
      if (!/^[+-]?\d+$/.test(trimmed)) fail(typeDescription('long'));
      const big = BigInt(trimmed);
      if (big < LONG_MIN_BIG || big > LONG_MAX_BIG) fail(typeDescription('long'));
      value = big > BigInt(NEVER) ? NEVER : big < -BigInt(NEVER) ? -NEVER : Number(big);
      break;
    }
    case 'double': {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) fail(typeDescription('double'));
      value = Number(trimmed);
      break;
    }
    case 'list':
      value = trimmed === '' ? [] : trimmed.split(/\s*,\s*/).filter((e) => e !== '');
      break;
    case 'string':
      value = trimmed;
      break;
    case 'password':
      value = raw;
      break;
  }
  if (def.validator && !def.validator.test(value)) fail(def.validator.expected);
  return value;
}

/** The parsed default of a definition (defaults are literals in our tables, so this cannot fail). */
export function parseDefault(def: ConfigDefinition, kind: string): ConfigValue {
  return def.default === null ? null : parseConfigValue(def, def.default, kind);
}

/** Renders a parsed value as Kafka shows it in DescribeConfigs; "never" becomes Long.MAX_VALUE. */
export function renderConfigValue(type: ConfigType, value: ConfigValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'number') {
    if (type === 'long' && value >= NEVER) return LONG_MAX_LITERAL;
    if (type === 'double' && Number.isInteger(value)) return value.toFixed(1); // Java prints 1.0, not 1
    return String(value);
  }
  return String(value);
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known name closest to `name`, if it is close enough to be a plausible typo. */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = candidate === lower ? 0.5 : editDistance(lower, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  // Allow about one edit per four characters (at least 2): typos, not unrelated names.
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}
