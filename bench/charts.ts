/**
 * Writes SVG bar charts for docs/benchmarks.md from the newest result of each workload in
 * bench/results: `node dist/bench/charts.js` (after `npm run bench …`). Plain SVG, no dependencies.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from './lib/results.js';

const OUT_DIR = join(RESULTS_DIR, '..', '..', 'docs', 'img');

interface Bar {
  label: string;
  value: number;
  color: string;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const rowH = 26;
  const left = 360;
  const width = 900;
  const top = 40;
  const max = Math.max(...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1);
  const height = top + bars.length * rowH + 20;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = Number.isFinite(b.value) ? ((width - left - 110) * b.value) / max : 0;
    parts.push(`<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${b.color}"/>`);
    const v = Number.isFinite(b.value) ? `${b.value.toLocaleString('en-US', { maximumFractionDigits: b.value < 10 ? 2 : 0 })} ${unit}` : 'failed';
    parts.push(`<text x="${left + w + 6}" y="${y + 16}">${esc(v)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function newest(workload: string): { rows: Array<Record<string, unknown>> } | null {
  let files: string[] = [];
  try {
    // `small-2026-…json`, not `small-vs-kafka-2026-…json`: the timestamp follows the name directly.
    files = readdirSync(RESULTS_DIR).filter((f) => f.startsWith(`${workload}-`) && /^\d{4}-/.test(f.slice(workload.length + 1)) && f.endsWith('.json')).sort();
  } catch {
    return null;
  }
  const f = files[files.length - 1];
  return f ? (JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as { rows: Array<Record<string, unknown>> }) : null;
}

const color = (system: string, role: string): string =>
  system.startsWith('tributary') || system.startsWith('broker') ? (role === 'produce' ? '#1f6feb' : '#58a6ff') : system.includes('→ Tributary') ? '#8957e5' : role === 'produce' ? '#6e7781' : '#afb8c1';

mkdirSync(OUT_DIR, { recursive: true });
for (const [workload, metric, unit] of [
  ['small', 'recordsPerSec', 'records/s'],
  ['topic16', 'mbPerSec', 'MB/s'],
  ['lz4', 'mbPerSec', 'MB/s'],
  ['zstd', 'mbPerSec', 'MB/s'],
  ['partitions1000', 'mbPerSec', 'MB/s'],
] as const) {
  const doc = newest(workload);
  if (!doc) continue;
  const bars = doc.rows.map((r) => ({ label: `${String(r['system'])} (${r['role'] === 'produce' ? 'in' : 'out'})`, value: Number(r[metric]), color: color(String(r['system']), String(r['role'])) }));
  const file = join(OUT_DIR, `bench-${workload}.svg`);
  writeFileSync(file, barChart(`${workload}: ${unit}, higher is better`, unit, bars));
  console.log(file);
}
const lat = newest('latency');
if (lat) {
  const bars: Bar[] = [];
  for (const r of lat.rows) for (const p of ['p50Ms', 'p99Ms', 'p999Ms'] as const) bars.push({ label: `${String(r['rate'])} ${p.replace('Ms', '').replace('p999', 'p99.9')}`, value: Number(r[p]), color: p === 'p50Ms' ? '#58a6ff' : p === 'p99Ms' ? '#1f6feb' : '#0a3069' });
  const file = join(OUT_DIR, 'bench-latency.svg');
  writeFileSync(file, barChart('latency: end-to-end ms, lower is better', 'ms', bars));
  console.log(file);
}

// `--vs kafka`: each client against both brokers, Tributary's bar above Kafka's.
for (const workload of ['small', 'topic16']) {
  const doc = newest(`${workload}-vs-kafka`);
  if (!doc) continue;
  const bars: Bar[] = doc.rows.map((r) => ({
    label: `${String(r['client'])} → ${r['broker'] === 'tributary' ? 'Tributary' : 'Kafka'}`,
    value: Number(r['recordsPerSec']),
    color: r['broker'] === 'tributary' ? (r['role'] === 'produce' ? '#1f6feb' : '#58a6ff') : r['role'] === 'produce' ? '#bc4c00' : '#fb8f44',
  }));
  bars.sort((a, b) => a.label.localeCompare(b.label));
  const file = join(OUT_DIR, `bench-${workload}-vs-kafka.svg`);
  writeFileSync(file, barChart(`${workload} vs Apache Kafka: records/s, higher is better`, 'records/s', bars));
  console.log(file);
}
