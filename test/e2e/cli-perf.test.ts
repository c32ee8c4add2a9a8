/**
 * `tributary perf produce|consume` as a user runs them: plain periodic progress lines when stderr
 * is not a terminal, the summary on stdout (text and --json), and — in a real terminal (tmux) — a
 * progress bar that updates in place while records are sent.
 *
 * The terminal test needs tmux (`apt-get install -y tmux`; .ci/run installs it). Without it the
 * test FAILS, saying so: it is never skipped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { brokerCli } from '../helpers/paths.js';
import { cliEnv, cliOk as ok, formatRunFailure, runCli, type RunResult } from '../helpers/proc.js';

let broker: BrokerHandle;

before(async () => {
  broker = await startBroker({ config: { 'num.partitions': 2, 'group.initial.rebalance.delay.ms': 0 } });
});

after(async () => {
  await broker?.close();
});

function cli(args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return runCli(args, { timeoutMs, env: cliEnv(broker.bootstrap) });
}

interface Summary {
  test: string;
  records: number;
  bytes: number;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  latencyMs: { avg: number; p50: number; p95: number; p99: number; p999: number; max: number };
  errors: number;
}

function checkLatency(l: Summary['latencyMs']): void {
  assert.ok(l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, JSON.stringify(l));
  assert.ok(l.avg > 0 && l.avg <= l.max, JSON.stringify(l));
}

test('perf produce: periodic lines off a terminal, text summary; --json; --throughput caps the rate', async () => {
  let r = ok(await cli(['perf', 'produce', '--topic', 'perf', '--num-records', '30000', '--record-size', '200', '--throughput', '20000', '--reporting-interval', '300ms', '--acks', '1', '--linger-ms', '2', '--batch-size', '32768']));
  const progress = r.stderr.split('\n').filter((l) => /^\d+ records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency\.$/.test(l));
  assert.ok(progress.length >= 2, `periodic progress lines on stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\r|\u001b\[/, 'no terminal control sequences off a terminal');
  assert.match(r.stdout, /^records:\s+30,000$/m);
  assert.match(r.stdout, /^elapsed:\s+[\d.]+ s$/m);
  assert.match(r.stdout, /^throughput:\s+[\d,]+ records\/s, [\d.]+ MB\/s$/m);
  assert.match(r.stdout, /^latency ms:\s+avg [\d.]+\s+p50 [\d.]+\s+p95 [\d.]+\s+p99 [\d.]+\s+p99\.9 [\d.]+\s+max [\d.]+$/m);
  const rate = Number(/throughput:\s+([\d,]+)/.exec(r.stdout)![1]!.replace(/,/g, ''));
  assert.ok(rate <= 20000 * 1.1, `--throughput 20000 caps the rate (got ${rate}/s)`);

  r = ok(await cli(['perf', 'produce', '-t', 'perf', '-n', '20000', '-s', '100', '-z', 'lz4', '--acks', 'all', '--json', '--no-progress']));
  assert.equal(r.stderr, '');
  const s = JSON.parse(r.stdout) as Summary;
  assert.equal(s.test, 'produce');
  assert.equal(s.records, 20000);
  assert.equal(s.bytes, 2_000_000);
  assert.equal(s.errors, 0);
  assert.ok(s.recordsPerSec > 0 && s.mbPerSec > 0 && s.elapsedMs > 0);
  checkLatency(s.latencyMs);
});

test('perf consume: reads what is there (all partitions, from the start) or -n records; --json', async () => {
  ok(await cli(['perf', 'produce', '-t', 'perf-c', '-n', '25000', '-s', '64', '--no-progress', '--json']));
  let r = ok(await cli(['perf', 'consume', '--topic', 'perf-c', '--json', '--no-progress']));
  const s = JSON.parse(r.stdout) as Summary;
  assert.equal(s.test, 'consume');
  assert.equal(s.records, 25000);
  assert.equal(s.bytes, 25000 * 64);
  checkLatency(s.latencyMs);

  r = ok(await cli(['perf', 'consume', '-t', 'perf-c', '-n', '10000', '-g', 'perf-group', '--reporting-interval', '200ms']));
  assert.match(r.stdout, /^records:\s+10,000$/m);
  assert.match(r.stdout, /^latency ms:\s+avg /m);

  // More records asked for than arrive: stops after --idle-timeout, says so, exit 1.
  r = await cli(['perf', 'consume', '-t', 'perf-c', '-n', '30000', '--idle-timeout', '1s', '--json', '--no-progress']);
  assert.equal(r.code, 1, formatRunFailure(r));
  assert.match(r.stderr, /tributary: only 25000 of 30000 records arrived; none for 1000 ms \(--idle-timeout\)/);
  assert.equal((JSON.parse(r.stdout) as Summary).records, 25000);

  ok(await cli(['topic', 'create', 'empty']));
  r = await cli(['perf', 'consume', '-t', 'empty']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /tributary: topic 'empty' is empty — produce some records first/);
  r = await cli(['perf', 'consume', '-t', 'ghost']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /topic 'ghost' does not exist/);
  r = await cli(['perf', 'produce', '-n', '10']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /required option '-t, --topic <topic>' not specified/);
  r = await cli(['perf', 'produce', '-t', 'x', '--record-size', 'big']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--record-size/);
});

function tmux(socket: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw new Error(`tmux ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('in a terminal (tmux) the progress bar updates in place during perf produce', async (t) => {
  const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    assert.fail('tmux is required for the terminal test and is not installed: apt-get install -y tmux (.ci/run installs it)');
  }
  const socket = `tributary-cli-perf-${process.pid}`;
  const session = 'perf';
  t.after(() => {
    tmux(socket, 'kill-server');
  });
  const command = [process.execPath, brokerCli, '-b', broker.bootstrap, 'perf', 'produce', '-t', 'tty', '-n', '250000', '-s', '100', '--throughput', '100000']
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  const started = tmux(socket, 'new-session', '-d', '-s', session, '-x', '160', '-y', '20', `${command}; echo "EXIT=$?"; sleep 60`);
  assert.equal(started.status, 0, `tmux new-session: ${started.stderr}`);

  const percents: number[] = [];
  const snapshots = new Set<string>();
  let screen = '';
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    screen = tmux(socket, 'capture-pane', '-p', '-t', session).stdout;
    const bar = screen.split('\n').find((l) => /^produce \[[=> ]+\]\s+\d+%/.test(l));
    if (bar) {
      snapshots.add(bar.trim());
      const pct = Number(/(\d+)%/.exec(bar)![1]);
      if (percents[percents.length - 1] !== pct) percents.push(pct);
    }
    if (/EXIT=\d+/.test(screen)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(screen, /EXIT=0/, `perf produce finished in the terminal:\n${screen}`);
  assert.ok(percents.length >= 4, `the bar was seen at several points: ${percents.join(', ')}\n${screen}`);
  for (let i = 1; i < percents.length; i++) assert.ok(percents[i]! >= percents[i - 1]!, `progress only moves forward: ${percents.join(', ')}`);
  assert.equal(percents[percents.length - 1], 100);
  assert.ok([...snapshots].some((l) => /\d[\d,]* rec\/s\s+[\d.]+ MB\/s/.test(l) && !/ 0 rec\/s/.test(l)), `the bar shows a live rate:\n${[...snapshots].join('\n')}`);
  // Redrawn in place: one bar line on the screen, not one line per update.
  const final = screen.split('\n');
  assert.equal(final.filter((l) => /^produce \[/.test(l)).length, 1, screen);
  assert.ok(final.some((l) => /^records:\s+250,000$/.test(l)), screen);
  assert.ok(final.some((l) => /^latency ms:\s+avg/.test(l)), screen);
});
