/**
 * Example 2, the services: `payment.requested` → fraud check → `payment.approved` or
 * `payment.rejected` → ledger → `ledger.entry`. Both processors run exactly-once: each fetched batch's
 * output events and its consumer offsets commit in one transaction, so a processor killed at any
 * point and restarted neither loses a payment nor applies one to the ledger twice. Readers of their
 * topics use read_committed (the toolkit's subscriptions do).
 */
import { z } from 'zod';
import { EventBus, defineEvent, type Subscription } from '../../src/events/index.js';

const money = z.number().int().positive();

export const PaymentRequested = defineEvent({
  type: 'payment.requested',
  topic: 'payments',
  schema: z.object({ paymentId: z.string().min(1), accountId: z.string().min(1), amountCents: money }),
  key: (d) => d.accountId,
  subject: (d) => `payments/${d.paymentId}`,
});

export const PaymentApproved = defineEvent({
  type: 'payment.approved',
  topic: 'payments-checked',
  schema: z.object({ paymentId: z.string(), accountId: z.string(), amountCents: money }),
  key: (d) => d.accountId,
});

export const PaymentRejected = defineEvent({
  type: 'payment.rejected',
  topic: 'payments-checked',
  schema: z.object({ paymentId: z.string(), accountId: z.string(), amountCents: money, reason: z.string() }),
  key: (d) => d.accountId,
});

export const LedgerEntry = defineEvent({
  type: 'ledger.entry',
  topic: 'ledger',
  schema: z.object({ paymentId: z.string(), accountId: z.string(), debitCents: money }),
  key: (d) => d.accountId,
});

/** The fraud rule: large amounts and blocked accounts are rejected. */
export const FRAUD_LIMIT_CENTS = 100_000;
export const BLOCKED_ACCOUNTS: ReadonlySet<string> = new Set(['acct-blocked']);

export function fraudVerdict(p: { accountId: string; amountCents: number }): string | null {
  if (BLOCKED_ACCOUNTS.has(p.accountId)) return 'account blocked';
  if (p.amountCents > FRAUD_LIMIT_CENTS) return `amount over ${FRAUD_LIMIT_CENTS} cents`;
  return null;
}

export interface Processors {
  bus: EventBus;
  fraud: Subscription;
  ledger: Subscription;
}

/**
 * Starts both processors. `instance` names their transactional ids and static group membership: a
 * restarted instance fences its dead predecessor's open transaction at once and takes its
 * partitions back without waiting for a session timeout.
 */
export async function startProcessors(bootstrapServers: string, instance: string, options: { handleDelayMs?: number } = {}): Promise<Processors> {
  const bus = new EventBus({ bootstrapServers, source: '/services/payments', clientId: `payments-${instance}` });
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, options.handleDelayMs ?? 0));
  const consumer = (name: string) => ({ groupInstanceId: `${name}-${instance}`, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, fetchMaxWaitMs: 100 });
  const fraud = await bus.subscribe(
    PaymentRequested,
    async (event, ctx) => {
      await pause();
      const reason = fraudVerdict(event.data);
      if (reason === null) await ctx.emit(PaymentApproved, event.data);
      else await ctx.emit(PaymentRejected, { ...event.data, reason });
    },
    { group: 'fraud-check', delivery: 'exactly-once', transactionalId: `fraud-check-${instance}`, concurrency: 4, consumer: consumer('fraud-check') },
  );
  const ledger = await bus.subscribe(
    PaymentApproved,
    async (event, ctx) => {
      await pause();
      await ctx.emit(LedgerEntry, { paymentId: event.data.paymentId, accountId: event.data.accountId, debitCents: event.data.amountCents });
    },
    { group: 'ledger', delivery: 'exactly-once', transactionalId: `ledger-${instance}`, concurrency: 4, consumer: consumer('ledger') },
  );
  return { bus, fraud, ledger };
}
