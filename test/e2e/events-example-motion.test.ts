import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBroker } from '../../src/index.js';
import { runExample } from '../../examples/motion-alerting/example.js';

/**
 * Example 3 end to end against the embedded broker: the scripted readings raise exactly the alarms
 * the 3-in-10-s rule gives (s-1 once, s-2 never, s-3 once, s-4 twice), and the two malformed
 * readings are dead-lettered as invalid data with their original coordinates, while the readings
 * behind them (the rest of s-1 and s-3) still count.
 */
test('motion alerting: alarms by the window rule, malformed readings dead-lettered', async (t) => {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 3 } });
  t.after(() => broker.close());
  const { alarms, deadLetters } = await runExample({ bootstrapServers: broker.bootstrap, expectedAlarms: 4 });
  await new Promise((r) => setTimeout(r, 300));
  const bySensor = new Map<string, number>();
  for (const a of alarms) bySensor.set(a.sensorId, (bySensor.get(a.sensorId) ?? 0) + 1);
  assert.deepEqual([...bySensor].sort(), [['s-1', 1], ['s-3', 1], ['s-4', 2]]);
  for (const a of alarms) {
    assert.equal(a.motions, 3);
    assert.ok(Date.parse(a.to) - Date.parse(a.from) < 10_000);
  }
  assert.equal(deadLetters.length, 2);
  for (const d of deadLetters) {
    assert.equal(d.reason, 'invalid-data');
    assert.equal(d.originalTopic, 'sensor-motion');
    assert.equal(d.group, 'alerting');
    assert.ok(d.originalOffset >= 0);
  }
  assert.ok(deadLetters.some((d) => /confidence/.test(d.error)));
  assert.ok(deadLetters.some((d) => /\bat\b/.test(d.error)));
});
