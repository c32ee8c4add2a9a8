/**
 * `tributary produce` as a user runs it (stdin, --file, keys, headers, JSON validation, partition,
 * compression, acks), checked by reading the records back with kcat (librdkafka), and its errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { brokerCli } from '../helpers/paths.js';
import { cliEnv, cliFails as fails, cliOk as ok, formatRunFailure, runCli, runProcess, type RunResult } from '../helpers/proc.js';
import { requireTool } from '../helpers/tools.js';

let broker: BrokerHandle;
let dir: string;

before(async () => {
  broker = await startBroker({ config: { 'num.partitions': 1 } });
  dir = await makeTempDir('cli-produce');
});

after(async () => {
  await broker?.close();
  if (dir) await removeTempDir(dir);
});

function cli(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return runCli(args, { timeoutMs: opts.timeoutMs, input: opts.input ?? '', env: cliEnv(broker.bootstrap) });
}

/** Every record of `topic` as "partition|offset|key|value|headers" via kcat. */
async function kcatRead(topic: string): Promise<string[]> {
  const kcat = requireTool('kcat');
  const r = await runProcess(kcat.command, ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p|%o|%k|%s|%h\n'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, formatRunFailure(r, 'kcat'));
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('lines from stdin become records; summary on stderr, nothing on stdout', async () => {
  ok(await cli(['topic', 'create', 'lines']));
  const r = ok(await cli(['produce', 'lines'], { input: 'one\ntwo\n\nfour\n' }));
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "Produced 4 records to topic 'lines'.\n");
  assert.deepEqual(await kcatRead('lines'), ['0|0||one|', '0|1||two|', '0|2|||', '0|3||four|']);
});

test('--key-separator, -H headers, -p partition, --print-offsets', async () => {
  ok(await cli(['topic', 'create', 'keyed', '-p', '3']));
  const r = ok(await cli(['produce', 'keyed', '-K', ':', '-H', 'source=cli', '-H', 'env=test', '-p', '2', '--print-offsets'], { input: 'a:1\nb:x:y\n' }));
  assert.equal(r.stdout, '2 0\n2 1\n');
  assert.deepEqual(await kcatRead('keyed'), ['2|0|a|1|source=cli,env=test', '2|1|b|x:y|source=cli,env=test']);

  ok(await cli(['produce', 'keyed', '-k', 'fixed', '-q'], { input: 'v1\nv2\n' }));
  const rows = (await kcatRead('keyed')).filter((l) => l.includes('|fixed|'));
  assert.equal(rows.length, 2);
  assert.equal(new Set(rows.map((l) => l.split('|')[0])).size, 1, 'one key, one partition');

  fails(await cli(['produce', 'keyed', '-K', ':'], { input: 'a:1\nno-separator\n' }), 1, /line 2 has no key separator ':'/, /1 record before it were sent/);
  fails(await cli(['produce', 'keyed', '-p', '7'], { input: 'x\n' }), 1, /topic 'keyed' has no partition 7 \(it has 3 partitions: 0\.\.2\)/);
  fails(await cli(['produce', 'keyed', '-k', 'a', '-K', ':']), 2, /either --key or --key-separator/);
});

test('--json validates every value', async () => {
  ok(await cli(['topic', 'create', 'json']));
  ok(await cli(['produce', 'json', '--json', '-K', '\t'], { input: 'u1\t{"n":1}\nu2\t[1,2]\n' }));
  assert.deepEqual(await kcatRead('json'), ['0|0|u1|{"n":1}|', '0|1|u2|[1,2]|']);
  const r = fails(await cli(['produce', 'json', '--json'], { input: '{"ok":true}\n{broken\n"never sent"\n' }), 1, /line 2 is not valid JSON/, /drop --json/, /1 record before it were sent/);
  assert.match(r.stderr, /Produced 1 record to topic 'json'/);
  assert.equal((await kcatRead('json')).length, 3, 'the line after the invalid one was not sent');
});

test('--file, every compression codec, every acks setting', async () => {
  ok(await cli(['topic', 'create', 'codecs']));
  const file = path.join(dir, 'records.txt');
  await writeFile(file, Array.from({ length: 50 }, (_, i) => `record-${i}`).join('\n') + '\n');
  const runs: Array<[string, string]> = [
    ['none', 'all'],
    ['gzip', '1'],
    ['snappy', '-1'],
    ['lz4', '1'],
    ['zstd', 'all'],
  ];
  for (const [codec, acks] of runs) {
    const r = ok(await cli(['produce', 'codecs', '--file', file, '-z', codec, '--acks', acks, '--linger-ms', '20', '--batch-size', '65536']));
    assert.match(r.stderr, /Produced 50 records/);
  }
  // acks=0: fire and forget, still delivered.
  ok(await cli(['produce', 'codecs', '--file', file, '--acks', '0']));
  const rows = await kcatRead('codecs');
  assert.equal(rows.length, 300);
  for (let run = 0; run < 6; run++) {
    assert.deepEqual(
      rows.slice(run * 50, run * 50 + 50).map((l) => l.split('|')[3]),
      Array.from({ length: 50 }, (_, i) => `record-${i}`),
    );
  }
  fails(await cli(['produce', 'codecs', '--file', path.join(dir, 'nope.txt')]), 2, /cannot read --file/, /no such file/);
});

test('unknown topic with auto-creation off; unreachable broker', async () => {
  fails(await cli(['produce', 'not-there', '--no-auto-create'], { input: 'x\n' }), 1, /topic 'not-there' does not exist/, /tributary topic create not-there/);
  // The broker auto-creates (auto.create.topics.enable=true) when allowed.
  ok(await cli(['produce', 'auto-made'], { input: 'x\n' }));
  assert.deepEqual(await kcatRead('auto-made'), ['0|0||x|']);

  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['TRIBUTARY_BOOTSTRAP_SERVERS'];
  const r = await runProcess(process.execPath, [brokerCli, '-b', '127.0.0.1:1', 'produce', 'x'], { timeoutMs: 20_000, input: 'x\n', env });
  fails(r, 1, /cannot reach a broker at 127\.0\.0\.1:1/);
});
