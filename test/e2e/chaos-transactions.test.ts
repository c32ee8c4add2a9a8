/**
 * The chaos suite's transactional workload (chaos/txn-workload.ts) under faults, checked for exactly
 * once by chaos/txn-checker.ts: transactional lanes of our client, kafkajs and librdkafka (commits and deliberate
 * aborts), a consume-transform-produce loop committing its offsets with its outputs, and read_committed
 * observers; faults that kill and cut off partition leaders and the active controller (a transaction
 * coordinator lives on one of the nodes, so its broker is among the victims). Then two builds with a
 * deliberate transaction bug (chaos/mutations.ts) must fail the check. Needs root, iproute2, nftables
 * (.ci/run installs them); it fails, not skips, without them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { FaultKind } from '../../chaos/faults.js';
import { netnsUnavailable } from '../../chaos/net.js';
import { passed, summaryText, type RunSummary } from '../../chaos/report.js';
import { runChaos, type ChaosOptions } from '../../chaos/run.js';
import type { TxnAnomalyKind } from '../../chaos/txn-checker.js';

const FAULTS: FaultKind[] = ['kill', 'kill-leader', 'kill-controller', 'pause', 'isolate-leader', 'split', 'all-down'];

async function run(prefix: string, o: Partial<ChaosOptions> & Pick<ChaosOptions, 'seconds' | 'seed' | 'faults'>): Promise<RunSummary> {
  const why = await netnsUnavailable();
  assert.equal(why, null, `the chaos harness cannot run here: ${why}`);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-chaos-${prefix}-`));
  let keep = false;
  try {
    const summary = await runChaos({
      nodes: 3, clients: ['tributary'], idempotent: ['tributary'], partitions: 4, txn: ['tributary', 'kafkajs', 'librdkafka', 'ctp'],
      outDir, recoveryBoundMs: 60_000, progress: false, ...o,
    });
    // A real build's failed run keeps its history for the post-mortem (a mutant's is expected to fail).
    keep = o.mutation === undefined && !passed(summary);
    if (keep) summary.notes.unshift(`history kept in ${outDir}`);
    return summary;
  } finally {
    if (!keep) fs.rmSync(outDir, { recursive: true, force: true });
  }
}

test('transactional chaos run (seed 20261207): exactly once through leader, controller and coordinator failures', { timeout: 600_000 }, async () => {
  const summary = await run('txn', { seconds: 60, seed: 20261207, faults: FAULTS, minSteps: FAULTS.length });
  const text = summaryText(summary);
  const x = summary.txnCheck;
  assert.ok(x, text);
  for (const kind of FAULTS) assert.ok((summary.faults[kind] ?? 0) >= 1, `fault ${kind} was not injected\n${text}`);
  assert.ok(x.transactions.committed >= 50, `too few committed transactions to mean anything\n${text}`);
  assert.ok(x.transactions.aborted >= 10, `aborted transactions were part of the run\n${text}`);
  assert.ok(x.ctpProcessed >= 100, `the transformer processed too little\n${text}`);
  assert.ok(x.committedReads >= 100, `the read_committed observers read too little\n${text}`);
  assert.ok(passed(summary), text);
});

const MUTANTS: ReadonlyArray<{ mutation: string; seed: number; expect: TxnAnomalyKind[] }> = [
  { mutation: 'txn-read-past-lso', seed: 21, expect: ['aborted-read', 'dirty-read'] },
  { mutation: 'txn-aborted-visible', seed: 22, expect: ['aborted-read'] },
];

for (const m of MUTANTS) {
  test(`mutation ${m.mutation} is caught by the exactly-once checker (seed ${m.seed})`, { timeout: 400_000 }, async () => {
    const summary = await run(m.mutation, { seconds: 30, seed: m.seed, faults: ['kill-leader'], mutation: m.mutation, txn: ['tributary', 'kafkajs'], recoveryBoundMs: 30_000 });
    const text = summaryText(summary);
    assert.ok(!passed(summary), `the checker passed a build with ${m.mutation}:\n${text}`);
    assert.ok(m.expect.some((k) => (summary.txnCheck?.counts[k] ?? 0) > 0), `a build with ${m.mutation} failed without ${m.expect.join(' or ')}:\n${text}`);
  });
}
