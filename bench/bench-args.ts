/** Command-line flags and table printing shared by the benchmark workloads. */
export interface BenchArgs {
  readonly argv: readonly string[];
  number(flag: string, fallback: number): number;
  string(flag: string, fallback: string): string;
  has(flag: string): boolean;
}

export function benchArgs(argv: readonly string[]): BenchArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    argv,
    number: (flag, fallback) => {
      const v = value(flag);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`${flag} needs a number, got '${v}'`);
      return n;
    },
    string: (flag, fallback) => value(flag) ?? fallback,
    has: (flag) => argv.includes(flag),
  };
}

export function printTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
