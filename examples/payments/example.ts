/**
 * Example 2, one run: start the processors in this process, request N payments (some over the
 * fraud limit, some from a blocked account), wait until every payment has its verdict and every
 * approved one its ledger entry, stop. `readTopic` and `tally` are shared with the e2e test.
 */
import { Admin, Consumer } from '../../src/index.js';
import { EventBus, decodeEnvelope } from '../../src/events/index.js';
import { PaymentRequested, startProcessors } from './services.js';

export interface Tally {
  approved: Map<string, number>;
  rejected: Map<string, number>;
  ledger: Map<string, number>;
  ledgerTotalCents: number;
}

/** The committed events of a topic (read_committed, no group), decoded. */
export async function readTopic(bootstrapServers: string, topic: string, quietMs = 1000): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const admin = new Admin({ bootstrapServers });
  const [d] = await admin.describeTopics([topic]).finally(() => admin.close());
  const consumer = new Consumer({ bootstrapServers, autoOffsetReset: 'earliest', isolationLevel: 'read_committed', fetchMaxWaitMs: 50 });
  consumer.assign((d?.partitions ?? []).map((p) => ({ topic, partition: p.partition })));
  const out: Array<{ type: string; data: Record<string, unknown> }> = [];
  let lastMs = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - lastMs > quietMs) void consumer.close();
  }, 50);
  try {
    for await (const r of consumer) {
      lastMs = Date.now();
      const e = decodeEnvelope(r);
      out.push({ type: e.type, data: e.data as Record<string, unknown> });
    }
  } finally {
    clearInterval(timer);
    await consumer.close();
  }
  return out;
}

export async function tally(bootstrapServers: string): Promise<Tally> {
  const t: Tally = { approved: new Map(), rejected: new Map(), ledger: new Map(), ledgerTotalCents: 0 };
  const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  for (const e of await readTopic(bootstrapServers, 'payments-checked')) bump(e.type === 'payment.approved' ? t.approved : t.rejected, String(e.data['paymentId']));
  for (const e of await readTopic(bootstrapServers, 'ledger')) {
    bump(t.ledger, String(e.data['paymentId']));
    t.ledgerTotalCents += Number(e.data['debitCents']);
  }
  return t;
}

/** Payment i: account acct-(i mod 7), every 10th over the limit, every 13th from the blocked account. */
export function payment(i: number): { paymentId: string; accountId: string; amountCents: number } {
  return { paymentId: `pay-${i}`, accountId: i % 13 === 0 ? 'acct-blocked' : `acct-${i % 7}`, amountCents: i % 10 === 0 ? 250_000 : 1_000 + i };
}

export async function requestPayments(bootstrapServers: string, from: number, count: number): Promise<void> {
  const web = new EventBus({ bootstrapServers, source: '/web/checkout', clientId: 'checkout' });
  try {
    for (let i = from; i < from + count; i += 50) await Promise.all(Array.from({ length: Math.min(50, from + count - i) }, (_, j) => web.publish(PaymentRequested, payment(i + j))));
  } finally {
    await web.close();
  }
}

export async function createTopics(bootstrapServers: string): Promise<void> {
  const admin = new Admin({ bootstrapServers });
  try {
    await admin.createTopics(['payments', 'payments-checked', 'ledger'].map((name) => ({ name, numPartitions: 3 })), { ignoreExisting: true });
  } finally {
    await admin.close();
  }
}

export async function runExample(options: { bootstrapServers: string; payments: number; timeoutMs?: number }): Promise<Tally> {
  await createTopics(options.bootstrapServers);
  const processors = await startProcessors(options.bootstrapServers, 'local');
  try {
    await requestPayments(options.bootstrapServers, 0, options.payments);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (processors.fraud.stats().handled < options.payments || processors.ledger.stats().handled < processors.fraud.stats().handled - rejectedCount(options.payments)) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the processors');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await processors.bus.close();
  }
  return tally(options.bootstrapServers);
}

export function rejectedCount(payments: number): number {
  let n = 0;
  for (let i = 0; i < payments; i++) if (payment(i).accountId === 'acct-blocked' || payment(i).amountCents > 100_000) n++;
  return n;
}
