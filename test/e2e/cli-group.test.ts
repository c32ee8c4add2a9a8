/**
 * `tributary group list|describe|reset-offsets|delete` as a user runs them, against a real broker
 * with a live kafkajs consumer as the group member: describe shows the member, its assignment and
 * per-partition CURRENT-OFFSET / LOG-END-OFFSET / LAG; reset-offsets is a dry run unless --execute
 * and refuses an active group.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { cliEnv, cliFails as fails, cliOk as ok, runCli, type RunResult } from '../helpers/proc.js';

let broker: BrokerHandle;

before(async () => {
  broker = await startBroker({ config: { 'num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 } });
});

after(async () => {
  await broker?.close();
});

function cli(args: string[], opts: { input?: string } = {}): Promise<RunResult> {
  return runCli(args, { timeoutMs: 20_000, input: opts.input, env: cliEnv(broker.bootstrap) });
}

/** Rows of a table printed by the CLI, split on runs of spaces, without the header. */
function rows(stdout: string, header: RegExp): string[][] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  assert.ok(start >= 0, `table ${header} in:\n${stdout}`);
  const out: string[][] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '') break;
    out.push(l.trim().split(/\s+/));
  }
  return out;
}

type DescribeJson = {
  group: string;
  state: string;
  members: Array<{ clientId: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
  partitions: Array<{ topic: string; partition: number; currentOffset: number | null; logEndOffset: number; lag: number | null; clientId: string | null }>;
  totalLag: number;
};

test('group lifecycle with a live member: list, describe with lag, reset (dry run, refused while active, executed), delete', async (t) => {
  ok(await cli(['topic', 'create', 'events', '-p', '2']));
  // 6 records on partition 0, 4 on partition 1.
  ok(await cli(['produce', 'events', '-p', '0'], { input: 'a\nb\nc\nd\ne\nf\n' }));
  ok(await cli(['produce', 'events', '-p', '1'], { input: 'g\nh\ni\nj\n' }));

  let r = ok(await cli(['group', 'list']));
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /No consumer groups yet/);

  // A kafkajs member consumes everything and commits; then more records arrive (lag).
  const { kafka, logTail } = makeKafka(broker.bootstrap, 'cli-group-member');
  const consumer = kafka.consumer({ groupId: 'billing', sessionTimeout: 10_000, heartbeatInterval: 300 });
  t.after(() => consumer.disconnect().catch(() => undefined));
  await consumer.connect();
  await consumer.subscribe({ topic: 'events', fromBeginning: true });
  let seen = 0;
  await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void seen++ });
  for (let i = 0; i < 200 && seen < 10; i++) await new Promise((res) => setTimeout(res, 50));
  assert.equal(seen, 10, logTail());
  await consumer.stop();
  // stop() commits and leaves the group; run again to rejoin (there is nothing more to consume yet).
  await consumer.run({ eachMessage: async () => void seen++ });
  let d: DescribeJson | undefined;
  for (let i = 0; i < 100; i++) {
    const out = await cli(['group', 'describe', 'billing', '--json']);
    if (out.code === 0) {
      d = JSON.parse(out.stdout) as DescribeJson;
      if (d.state === 'Stable' && d.members.length === 1 && d.partitions.every((p) => p.currentOffset === p.logEndOffset)) break;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(d && d.state === 'Stable', `group reached Stable: ${JSON.stringify(d)}`);
  await consumer.pause([{ topic: 'events' }]);
  ok(await cli(['produce', 'events', '-p', '1'], { input: 'k\nl\nm\n' }));

  r = ok(await cli(['group', 'list']));
  assert.deepEqual(rows(r.stdout, /^GROUP\s+STATE/), [['billing', 'Stable', 'consumer']]);
  r = ok(await cli(['group', 'list', '--json']));
  assert.deepEqual(JSON.parse(r.stdout), [{ group: 'billing', state: 'Stable', protocolType: 'consumer' }]);

  r = ok(await cli(['group', 'describe', 'billing']));
  assert.match(r.stdout, /state:\s+Stable/);
  assert.match(r.stdout, /members:\s+1/);
  assert.match(r.stdout, /total lag:\s+3/);
  const parts = rows(r.stdout, /^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID$/);
  assert.deepEqual(parts.map((p) => p.slice(0, 6)), [
    ['billing', 'events', '0', '6', '6', '0'],
    ['billing', 'events', '1', '4', '7', '3'],
  ]);
  for (const p of parts) assert.equal(p[8], 'cli-group-member', 'the owning member is shown');
  const members = rows(r.stdout, /^MEMBER-ID\s+INSTANCE-ID\s+CLIENT-ID\s+HOST\s+ASSIGNMENT$/);
  assert.equal(members.length, 1);
  assert.equal(members[0]![2], 'cli-group-member');
  assert.equal(members[0]![4], 'events[0,1]');

  // reset-offsets: a dry run by default, refused with --execute while the member is active.
  r = ok(await cli(['group', 'reset-offsets', 'billing', '--topic', 'events', '--to-earliest']));
  assert.deepEqual(rows(r.stdout, /^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+NEW-OFFSET$/), [
    ['billing', 'events', '0', '6', '0'],
    ['billing', 'events', '1', '4', '0'],
  ]);
  assert.match(r.stderr, /Dry run: nothing changed\. Run again with --execute/);
  assert.match(r.stderr, /stop its consumers before executing/);
  fails(await cli(['group', 'reset-offsets', 'billing', '--topic', 'events', '--to-earliest', '--execute']), 1, /group 'billing' is Stable with 1 member/, /stop its consumers/);
  fails(await cli(['group', 'delete', 'billing']), 1, /group 'billing' still has active members/);

  await consumer.disconnect();
  for (let i = 0; i < 50; i++) {
    const out = ok(await cli(['group', 'list', '--json']));
    if ((JSON.parse(out.stdout) as Array<{ state: string }>)[0]?.state === 'Empty') break;
    await new Promise((res) => setTimeout(res, 100));
  }

  const plan = async (...how: string[]): Promise<string[][]> => {
    const out = ok(await cli(['group', 'reset-offsets', 'billing', ...how, '--execute']));
    assert.match(out.stderr, /Reset offsets of group 'billing' for \d+ partitions?\./);
    return rows(out.stdout, /^GROUP\s+TOPIC/).map((x) => [x[2]!, x[4]!]);
  };
  assert.deepEqual(await plan('--topic', 'events', '--to-earliest'), [['0', '0'], ['1', '0']]);
  assert.deepEqual(await plan('--all-topics', '--shift-by', '2'), [['0', '2'], ['1', '2']]);
  assert.deepEqual(await plan('--topic', 'events:1', '--shift-by', '-5'), [['1', '0']], 'clamped to the log start');
  assert.deepEqual(await plan('--topic', 'events', '--to-offset', '5'), [['0', '5'], ['1', '5']]);
  assert.deepEqual(await plan('--topic', 'events', '--to-offset', '100'), [['0', '6'], ['1', '7']], 'clamped to the log end');
  assert.deepEqual(await plan('--topic', 'events:0', '--to-latest'), [['0', '6']]);
  assert.deepEqual(await plan('--topic', 'events', '--to-datetime', '-1h'), [['0', '0'], ['1', '0']], 'all records are newer than an hour ago');
  assert.deepEqual(await plan('--topic', 'events', '--to-datetime', String(Date.now() + 3_600_000)), [['0', '6'], ['1', '7']], 'a future time: the end');
  r = ok(await cli(['group', 'describe', 'billing', '--json']));
  d = JSON.parse(r.stdout) as DescribeJson;
  assert.equal(d.state, 'Empty');
  assert.deepEqual(d.partitions.map((p) => [p.partition, p.currentOffset, p.logEndOffset, p.lag]), [[0, 6, 6, 0], [1, 7, 7, 0]]);

  // Usage errors.
  fails(await cli(['group', 'reset-offsets', 'billing', '--topic', 'events']), 2, /one of --to-earliest/);
  fails(await cli(['group', 'reset-offsets', 'billing', '--to-earliest']), 2, /--topic <topic>\[:partitions\]/);
  fails(await cli(['group', 'reset-offsets', 'billing', '--topic', 'events', '--to-earliest', '--to-latest']), 2, /only one of/);
  fails(await cli(['group', 'reset-offsets', 'billing', '--topic', 'events', '--to-datetime', 'yesterday']), 2, /--to-datetime/, /ISO date/);
  fails(await cli(['group', 'reset-offsets', 'billing', '--topic', 'events:9', '--to-earliest']), 1, /topic 'events' has no partition 9/);
  fails(await cli(['group', 'reset-offsets', 'billing', '--topic', 'nope', '--to-earliest']), 1, /topic 'nope' does not exist/);

  r = ok(await cli(['group', 'delete', 'billing']));
  assert.equal(r.stdout, "Deleted group 'billing'.\n");
  fails(await cli(['group', 'describe', 'billing']), 1, /group 'billing' does not exist — list groups with `tributary group list`/);
  fails(await cli(['group', 'delete', 'billing']), 1, /group 'billing' does not exist/);
});
