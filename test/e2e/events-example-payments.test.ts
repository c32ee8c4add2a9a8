import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Admin, startBroker } from '../../src/index.js';
import { createTopics, payment, rejectedCount, requestPayments, tally } from '../../examples/payments/example.js';
import { startProcess, type RunningProcess } from '../helpers/proc.js';
import { eventually } from '../helpers/eventually.js';

/**
 * Example 2 end to end: the payment processors (fraud check and ledger, exactly-once) run in a
 * child process against the embedded broker in this one. Mid-stream the child is SIGKILLed; a new
 * one with the same instance name is started. In the end every payment has exactly one verdict,
 * the rejected ones (over the limit, blocked account) have none in the ledger, and every approved
 * one is in the ledger exactly once (read_committed).
 */
const PAYMENTS = 400;

test('payments: a processor SIGKILLed mid-stream loses no payment and applies none twice after its restart', async (t) => {
  const broker = await startBroker({
    config: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 3, 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1, 'transaction.state.log.num.partitions': 3, 'offsets.topic.num.partitions': 3 },
  });
  const children: RunningProcess[] = [];
  t.after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.done.catch(() => undefined)));
    await broker.close();
  });
  await createTopics(broker.bootstrap);
  const script = fileURLToPath(new URL('../../examples/payments/processors-main.js', import.meta.url));
  const start = async (): Promise<RunningProcess> => {
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const p = startProcess(process.execPath, [script, '--bootstrap', broker.bootstrap, '--instance', '0', '--handle-delay-ms', '5'], {
      timeoutMs: 120_000,
      onStdoutLine: (line) => line === 'ready' && ready(),
    });
    children.push(p);
    await Promise.race([isReady, p.done.then((r) => Promise.reject(new Error(`processors exited early: ${r.code} ${r.signal}\n${r.stderr}`)))]);
    return p;
  };

  const first = await start();
  await requestPayments(broker.bootstrap, 0, PAYMENTS);
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  t.after(() => admin.close());
  // Kill once the ledger has made some progress but not all.
  await eventually('the ledger under way', 60_000, async () => {
    const committed = await admin.fetchOffsets('ledger', ['payments-checked']);
    const done = committed.reduce((n, c) => n + Math.max(0, c.offset), 0);
    return done >= 40 ? done : undefined;
  }, 20);
  first.kill('SIGKILL');
  const killed = await first.done;
  assert.equal(killed.signal, 'SIGKILL');
  const midway = await tally(broker.bootstrap);
  assert.ok(midway.ledger.size < PAYMENTS - rejectedCount(PAYMENTS), `killed mid-stream (${midway.ledger.size} ledger entries)`);

  const second = await start();
  const expectedApproved = PAYMENTS - rejectedCount(PAYMENTS);
  const final = await eventually('every payment through', 90_000, async () => {
    const tl = await tally(broker.bootstrap);
    return tl.approved.size + tl.rejected.size === PAYMENTS && tl.ledger.size === expectedApproved ? tl : undefined;
  }, 500);
  second.kill('SIGTERM');
  await second.done;

  const twice = (m: Map<string, number>) => [...m].filter(([, n]) => n !== 1).map(([id]) => id);
  assert.deepEqual(twice(final.approved), [], 'approved once each');
  assert.deepEqual(twice(final.rejected), [], 'rejected once each');
  assert.deepEqual(twice(final.ledger), [], 'no payment applied to the ledger twice');
  let expectedCents = 0;
  for (let i = 0; i < PAYMENTS; i++) {
    const p = payment(i);
    const rejected = p.accountId === 'acct-blocked' || p.amountCents > 100_000;
    assert.equal(final.approved.has(p.paymentId), !rejected, `${p.paymentId} verdict`);
    assert.equal(final.rejected.has(p.paymentId), rejected, `${p.paymentId} verdict`);
    assert.equal(final.ledger.has(p.paymentId), !rejected, `${p.paymentId} in the ledger iff approved`);
    if (!rejected) expectedCents += p.amountCents;
  }
  assert.equal(final.ledgerTotalCents, expectedCents);
});
