import fs from 'node:fs';

/**
 * Test records with self-describing values, and one checker shared by every real-client test.
 *
 * Value format: `<key>|<seq>|<index>|<filler>` where `seq` is the per-key sequence number (0, 1,
 * 2, ... for each key) and `index` the global produce index. The filler makes values of varying
 * size and compressible; it never contains tab, newline, comma, '=' or '|'.
 */
export interface TestRecord {
  key: string;
  value: string;
  /** Header name -> value (all ASCII). Empty when the client cannot send headers. */
  headers: Record<string, string>;
  /** Explicit CreateTime in ms, or null when the client cannot set it. */
  timestamp: number | null;
}

export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: number;
  /** 0 CreateTime, 1 LogAppendTime, null if the client does not tell. */
  timestampType?: number | null;
}

export interface MakeRecordsOptions {
  count: number;
  keys?: number;
  withHeaders?: boolean;
  /** Set explicit timestamps baseTimestamp + index (ms). */
  baseTimestamp?: number | null;
  /** Prefix of keys, to tell test runs apart. */
  keyPrefix?: string;
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

export function makeRecords(opts: MakeRecordsOptions): TestRecord[] {
  const keys = opts.keys ?? 41;
  const prefix = opts.keyPrefix ?? 'key';
  const seqByKey = new Map<string, number>();
  const records: TestRecord[] = [];
  for (let i = 0; i < opts.count; i++) {
    // A scrambled (but deterministic) key order, so consecutive records hit different partitions.
    const key = `${prefix}-${(i * 7 + (i >> 5)) % keys}`;
    const seq = seqByKey.get(key) ?? 0;
    seqByKey.set(key, seq + 1);
    const fillerWords = (i * 13) % 17;
    let filler = '';
    for (let w = 0; w < fillerWords; w++) filler += `${WORDS[(i + w * 5) % WORDS.length]}-${(i * 31 + w) % 1000} `;
    const value = `${key}|${seq}|${i}|${filler.trim()}`;
    const headers: Record<string, string> = opts.withHeaders ? { 'h-index': String(i), 'h-key': key, 'trace id': `t-${i % 97}` } : {};
    const timestamp = opts.baseTimestamp != null ? opts.baseTimestamp + i : null;
    records.push({ key, value, headers, timestamp });
  }
  return records;
}

/** Write records as JSON lines (the input format of the python client scripts). */
export async function writeRecordsJsonl(file: string, records: readonly TestRecord[]): Promise<void> {
  const lines = records.map((r) => JSON.stringify({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }));
  await fs.promises.writeFile(file, lines.join('\n') + '\n');
}

export interface ParsedValue {
  key: string;
  seq: number;
  index: number;
}

export function parseValue(value: string): ParsedValue | null {
  const parts = value.split('|');
  if (parts.length !== 4) return null;
  const seq = Number(parts[1]);
  const index = Number(parts[2]);
  if (!Number.isInteger(seq) || !Number.isInteger(index)) return null;
  return { key: parts[0]!, seq, index };
}

export type TimestampCheck =
  | { kind: 'exact' }
  /** CreateTime assigned by the client: within [minMs, maxMs]. */
  | { kind: 'window'; minMs: number; maxMs: number };

export interface VerifyOptions {
  partitions: number;
  timestamps: TimestampCheck;
  /** Compare headers (when the client reports them). */
  checkHeaders: boolean;
  /** Headers every record carries instead of the per-record ones (kcat -H). */
  fixedHeaders?: Record<string, string>;
  /** Expect offsets 0..n-1 in every partition (fresh topic, single producer, no faults). Default true. */
  contiguousFromZero?: boolean;
  label: string;
}

/**
 * Checks a full round trip: every produced record is consumed exactly once with key, value,
 * headers and timestamp intact; all records of a key live in one partition; offsets in each
 * partition are strictly increasing in consumption order; and per-key sequence numbers appear in
 * offset order without gaps (so produce order is kept within each partition).
 * Throws one Error listing (up to 20 of) the problems found.
 */
export function verifyRoundTrip(expected: readonly TestRecord[], consumed: readonly ConsumedRecord[], opts: VerifyOptions): void {
  const problems: string[] = [];
  const problem = (msg: string): void => {
    if (problems.length < 20) problems.push(msg);
    else if (problems.length === 20) problems.push('... (more problems omitted)');
  };

  if (consumed.length !== expected.length) problem(`consumed ${consumed.length} records, produced ${expected.length}`);

  const seen = new Map<number, ConsumedRecord>();
  const seenPos = new Set<string>();
  const partitionOfKey = new Map<string, number>();
  const lastOffsetInPartition = new Map<number, number>();
  const byPartition = new Map<number, ConsumedRecord[]>();

  for (const rec of consumed) {
    const pos = `${rec.partition}@${rec.offset}`;
    if (seenPos.has(pos)) problem(`offset consumed twice: partition ${rec.partition} offset ${rec.offset}`);
    seenPos.add(pos);
    if (!Number.isInteger(rec.partition) || rec.partition < 0 || rec.partition >= opts.partitions) {
      problem(`record in unexpected partition ${rec.partition} (topic has ${opts.partitions})`);
    }
    const last = lastOffsetInPartition.get(rec.partition);
    if (last !== undefined && rec.offset <= last) {
      problem(`partition ${rec.partition}: offset ${rec.offset} consumed after offset ${last} (not strictly increasing)`);
    }
    lastOffsetInPartition.set(rec.partition, rec.offset);
    let list = byPartition.get(rec.partition);
    if (!list) byPartition.set(rec.partition, (list = []));
    list.push(rec);

    if (rec.value === null) {
      problem(`${pos}: null value`);
      continue;
    }
    const parsed = parseValue(rec.value);
    if (!parsed || parsed.index < 0 || parsed.index >= expected.length) {
      problem(`${pos}: unexpected value ${JSON.stringify(rec.value.slice(0, 120))}`);
      continue;
    }
    const exp = expected[parsed.index]!;
    if (seen.has(parsed.index)) {
      const prev = seen.get(parsed.index)!;
      problem(`record #${parsed.index} consumed twice: at ${prev.partition}@${prev.offset} and ${pos}`);
    }
    seen.set(parsed.index, rec);
    if (rec.value !== exp.value) problem(`${pos}: value differs: got ${JSON.stringify(rec.value.slice(0, 120))}, want ${JSON.stringify(exp.value.slice(0, 120))}`);
    if (rec.key !== exp.key) problem(`${pos}: key differs for record #${parsed.index}: got ${JSON.stringify(rec.key)}, want ${JSON.stringify(exp.key)}`);
    const keyPartition = partitionOfKey.get(exp.key);
    if (keyPartition === undefined) partitionOfKey.set(exp.key, rec.partition);
    else if (keyPartition !== rec.partition) problem(`key ${exp.key} found in partitions ${keyPartition} and ${rec.partition}`);
    if (opts.checkHeaders) {
      const want = opts.fixedHeaders ?? exp.headers;
      if (!sameHeaders(rec.headers, want)) {
        problem(`${pos}: headers differ for record #${parsed.index}: got ${JSON.stringify(rec.headers)}, want ${JSON.stringify(want)}`);
      }
    }
    if (opts.timestamps.kind === 'exact') {
      if (rec.timestamp !== exp.timestamp) problem(`${pos}: timestamp differs for record #${parsed.index}: got ${rec.timestamp}, want ${exp.timestamp}`);
    } else if (!(rec.timestamp >= opts.timestamps.minMs && rec.timestamp <= opts.timestamps.maxMs)) {
      problem(`${pos}: timestamp ${rec.timestamp} outside the produce window [${opts.timestamps.minMs}, ${opts.timestamps.maxMs}]`);
    }
    if (rec.timestampType !== undefined && rec.timestampType !== null && rec.timestampType !== 0) {
      problem(`${pos}: timestamp type ${rec.timestampType}, want 0 (CreateTime)`);
    }
  }

  const missing: number[] = [];
  for (let i = 0; i < expected.length; i++) if (!seen.has(i)) missing.push(i);
  if (missing.length > 0) problem(`${missing.length} produced records never consumed, e.g. #${missing.slice(0, 10).join(', #')}`);

  // Produce order within each partition: in offset order, each key's sequence numbers run 0, 1, 2, ...
  for (const [partition, recs] of byPartition) {
    const sorted = [...recs].sort((a, b) => a.offset - b.offset);
    if (opts.contiguousFromZero ?? true) {
      sorted.forEach((r, i) => {
        if (r.offset !== i && problems.length < 20) problem(`partition ${partition}: offsets not contiguous from 0: position ${i} has offset ${r.offset}`);
      });
    }
    const nextSeq = new Map<string, number>();
    for (const r of sorted) {
      const parsed = r.value === null ? null : parseValue(r.value);
      if (!parsed) continue;
      const want = nextSeq.get(parsed.key) ?? 0;
      if (parsed.seq !== want) {
        problem(`partition ${partition} offset ${r.offset}: key ${parsed.key} has sequence ${parsed.seq}, expected ${want} (order within the partition not kept)`);
      }
      nextSeq.set(parsed.key, parsed.seq + 1);
    }
  }
  if (byPartition.size !== opts.partitions && expected.length >= 100) {
    problem(`records landed in ${byPartition.size} partitions (${[...byPartition.keys()].join(',')}), expected all ${opts.partitions}`);
  }

  if (problems.length > 0) {
    throw new Error(`${opts.label}: round trip check failed:\n  - ${problems.join('\n  - ')}`);
  }
}

function sameHeaders(got: Record<string, string>, want: Record<string, string>): boolean {
  const gk = Object.keys(got).sort();
  const wk = Object.keys(want).sort();
  if (gk.length !== wk.length) return false;
  return gk.every((k, i) => k === wk[i] && got[k] === want[k]);
}
