/**
 * Example 1, one run: start the notification and audit services, submit the sign-up form for N
 * users, wait until every welcome email is in the outbox and every event in the audit log, stop.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBus } from '../../src/events/index.js';
import { startAuditService, startNotificationService, submitSignUpForm, type AuditLine } from './services.js';

export interface RunResult {
  outboxDir: string;
  auditFile: string;
  mails: string[];
  audit: AuditLine[];
}

export interface RunOptions {
  bootstrapServers: string;
  /** How many users sign up, numbered from `firstUser` (default 1). */
  users: number;
  firstUser?: number;
  /** Where the outbox and the audit log are (kept across runs). */
  dir: string;
  timeoutMs?: number;
}

export async function runExample(options: RunOptions): Promise<RunResult> {
  const outboxDir = join(options.dir, 'outbox');
  const auditFile = join(options.dir, 'audit.log');
  const notifications = await startNotificationService(options.bootstrapServers, outboxDir);
  const audit = await startAuditService(options.bootstrapServers, auditFile);
  const web = new EventBus({ bootstrapServers: options.bootstrapServers, source: '/web/sign-up', clientId: 'web' });
  try {
    const first = options.firstUser ?? 1;
    const ids: string[] = [];
    for (let i = first; i < first + options.users; i++) ids.push(await submitSignUpForm(web, { userId: `user-${i}`, email: `user${i}@example.com`, name: `User ${i}` }));
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      const mails = new Set(await readdir(outboxDir));
      const audit = (await readFile(auditFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
      const mailed = ids.filter((id) => mails.has(`${id}.eml`)).length;
      const audited = ids.filter((id) => audit.some((l) => l.id === id) && audit.some((l) => l.causationId === id)).length;
      if (mailed === ids.length && audited === ids.length) break;
      if (Date.now() > deadline) throw new Error(`timed out: ${mailed} of ${ids.length} mails, ${audited} of ${ids.length} registrations audited`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await web.close();
    await notifications.bus.close();
    await audit.bus.close();
    await audit.store.close();
  }
  const mails = (await readdir(outboxDir)).sort();
  const auditLines = (await readFile(auditFile, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
  return { outboxDir, auditFile, mails, audit: auditLines };
}

