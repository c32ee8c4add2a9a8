import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBroker } from '../../src/index.js';
import { runExample } from '../../examples/user-registration/example.js';

/**
 * Example 1 end to end against the embedded broker: every registered user gets exactly one welcome
 * email addressed to them, and the audit log holds each registration and each welcome-sent event
 * once, the second caused by the first and sharing its correlation id. A second run against the
 * same broker (the services restarted) records nothing twice.
 */
test('user registration: one welcome email per user, each event audited once with its cause', async (t) => {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 3 } });
  const dir = await mkdtemp(join(tmpdir(), 'tributary-example-1-'));
  t.after(async () => {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });
  const users = 12;
  const result = await runExample({ bootstrapServers: broker.bootstrap, users, dir });
  assert.equal(result.mails.length, users);
  const registrations = result.audit.filter((l) => l.type === 'user.registered');
  const welcomes = result.audit.filter((l) => l.type === 'notification.welcome-sent');
  assert.equal(registrations.length, users);
  assert.equal(welcomes.length, users);
  assert.equal(new Set(result.audit.map((l) => l.id)).size, 2 * users, 'no event audited twice');
  for (const reg of registrations) {
    const mail = await readFile(join(result.outboxDir, `${reg.id}.eml`), 'utf8');
    const n = reg.userId.replace('user-', '');
    assert.match(mail, new RegExp(`^To: User ${n} <user${n}@example\\.com>`));
    assert.match(mail, new RegExp(`X-Correlation-Id: ${reg.id}`));
    const welcome = welcomes.filter((w) => w.causationId === reg.id);
    assert.equal(welcome.length, 1, `one welcome-sent caused by ${reg.id}`);
    assert.equal(welcome[0]!.correlationId, reg.id);
    assert.equal(welcome[0]!.userId, reg.userId);
  }

  // The services restarted (same groups, same dedupe topic): three more users; nothing of the first run again.
  const second = await runExample({ bootstrapServers: broker.bootstrap, users: 3, firstUser: users + 1, dir, timeoutMs: 30_000 });
  assert.equal(second.mails.length, users + 3);
  assert.equal(second.audit.length, 2 * (users + 3), 'nothing of the first run audited again');
  assert.equal(new Set(second.audit.map((l) => l.id)).size, 2 * (users + 3));
});
