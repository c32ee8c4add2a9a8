/**
 * Parsers for flag values. They throw commander's InvalidArgumentError, which the CLI reports as
 * "option '--x <n>' argument 'y' is invalid. <why>" with exit status 2.
 */
import { InvalidArgumentError } from 'commander';

export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionFlag = (typeof COMPRESSIONS)[number];

/** An integer in [min, max]. */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const t = value.trim();
    if (!/^[-+]?\d+$/.test(t)) throw new InvalidArgumentError(`Expected an integer${boundsText(min, max)}.`);
    const n = Number(t);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`Expected an integer${boundsText(min, max)}.`);
    return n;
  };
}

function boundsText(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return min === Number.MIN_SAFE_INTEGER ? '' : ` >= ${min}`;
  return ` from ${min} to ${max}`;
}

/** Any integer (may be negative), e.g. --shift-by -10. */
export const signedIntArg = intArg(Number.MIN_SAFE_INTEGER);

/** Repeatable flag: collects values into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Splits `name=value` (value may contain '='). */
export function splitKeyValue(text: string, flag: string, example: string): [string, string] {
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq).trim();
  if (key === '') throw new InvalidArgumentError(`Expected name=value, e.g. ${flag} ${example}.`);
  return [key, text.slice(eq + 1)];
}

/** Repeatable `name=value` flag collected in order. */
export function keyValueArg(flag: string, example: string) {
  return (value: string, previous: Array<[string, string]> | undefined): Array<[string, string]> => [
    ...(previous ?? []),
    splitKeyValue(value, flag, example),
  ];
}

export type AcksFlag = -1 | 0 | 1;

export function acksArg(value: string): AcksFlag {
  const v = value.trim().toLowerCase();
  if (v === 'all' || v === '-1') return -1;
  if (v === '0') return 0;
  if (v === '1') return 1;
  throw new InvalidArgumentError('Expected all (or -1), 1 or 0.');
}

export function compressionArg(value: string): CompressionFlag {
  const v = value.trim().toLowerCase();
  if ((COMPRESSIONS as readonly string[]).includes(v)) return v as CompressionFlag;
  throw new InvalidArgumentError(`Expected one of ${COMPRESSIONS.join(', ')}.`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A point in time: an ISO-8601 date/time ("2024-05-01", "2024-05-01T12:00:00Z", local time when no
 * zone is given), milliseconds since the epoch, or a time relative to now ("-15m", "-2h", "-1d").
 */
export function parseTimestamp(value: string, nowMs = Date.now()): number {
  const t = value.trim();
  const rel = /^-(\d+)(ms|s|m|h|d|w)$/.exec(t);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (t === 'now') return nowMs;
  if (/^\d{10,}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new InvalidArgumentError('Expected an ISO date/time (2024-05-01T12:00:00Z), epoch milliseconds, or a relative time such as -15m, -2h, -1d.');
}

export function timestampArg(value: string): number {
  return parseTimestamp(value);
}

/**
 * `topic` or `topic:0,2,5` (partitions) for --topic of group reset-offsets.
 */
export function topicPartitionsArg(value: string, previous: Array<{ topic: string; partitions: number[] | null }> | undefined) {
  const colon = value.lastIndexOf(':');
  let topic = value;
  let partitions: number[] | null = null;
  if (colon > 0) {
    topic = value.slice(0, colon);
    const list = value.slice(colon + 1).split(',').map((s) => s.trim());
    if (list.some((s) => !/^\d+$/.test(s))) throw new InvalidArgumentError('Expected a topic, or topic:partition[,partition...] such as orders:0,1.');
    partitions = list.map(Number);
  }
  if (topic.trim() === '') throw new InvalidArgumentError('Expected a topic name.');
  return [...(previous ?? []), { topic, partitions }];
}
