/**
 * Example 1, the services: a sign-up form publishes `user.registered`; the notification service
 * sends a welcome email (a file in a local outbox: `<event id>.eml`, so sending twice writes the
 * same file) and emits `notification.welcome-sent`; the audit service appends both events to an
 * audit log, skipping ids it has recorded (a compacted-topic dedupe store, so a restart does not
 * record twice).
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CompactedTopicDedupeStore, EventBus, defineEvent, type Subscription } from '../../src/events/index.js';

export const UserRegistered = defineEvent({
  type: 'user.registered',
  topic: 'users',
  schema: z.object({ userId: z.string().min(1), email: z.email(), name: z.string().min(1) }),
  key: (d) => d.userId,
  subject: (d) => `users/${d.userId}`,
});

export const WelcomeSent = defineEvent({
  type: 'notification.welcome-sent',
  topic: 'notifications',
  schema: z.object({ userId: z.string(), email: z.email(), file: z.string() }),
  key: (d) => d.userId,
});

/** What the web form does on submit. */
export async function submitSignUpForm(bus: EventBus, form: { userId: string; email: string; name: string }): Promise<string> {
  const { envelope } = await bus.publish(UserRegistered, form);
  return envelope.id;
}

export async function startNotificationService(bootstrapServers: string, outboxDir: string): Promise<{ bus: EventBus; subscription: Subscription }> {
  await mkdir(outboxDir, { recursive: true });
  const bus = new EventBus({ bootstrapServers, source: '/services/notifications', clientId: 'notifications' });
  const subscription = await bus.subscribe(
    UserRegistered,
    async (event, ctx) => {
      const file = join(outboxDir, `${event.id}.eml`);
      const mail = [`To: ${event.data.name} <${event.data.email}>`, 'From: welcome@tributary.example', `Subject: Welcome, ${event.data.name}!`, `X-Correlation-Id: ${event.correlationId}`, '', `Hello ${event.data.name}, thanks for signing up.`, ''].join('\r\n');
      await writeFile(file, mail);
      await ctx.emit(WelcomeSent, { userId: event.data.userId, email: event.data.email, file });
    },
    { group: 'notifications', concurrency: 4, retries: 3 },
  );
  return { bus, subscription };
}

export interface AuditLine {
  at: string;
  type: string;
  id: string;
  correlationId: string;
  causationId: string | null;
  subject: string | null;
  userId: string;
}

export async function startAuditService(bootstrapServers: string, auditFile: string): Promise<{ bus: EventBus; subscription: Subscription; store: CompactedTopicDedupeStore }> {
  const bus = new EventBus({ bootstrapServers, source: '/services/audit', clientId: 'audit' });
  const store = new CompactedTopicDedupeStore({ bootstrapServers, topic: 'audit.recorded', partitions: 1 });
  const subscription = await bus.subscribe(
    [UserRegistered, WelcomeSent],
    async (event) => {
      const line: AuditLine = { at: event.time, type: event.type, id: event.id, correlationId: event.correlationId, causationId: event.causationId, subject: event.subject, userId: event.data.userId };
      await appendFile(auditFile, `${JSON.stringify(line)}\n`);
    },
    { group: 'audit', dedupe: store },
  );
  return { bus, subscription, store };
}
