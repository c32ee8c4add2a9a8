/**
 * franz-go (kgo + kadm, Go module proxy versions pinned in test/interop/go/go.mod) against a
 * Tributary broker process: admin, produce (acks=all, idempotence off), group consume, commits.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { repoRoot } from '../helpers/paths.js';
import { formatRunFailure, runProcess } from '../helpers/proc.js';

const SRC = path.join(repoRoot, 'test', 'interop', 'go');
const BIN = path.join(process.env['TRIBUTARY_CACHE_DIR'] ?? path.join(os.homedir(), '.cache', 'tributary'), 'bin', 'franz-go-interop');
let broker: BrokerProcess;
before(async () => {
  // Up to date after `.ci/run` (which builds it once); Go's build cache makes this a no-op then.
  const build = await runProcess('go', ['build', '-o', BIN, '.'], { cwd: SRC, timeoutMs: 300_000 });
  assert.equal(build.code, 0, `${formatRunFailure(build, 'go build')}\n(needs Go and the modules of test/interop/go/go.mod: run \`bash .ci/run\`)`);
  broker = await startBrokerProcess(null, { name: 'tributary-for-franz-go' });
});
after(async () => {
  await broker?.cleanup();
});

test('franz-go: kadm creates and lists, kgo produces, consumes in a group and commits, kadm reads the offsets', { timeout: 120_000 }, async () => {
  const r = await runProcess(BIN, [broker.bootstrap, 'franz-go-roundtrip', '300'], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, formatRunFailure(r, 'franz-go-interop'));
  const facts = Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=', 2) as [string, string]));
  assert.deepEqual(facts, { 'admin.partitions': '3', produced: '300', consumed: '300', mismatched: '0', committed: '300', 'group.state': 'Empty' });
});
