/**
 * `tributary topic|config|cluster|completion` and the global flags, as a user runs them:
 * `node dist/src/cli/main.js ...` in a child process against a real broker (started in this
 * process). Checks stdout, stderr and exit codes — including the error paths (unknown topic,
 * broker unreachable within a bounded time, invalid flags, bad --command-config).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { brokerCli } from '../helpers/paths.js';
import { cliEnv, cliFails as fails, cliOk as ok, runCli, runProcess, type RunResult } from '../helpers/proc.js';

let broker: BrokerHandle;
let dir: string;

before(async () => {
  broker = await startBroker({ config: { 'num.partitions': 1 } });
  dir = await makeTempDir('cli-topic');
});

after(async () => {
  await broker?.close();
  if (dir) await removeTempDir(dir);
});

function cli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; bootstrap?: string | null; timeoutMs?: number } = {}): Promise<RunResult> {
  const env = cliEnv(opts.env?.['TRIBUTARY_BOOTSTRAP_SERVERS'] ?? null, opts.env);
  const b = opts.bootstrap === undefined ? ['-b', broker.bootstrap] : opts.bootstrap === null ? [] : ['-b', opts.bootstrap];
  return runCli([...b, ...args], { timeoutMs: opts.timeoutMs, input: opts.input, env });
}

test('topic create / list / describe / delete', async () => {
  let r = ok(await cli(['topic', 'create', 'orders', '-p', '3', '-c', 'retention.ms=86400000']));
  assert.equal(r.stdout, "Created topic 'orders' (3 partitions, replication factor 1).\n");

  r = ok(await cli(['topic', 'create', 'payments', 'users', '-p', '2']));
  assert.match(r.stdout, /Created topic 'payments' \(2 partitions/);
  assert.match(r.stdout, /Created topic 'users' \(2 partitions/);

  fails(await cli(['topic', 'create', 'orders']), 1, /topic 'orders' already exists/, /--if-not-exists/);
  r = ok(await cli(['topic', 'create', 'orders', '--if-not-exists']));
  assert.match(r.stdout, /already exists; left as it is/);

  r = ok(await cli(['topic', 'create', 'dry', '--dry-run']));
  assert.match(r.stdout, /nothing was changed/);

  r = ok(await cli(['topic', 'list']));
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+PARTITIONS\s+REPLICAS$/);
  assert.ok(lines.some((l) => /^orders\s+3\s+1$/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^payments\s+2\s+1$/.test(l)), r.stdout);
  assert.ok(!lines.some((l) => /^dry\b/.test(l)), 'the --dry-run topic was not created');

  r = ok(await cli(['topic', 'list', '--json']));
  const listed = JSON.parse(r.stdout) as Array<{ name: string; partitions: number }>;
  assert.deepEqual(listed.find((t) => t.name === 'users'), { name: 'users', partitions: 2, replicas: 1, internal: false });

  r = ok(await cli(['topic', 'describe', 'orders']));
  assert.match(r.stdout, /name:\s+orders/);
  assert.match(r.stdout, /partitions:\s+3/);
  assert.match(r.stdout, /configs:\s+retention\.ms=86400000/);
  assert.match(r.stdout, /PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+LOG-START-OFFSET\s+HIGH-WATERMARK/);
  assert.match(r.stdout, /\n\s*2\s+0\s+\d+\s+\[0\]\s+\[0\]\s+0\s+0\n/);

  r = ok(await cli(['topic', 'describe', 'orders', '--json']));
  const d = JSON.parse(r.stdout) as { partitions: number; configs: Record<string, string>; partitionDetails: Array<{ highWatermark: number }> };
  assert.equal(d.partitions, 3);
  assert.equal(d.configs['retention.ms'], '86400000');
  assert.equal(d.partitionDetails.length, 3);

  r = ok(await cli(['topic', 'delete', 'users']));
  assert.equal(r.stdout, "Deleted topic 'users'.\n");
  fails(await cli(['topic', 'delete', 'users']), 1, /topic 'users' does not exist/, /tributary topic list/);
  r = ok(await cli(['topic', 'delete', 'users', '--if-exists']));
  assert.match(r.stdout, /does not exist; nothing to delete/);
});

test('unknown topic: says so and what to do, exit 1', async () => {
  const r = fails(await cli(['topic', 'describe', 'no-such-topic']), 1);
  assert.equal(r.stderr.trim(), "tributary: topic 'no-such-topic' does not exist — list topics with `tributary topic list`, or create it with `tributary topic create no-such-topic`.");
  assert.equal(r.stdout, '');
  fails(await cli(['config', 'get', 'no-such-topic']), 1, /topic 'no-such-topic' does not exist/);
  fails(await cli(['topic', 'add-partitions', 'no-such-topic', '-n', '1']), 1, /topic 'no-such-topic' does not exist/);
  fails(await cli(['topic', 'alter-config', 'no-such-topic', '--set', 'retention.ms=1']), 1, /topic 'no-such-topic' does not exist/);
});

test('topic add-partitions and alter-config', async () => {
  ok(await cli(['topic', 'create', 'grow', '-p', '2']));
  let r = ok(await cli(['topic', 'add-partitions', 'grow', '-n', '3']));
  assert.equal(r.stdout, "Topic 'grow' now has 5 partitions (was 2).\n");
  r = ok(await cli(['topic', 'add-partitions', 'grow', '--total', '6']));
  assert.equal(r.stdout, "Topic 'grow' now has 6 partitions (was 5).\n");
  fails(await cli(['topic', 'add-partitions', 'grow', '--total', '4']), 2, /already has 6 partitions/);
  fails(await cli(['topic', 'add-partitions', 'grow']), 2, /-n <count>/);

  r = ok(await cli(['topic', 'alter-config', 'grow', '--set', 'cleanup.policy=compact', '--set', 'retention.ms=1000']));
  assert.equal(r.stdout, "Altered topic 'grow': set cleanup.policy=compact, retention.ms=1000.\n");
  r = ok(await cli(['topic', 'alter-config', 'grow', '--delete', 'retention.ms']));
  assert.equal(r.stdout, "Altered topic 'grow': deleted retention.ms.\n");
  r = ok(await cli(['config', 'get', 'grow', '--overrides']));
  assert.match(r.stdout, /^NAME\s+VALUE\s+SOURCE\ncleanup\.policy\s+compact\s+topic\n$/);
  fails(await cli(['topic', 'alter-config', 'grow', '--set', 'retention.ms=soon']), 1, /retention\.ms/, /tributary config get grow/);
  fails(await cli(['topic', 'alter-config', 'grow']), 2, /nothing to change/);
});

test('config get / set', async () => {
  ok(await cli(['topic', 'create', 'cfg']));
  let r = ok(await cli(['config', 'get', 'cfg', 'retention.ms']));
  assert.equal(r.stdout, '604800000\n', 'one name prints only its value');
  r = ok(await cli(['config', 'set', 'cfg', 'retention.ms=3600000', 'max.message.bytes=2000000']));
  assert.match(r.stdout, /Altered topic 'cfg': set retention\.ms=3600000, max\.message\.bytes=2000000\./);
  r = ok(await cli(['config', 'get', 'cfg', 'retention.ms', 'max.message.bytes', '--json']));
  const j = JSON.parse(r.stdout) as Record<string, { value: string; source: string }>;
  assert.deepEqual(
    { r: j['retention.ms'], m: j['max.message.bytes'] },
    { r: { value: '3600000', source: 'topic', readOnly: false, sensitive: false }, m: { value: '2000000', source: 'topic', readOnly: false, sensitive: false } },
  );
  r = ok(await cli(['config', 'get', 'cfg']));
  assert.match(r.stdout, /^NAME\s+VALUE\s+SOURCE$/m);
  assert.match(r.stdout, /^cleanup\.policy\s+delete\s+\S+$/m);
  assert.match(r.stdout, /^retention\.ms\s+3600000\s+topic$/m);
  r = ok(await cli(['config', 'set', 'cfg', '--delete', 'retention.ms']));
  r = ok(await cli(['config', 'get', 'cfg', 'retention.ms']));
  assert.equal(r.stdout, '604800000\n');
  fails(await cli(['config', 'get', 'cfg', 'retension.ms']), 1, /has no config 'retension\.ms'/, /Did you mean 'retention\.ms'\?/);
  fails(await cli(['config', 'set', 'cfg', 'retention.ms']), 2, /not name=value/);
});

test('partition producers: the idempotent producer of `tributary produce`, its epoch and last sequence', async () => {
  ok(await cli(['topic', 'create', 'producers-topic', '--partitions', '1']));
  let r = ok(await cli(['partition', 'producers', '--topic', 'producers-topic']));
  assert.match(r.stdout, /No producers known on producers-topic-0/);
  ok(await cli(['produce', 'producers-topic'], { input: 'one\ntwo\nthree\n' }));
  r = ok(await cli(['partition', 'producers', '--topic', 'producers-topic', '--json']));
  const found = JSON.parse(r.stdout) as Array<{ topic: string; partition: number; producers: Array<{ producerId: number; producerEpoch: number; lastSequence: number; currentTransactionStartOffset: number }> }>;
  assert.equal(found.length, 1);
  assert.equal(found[0]!.producers.length, 1, r.stdout);
  const p = found[0]!.producers[0]!;
  assert.ok(p.producerId >= 0 && p.producerEpoch === 0 && p.lastSequence === 2 && p.currentTransactionStartOffset === -1, r.stdout);
  r = ok(await cli(['partition', 'producers', '--topic', 'producers-topic', '--partition', '0']));
  assert.match(r.stdout, new RegExp(`producers-topic\\s+0\\s+${p.producerId}\\s+0\\s+2\\s`));
});

test('cluster info', async () => {
  let r = ok(await cli(['cluster', 'info']));
  assert.match(r.stdout, /cluster id:\s+\S+/);
  assert.match(r.stdout, /controller:\s+0/);
  assert.match(r.stdout, /brokers:\s+1/);
  assert.match(r.stdout, /under-replicated:\s+0/);
  assert.match(r.stdout, /offline:\s+0/);
  assert.match(r.stdout, new RegExp(`^0\\*\\s+127\\.0\\.0\\.1\\s+${broker.port}\\s+-$`, 'm'));
  r = ok(await cli(['cluster', 'info', '--json']));
  const info = JSON.parse(r.stdout) as { controllerId: number; brokers: unknown[]; topics: number; partitions: number; underReplicated: unknown[]; offline: unknown[] };
  assert.equal(info.controllerId, 0);
  assert.equal(info.brokers.length, 1);
  assert.ok(info.topics >= 1 && info.partitions >= info.topics);
  assert.deepEqual([info.underReplicated, info.offline], [[], []]);
});

test('broker unreachable: a clear message within the --timeout bound, exit 1', async () => {
  // A port nothing listens on: refused at once.
  let r = await cli(['topic', 'list'], { bootstrap: '127.0.0.1:1' });
  fails(r, 1, /cannot reach a broker at 127\.0\.0\.1:1 \(connection refused\)/, /tributary server/, /-b host:port/);
  assert.ok(r.durationMs < 8000, `took ${r.durationMs} ms`);
  // A listener that accepts and never answers: bounded by --timeout.
  const net = await import('node:net');
  const silent = net.createServer(() => undefined);
  await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
  const port = (silent.address() as { port: number }).port;
  try {
    r = await cli(['--timeout', '1500ms', 'cluster', 'info'], { bootstrap: `127.0.0.1:${port}` });
    fails(r, 1, new RegExp(`cannot reach a broker at 127\\.0\\.0\\.1:${port} \\(no answer within 1500 ms\\)`));
    assert.ok(r.durationMs < 6000, `took ${r.durationMs} ms`);
    // The default bound is 10 s.
    r = await cli(['topic', 'list'], { bootstrap: `127.0.0.1:${port}` });
    fails(r, 1, /no answer within 10 s/);
    assert.ok(r.durationMs >= 9000 && r.durationMs < 16_000, `took ${r.durationMs} ms`);
  } finally {
    silent.close();
  }
  // The environment variable is used when -b is not given.
  r = await cli(['topic', 'list'], { bootstrap: null, env: { TRIBUTARY_BOOTSTRAP_SERVERS: '127.0.0.1:1' } });
  fails(r, 1, /127\.0\.0\.1:1/);
  r = ok(await cli(['topic', 'list', '--json'], { bootstrap: null, env: { TRIBUTARY_BOOTSTRAP_SERVERS: broker.bootstrap } }));
  assert.ok(Array.isArray(JSON.parse(r.stdout)));
});

test('invalid flags and usage: exit 2 with one readable line', async () => {
  fails(await cli(['topic', 'list', '--no-such-flag']), 2, /unknown option '--no-such-flag'/);
  fails(await cli(['topic', 'create', 'x', '-p', 'zero']), 2, /'-p, --partitions <n>' argument 'zero' is invalid/, /integer/);
  fails(await cli(['topic', 'create']), 2, /missing required argument 'topics'/);
  fails(await cli(['topic', 'frobnicate']), 2, /unknown command 'frobnicate'/);
  fails(await cli(['--timeout', 'soon', 'topic', 'list']), 2, /--timeout/);
  fails(await cli(['topic', 'list'], { bootstrap: 'no-port' }), 2, /bootstrap server 'no-port' is not host:port/);
  fails(await cli(['produce', 't', '-z', 'brotli']), 2, /none, gzip, snappy, lz4, zstd/);
  fails(await cli(['produce', 't', '--acks', '2']), 2, /all \(or -1\), 1 or 0/);
  const r = await cli([], { bootstrap: null });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Usage: tributary/);
});

test('--command-config: client properties; security settings and unknown names are refused (exit 2)', async () => {
  const good = path.join(dir, 'client.properties');
  await writeFile(good, `# a client config\nbootstrap.servers=${broker.bootstrap}\nclient.id=cli-test\nrequest.timeout.ms=5000\nsecurity.protocol=PLAINTEXT\n`);
  let r = ok(await cli(['--command-config', good, 'topic', 'list', '--json'], { bootstrap: null }));
  assert.ok(Array.isArray(JSON.parse(r.stdout)), 'bootstrap.servers from the file is used when -b is not given');

  const sasl = path.join(dir, 'sasl.properties');
  await writeFile(sasl, 'security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n');
  r = fails(await cli(['--command-config', sasl, 'topic', 'list']), 2, /sasl\.properties:1: 'security\.protocol' is a security setting/, /only PLAINTEXT/);
  assert.equal(r.stdout, '');

  const typo = path.join(dir, 'typo.properties');
  await writeFile(typo, 'linger.ms=5\nrequest.timout.ms=100\n');
  fails(await cli(['--command-config', typo, 'topic', 'list']), 2, /typo\.properties:2: unknown client property 'request\.timout\.ms'/, /Did you mean 'request\.timeout\.ms'\?/);

  const bad = path.join(dir, 'bad.properties');
  await writeFile(bad, 'acks=2\n');
  fails(await cli(['--command-config', bad, 'topic', 'list']), 2, /bad\.properties:1: invalid value '2' for 'acks'/);

  fails(await cli(['--command-config', path.join(dir, 'missing.properties'), 'topic', 'list']), 2, /cannot read --command-config/, /no such file/);
});

test('--help on every command shows examples; completion scripts cover the commands', async () => {
  const r0 = ok(await cli(['--help'], { bootstrap: null }));
  assert.match(r0.stdout, /Exit status: 0 success, 1 .*\n2 bad usage/);
  const paths = [
    ['topic'], ['topic', 'create'], ['topic', 'list'], ['topic', 'describe'], ['topic', 'alter-config'], ['topic', 'add-partitions'], ['topic', 'delete'],
    ['produce'], ['consume'], ['group'], ['group', 'list'], ['group', 'describe'], ['group', 'reset-offsets'], ['group', 'delete'],
    ['config'], ['config', 'get'], ['config', 'set'], ['cluster'], ['cluster', 'info'],
    ['partition'], ['partition', 'elect-leaders'], ['partition', 'reassign'], ['partition', 'list-reassignments'], ['partition', 'verify'], ['partition', 'producers'], ['transactions'], ['transactions', 'list'], ['transactions', 'describe'], ['perf'], ['perf', 'produce'], ['perf', 'consume'], ['completion'], ['server'],
  ];
  const results = await Promise.all(paths.map((p) => cli([...p, '--help'], { bootstrap: null })));
  results.forEach((r, i) => {
    ok(r);
    assert.match(r.stdout, /Examples:\n\s+\$ .*tributary /, `tributary ${paths[i]!.join(' ')} --help has examples`);
    assert.match(r.stdout, /--bootstrap-server/, `tributary ${paths[i]!.join(' ')} --help shows the global options`);
  });

  const bash = ok(await cli(['completion', 'bash'], { bootstrap: null })).stdout;
  assert.match(bash, /complete -o default -F _tributary tributary/);
  for (const w of ['topic', 'reset-offsets', '--to-earliest', '--bootstrap-server', 'alter-config']) assert.ok(bash.includes(w), `bash completion mentions ${w}`);
  const zsh = ok(await cli(['completion', 'zsh'], { bootstrap: null })).stdout;
  assert.match(zsh, /^#compdef tributary/);
  fails(await cli(['completion', 'fish'], { bootstrap: null }), 2, /bash or zsh/);

  // The bash script really completes: "tributary topic c<TAB>" → create.
  const script = path.join(dir, 'complete.bash');
  await writeFile(script, `${bash}\nCOMP_WORDS=(tributary topic c); COMP_CWORD=2; _tributary; echo "\${COMPREPLY[@]}"\nCOMP_WORDS=(tributary group reset-offsets g --to-e); COMP_CWORD=4; _tributary; echo "\${COMPREPLY[@]}"\n`);
  const r = ok(await runProcess('bash', [script], { timeoutMs: 10_000 }));
  assert.deepEqual(r.stdout.trim().split('\n'), ['create', '--to-earliest']);
});

test('colour only on a terminal, never with NO_COLOR or --no-color', async () => {
  ok(await cli(['topic', 'create', 'colour', '--if-not-exists']));
  const env: NodeJS.ProcessEnv = { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' };
  delete env['NO_COLOR'];
  delete env['FORCE_COLOR'];
  delete env['TRIBUTARY_BOOTSTRAP_SERVERS'];
  const base = `${JSON.stringify(process.execPath)} ${JSON.stringify(brokerCli)} -b ${broker.bootstrap} topic list`;
  // Through a pipe: plain text.
  let r = await runProcess(process.execPath, [brokerCli, '-b', broker.bootstrap, 'topic', 'list'], { timeoutMs: 20_000, env });
  ok(r);
  assert.doesNotMatch(r.stdout, /\u001b\[/);
  // In a pseudo-terminal (script(1)): the header is bold.
  const inPty = (cmd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
    runProcess('script', ['-qfec', cmd, '/dev/null'], { timeoutMs: 20_000, env: { ...env, TERM: 'xterm', ...extraEnv } });
  r = ok(await inPty(base));
  assert.match(r.stdout, /\u001b\[1mNAME/);
  r = ok(await inPty(base, { NO_COLOR: '1' }));
  assert.doesNotMatch(r.stdout, /\u001b\[/);
  r = ok(await inPty(`${base} --no-color`));
  assert.doesNotMatch(r.stdout, /\u001b\[/);
});
