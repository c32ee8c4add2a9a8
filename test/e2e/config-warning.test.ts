/**
 * `tributary server` logs one warning at start naming the properties the operator set that are
 * accepted but not acted on (docs/compatibility.md), and nothing about the ones it acts on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBrokerProcess } from '../helpers/broker-process.js';

test('one startup warning names exactly the explicitly set properties that are not acted on', { timeout: 30_000 }, async (t) => {
  const broker = await startBrokerProcess(t, {
    name: 'warn',
    overrides: { 'num.io.threads': 4, 'socket.send.buffer.bytes': 262144, 'log.segment.bytes': 1048576, 'max.partitions': 500, 'num.partitions': 2 },
  });
  const lines = broker
    .recentLogs(200_000)
    .split('\n')
    .filter((l) => l.includes('not acted on'));
  assert.equal(lines.length, 1, `expected one warning line, got:\n${lines.join('\n')}`);
  const entry = JSON.parse(lines[0]!) as { level: number; properties: string[] };
  assert.equal(entry.level, 40, 'a pino warn line');
  assert.deepEqual([...entry.properties].sort(), ['num.io.threads', 'socket.send.buffer.bytes']);
});
