/**
 * `tributary consume` as a user runs it: without a group (every partition, or -p) and with -g,
 * from the beginning / an offset / a timestamp / the end, -n, -e, --follow until Ctrl-C, the
 * kcat-like -f template and --json lines; records written by `tributary produce`. And its errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { cliEnv, cliFails as fails, cliOk as ok, formatRunFailure, runCli, startCli, type RunResult } from '../helpers/proc.js';

let broker: BrokerHandle;

before(async () => {
  broker = await startBroker({ config: { 'num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 } });
});

after(async () => {
  await broker?.close();
});

function env(): NodeJS.ProcessEnv {
  return cliEnv(broker.bootstrap);
}

function cli(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return runCli(args, { timeoutMs: opts.timeoutMs, input: opts.input, env: env() });
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

test('no group: --from-beginning -e, formats, --json, -n, -p with --offset, --from-timestamp, default from the end', async () => {
  ok(await cli(['topic', 'create', 'shop', '-p', '2']));
  ok(await cli(['produce', 'shop', '-p', '0', '-K', '=', '-H', 'src=test'], { input: 'k1=apple\nk2=banana\nk3=cherry\n' }));
  const before = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  ok(await cli(['produce', 'shop', '-p', '1'], { input: 'date\nelder\n' }));

  let r = ok(await cli(['consume', 'shop', '--from-beginning', '-e']));
  assert.deepEqual(lines(r.stdout).sort(), ['apple', 'banana', 'cherry', 'date', 'elder']);
  assert.equal(r.stderr, 'Consumed 5 records.\n');

  r = ok(await cli(['consume', 'shop', '--from-beginning', '--exit-at-end', '-f', '%t|%p|%o|%k|%s|%h|%K|%S\\n', '-q']));
  assert.equal(r.stderr, '');
  assert.deepEqual(lines(r.stdout).sort(), [
    'shop|0|0|k1|apple|src=test|2|5',
    'shop|0|1|k2|banana|src=test|2|6',
    'shop|0|2|k3|cherry|src=test|2|6',
    'shop|1|0||date||-1|4',
    'shop|1|1||elder||-1|5',
  ]);

  r = ok(await cli(['consume', 'shop', '-p', '0', '--from-beginning', '-n', '2', '--json']));
  const recs = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(recs.length, 2);
  assert.deepEqual({ ...recs[0], timestamp: 0 }, { topic: 'shop', partition: 0, offset: 0, timestamp: 0, key: 'k1', value: 'apple', headers: [{ key: 'src', value: 'test' }] });
  assert.equal(typeof recs[0]!['timestamp'], 'number');
  assert.equal(recs[1]!['value'], 'banana');

  r = ok(await cli(['consume', 'shop', '-p', '0', '--offset', '2', '-e', '-f', '%o:%s\\n']));
  assert.equal(r.stdout, '2:cherry\n');

  r = ok(await cli(['consume', 'shop', '--from-timestamp', String(before), '-e']));
  assert.deepEqual(lines(r.stdout).sort(), ['date', 'elder'], 'only the records written after the timestamp');
  r = ok(await cli(['consume', 'shop', '--from-timestamp', '-1h', '-e', '-q']));
  assert.equal(lines(r.stdout).length, 5);

  // Default (no group): from the end, so -e prints nothing.
  r = ok(await cli(['consume', 'shop', '-e']));
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'Consumed 0 records.\n');
});

test('--follow (the default) prints records as they arrive; Ctrl-C stops it with status 0', async () => {
  ok(await cli(['topic', 'create', 'live']));
  const seen: string[] = [];
  const p = startCli(['consume', 'live'], { timeoutMs: 30_000, env: env(), onStdoutLine: (l) => seen.push(l) });
  // Produce until the consumer (started at the end) has seen something.
  for (let i = 0; i < 50 && seen.length === 0; i++) {
    ok(await cli(['produce', 'live', '-q'], { input: `tick-${i}\n` }));
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(seen.length > 0 && seen.every((l) => /^tick-\d+$/.test(l)), `followed: ${seen.join(',')}\n${p.stderrSoFar()}`);
  p.kill('SIGINT');
  const r = await p.done;
  assert.equal(r.code, 0, formatRunFailure(r, 'consume'));
  assert.match(r.stderr, /Consumed \d+ records?\./);
});

test('with a group: offsets are committed, the next run continues where the last stopped', async () => {
  ok(await cli(['topic', 'create', 'jobs', '-p', '2']));
  ok(await cli(['produce', 'jobs'], { input: Array.from({ length: 10 }, (_, i) => `job-${i}`).join('\n') + '\n' }));
  let r = ok(await cli(['consume', 'jobs', '-g', 'workers', '--from-beginning', '-n', '4']));
  assert.equal(lines(r.stdout).length, 4);
  r = ok(await cli(['group', 'describe', 'workers', '--json']));
  const d = JSON.parse(r.stdout) as { totalLag: number };
  assert.equal(d.totalLag, 6, 'the 4 printed records were committed');
  r = ok(await cli(['consume', 'jobs', '-g', 'workers', '-e']));
  const rest = lines(r.stdout);
  assert.equal(rest.length, 6, r.stdout);
  r = ok(await cli(['consume', 'jobs', '-g', 'workers', '-e']));
  assert.equal(r.stdout, '', 'nothing left for the group');
  r = ok(await cli(['group', 'describe', 'workers', '--json']));
  assert.equal((JSON.parse(r.stdout) as { totalLag: number }).totalLag, 0);
  // --offset applies to the group's partitions when they are first assigned.
  r = ok(await cli(['consume', 'jobs', '-g', 'workers', '--offset', '0', '-e', '-q']));
  assert.equal(lines(r.stdout).length, 10);
});

test('errors: unknown topic, missing partition, bad flags, unreachable broker', async () => {
  let r = fails(await cli(['consume', 'ghost', '-e']), 1);
  assert.match(r.stderr, /tributary: topic 'ghost' does not exist — list topics with `tributary topic list`/);
  ok(await cli(['topic', 'create', 'one']));
  fails(await cli(['consume', 'one', '-p', '3', '-e']), 1, /topic 'one' has no partition 3/);
  fails(await cli(['consume', 'one', '--from-beginning', '--offset', '1']), 2, /only one of --from-beginning, --offset/);
  fails(await cli(['consume', 'one', '-e', '--follow']), 2, /pick one/);
  fails(await cli(['consume', 'one', '-g', 'x', '-p', '0']), 2, /--partition reads without a group/);
  fails(await cli(['consume', 'one', '-f', '%q']), 2, /unknown format token '%q'/);
  fails(await cli(['consume', 'one', '-n', '0']), 2, /--count/);
  fails(await cli(['consume', 'one', '--from-timestamp', 'later']), 2, /ISO date/);
  r = await runCli(['consume', 'one'], { timeoutMs: 20_000, env: cliEnv('127.0.0.1:1') });
  fails(r, 1, /cannot reach a broker at 127\.0\.0\.1:1 \(connection refused\)/);
});
