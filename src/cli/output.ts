/**
 * Output helpers: aligned tables (like rpk / kafka-consumer-groups), JSON, and colour that is only
 * used when the stream is a terminal, NO_COLOR is unset and --no-color was not given.
 */

export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

function wrap(enabled: boolean, open: number, close: number): (s: string) => string {
  return enabled ? (s) => `\u001b[${open}m${s}\u001b[${close}m` : (s) => s;
}

export function makeStyle(enabled: boolean): Style {
  return {
    enabled,
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
    red: wrap(enabled, 31, 39),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    cyan: wrap(enabled, 36, 39),
  };
}

/** Colour for a stream: a TTY, NO_COLOR unset (https://no-color.org), not disabled by --no-color. */
export function colourFor(stream: NodeJS.WriteStream, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false;
  const noColor = env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/**
 * Formats rows as a table: header row in upper case (bold on a terminal), columns separated by
 * two spaces, numbers right-aligned when `numeric` says so.
 */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>, style: Style, numeric: readonly boolean[] = []): string[] {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const pad = (s: string, i: number): string => {
    const gap = ' '.repeat(Math.max(0, widths[i]! - visibleLength(s)));
    return numeric[i] ? gap + s : s + gap;
  };
  const line = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 && !numeric[i] ? c : pad(c, i))).join('  ').trimEnd();
  return [style.bold(line(headers.map((h) => h.toUpperCase()))), ...cells.map(line)];
}

/** `key: value` lines with the keys aligned. */
export function keyValues(pairs: ReadonlyArray<readonly [string, string | number]>, style: Style): string[] {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${style.bold(`${k}:`.padEnd(w + 1))} ${String(v)}`);
}

export function json(value: unknown): string {
  return JSON.stringify(value);
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
