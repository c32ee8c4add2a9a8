/**
 * franz-go's OWN tests of transactions and group ETL, from its kgo package (github.com/twmb/franz-go
 * v1.22.3, the version test/interop/go/go.mod pins), compiled once with `go test -c` and run unmodified
 * against Tributary brokers: a 3-node cluster of real processes (KGO_TEST_RF=3) and a single broker.
 *
 * What they check (pkg/kgo/txn_test.go, group_test.go, helpers_test.go): a producer writes
 * KGO_TEST_RECORDS keyed records into a topic — in TestTxnEtl transactionally, committing every 10 000
 * (EndAndBeginTransaction). Per balancer a chain of three consumer groups copies them topic to topic: in
 * TestTxnEtl each with a GroupTransactSession (read_committed, control records kept, produce +
 * TxnOffsetCommit + EndTxn per poll), in TestGroupETL with plain commits. Members join after 5 s
 * (rebalances mid-transaction) and some quit after 0, 1 or 2 transactions (aborting the next). Every level
 * must see every key exactly once and no partition offset twice.
 *
 * Every subtest must PASS, except the KIP-848 rows (range/848, sticky/848, sticky/848/static): Tributary
 * has no ConsumerGroupHeartbeat (docs/compatibility.md), and franz-go skips them itself when ApiVersions
 * lacks key 68 — they may only SKIP with that reason. (They are not filtered out with -test.skip: a
 * subtest filtered out never returns its slot of franz-go's ETL semaphore, which deadlocks the others.)
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { before, test, type TestContext } from 'node:test';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { ProcessCluster } from '../helpers/cluster-process.js';
import { repoRoot } from '../helpers/paths.js';
import { formatRunFailure, runProcess } from '../helpers/proc.js';

const MODULE_DIR = path.join(repoRoot, 'test', 'interop', 'go');
const CACHE_DIR = process.env['TRIBUTARY_CACHE_DIR'] ?? path.join(os.homedir(), '.cache', 'tributary');
const BIN = path.join(CACHE_DIR, 'bin', 'franz-go-kgo.test');
const PACKAGE = 'github.com/twmb/franz-go/pkg/kgo';

/** Records the producer writes (every level of every chain copies all of them): ten producer transactions. */
const RECORDS = 100_000;
/** The Go binary's own deadline (it then panics with every goroutine's stack), under this test's. */
const GO_TIMEOUT_S = 150;

const MUST_PASS = ['', '/range', '/cooperative-sticky', '/cooperative-sticky/static'];
const KIP_848 = ['/range/848', '/sticky/848', '/sticky/848/static'];
const KIP_848_SKIP = 'broker does not support KIP-848';

before(async () => {
  // Up to date after `.ci/run` (which builds it once); Go's build cache makes this a quick relink then.
  const build = await runProcess('go', ['test', '-c', '-o', BIN, PACKAGE], { cwd: MODULE_DIR, timeoutMs: 300_000 });
  assert.equal(build.code, 0, `${formatRunFailure(build, 'go test -c')}\n(needs Go and the modules of test/interop/go/go.mod: run \`bash .ci/run\`)`);
});

/** `--- PASS|FAIL|SKIP: name (1.23s)` lines of `-test.v` output, by test name. */
function goTestResults(stdout: string): Map<string, string> {
  const results = new Map<string, string>();
  for (const m of stdout.matchAll(/^\s*--- (PASS|FAIL|SKIP): (\S+) \(/gm)) results.set(m[2]!, m[1]!);
  return results;
}

/**
 * The lines `-test.v` printed for a test (its t.Log / t.Skip output). Parallel tests interleave: a test's
 * lines follow its `=== RUN`, and again each `=== NAME` / `=== CONT` naming it, up to the next header.
 */
function goTestOutput(stdout: string, name: string): string {
  const out: string[] = [];
  let mine = false;
  for (const line of stdout.split('\n')) {
    const header = /^=== (?:RUN|NAME|CONT|PAUSE)\s+(\S+)$/.exec(line);
    if (header) mine = header[1] === name;
    else if (/^\s*--- /.test(line)) mine = false;
    else if (mine) out.push(line);
  }
  return out.join('\n');
}

async function runSuite(t: TestContext, seeds: string, rf: number, tests: readonly string[], brokerLogs: () => string): Promise<void> {
  const workDir = await makeTempDir('franz-go-suite');
  t.after(() => removeTempDir(workDir).catch(() => undefined));
  const r = await runProcess(BIN, ['-test.run', `^(${tests.join('|')})$`, '-test.v', '-test.count', '1', '-test.timeout', `${GO_TIMEOUT_S}s`], {
    cwd: workDir,
    timeoutMs: (GO_TIMEOUT_S + 20) * 1000,
    env: { ...process.env, KGO_SEEDS: seeds, KGO_TEST_RF: String(rf), KGO_TEST_RECORDS: String(RECORDS), KGO_LOG_LEVEL: process.env['KGO_LOG_LEVEL'] ?? 'info' },
  });
  const describe = (): string => `${formatRunFailure(r, 'franz-go kgo tests')}\n--- broker logs (tails) ---\n${brokerLogs()}`;
  assert.equal(r.code, 0, describe());
  const results = goTestResults(r.stdout);
  const expected = new Set<string>();
  for (const name of tests) {
    for (const suffix of MUST_PASS) {
      expected.add(name + suffix);
      assert.equal(results.get(name + suffix), 'PASS', `${name + suffix}: ${results.get(name + suffix) ?? 'did not run'}\n${describe()}`);
    }
    for (const suffix of KIP_848) {
      const sub = name + suffix;
      expected.add(sub);
      const result = results.get(sub);
      if (result === 'SKIP') assert.ok(goTestOutput(r.stdout, sub).includes(KIP_848_SKIP), `${sub} skipped for another reason:\n${goTestOutput(r.stdout, sub)}`);
      else assert.equal(result, 'PASS', `${sub}: ${result ?? 'did not run'}\n${describe()}`);
    }
  }
  const unexpected = [...results].filter(([name]) => !expected.has(name));
  assert.deepEqual(unexpected, [], `Go tests that were not expected to run\n${describe()}`);
}

test(`franz-go ${PACKAGE} TestTxnEtl and TestGroupETL (its own exactly-once ETL chains) against a 3-node cluster, RF 3, ${RECORDS} records`, { timeout: 240_000 }, async (t) => {
  const cluster = await ProcessCluster.start(t, {
    nodes: 3,
    properties: { 'offsets.topic.replication.factor': 3, 'transaction.state.log.replication.factor': 3, 'transaction.state.log.min.isr': 2 },
  });
  await runSuite(t, cluster.bootstrap, 3, ['TestTxnEtl', 'TestGroupETL'], () => cluster.logs(3000));
});

test(`franz-go ${PACKAGE} TestTxnEtl against a single broker (RF 1), ${RECORDS} records`, { timeout: 240_000 }, async (t) => {
  // The single broker found the high watermark passing a queued ABORT marker (docs/compatibility.md).
  const broker = await startBrokerProcess(t, { name: 'tributary-for-franz-go-suite' });
  await runSuite(t, broker.bootstrap, 1, ['TestTxnEtl'], () => broker.recentLogs(6000));
});
