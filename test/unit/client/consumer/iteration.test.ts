import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Admin, Consumer, Producer, startBroker, type Deserializer } from '../../../../src/index.js';

/**
 * Iteration against an in-process broker, where chunks hold many records: leaving an iterator
 * part-way through a chunk and reading again continues at the next record (the fetched rest is
 * fetched again, nothing skipped or repeated), and a throwing deserializer stops the partition at
 * its record until the application seeks past it.
 */

const TOPIC = 'iter';
const COUNT = 500;

async function setup(t: TestContext): Promise<string> {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  t.after(() => broker.close());
  const bootstrap = broker.bootstrap;
  const admin = new Admin({ bootstrapServers: bootstrap });
  await admin.createTopics([{ name: TOPIC, numPartitions: 1 }]);
  await admin.close();
  const producer = new Producer({ bootstrapServers: bootstrap, lingerMs: 20 });
  await producer.send({ topic: TOPIC, messages: Array.from({ length: COUNT }, (_, i) => ({ value: Buffer.from(`v${i}`) })) });
  await producer.close();
  return bootstrap;
}

test('leaving the iterator mid-chunk and reading again continues at the next record; batches() too', { timeout: 30_000 }, async (t) => {
  const bootstrap = await setup(t);
  const consumer = new Consumer({ bootstrapServers: bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 });
  t.after(() => consumer.close());
  consumer.assign([{ topic: TOPIC, partition: 0 }]);
  const seen: number[] = [];
  // Several early exits, each a few records into what was fetched (every fetch holds them all).
  for (const stopAfter of [3, 7, 1]) {
    let n = 0;
    for await (const r of consumer) {
      seen.push(r.offset);
      if (++n === stopAfter) break;
    }
    assert.equal(consumer.position({ topic: TOPIC, partition: 0 }), seen[seen.length - 1]! + 1, 'the record in hand counts as processed');
  }
  for await (const b of consumer.batches()) {
    seen.push(...b.records.map((r) => r.offset));
    if (seen.length >= COUNT) break;
  }
  assert.deepEqual(seen, Array.from({ length: COUNT }, (_, i) => i));
  assert.equal(consumer.position({ topic: TOPIC, partition: 0 }), COUNT);
});

test('a throwing deserializer: records before it are delivered, the position stops at it until a seek past it', { timeout: 30_000 }, async (t) => {
  const bootstrap = await setup(t);
  const value: Deserializer<string> = {
    deserialize: (d) => {
      const s = d?.toString() ?? '';
      if (s === 'v42') throw new Error('cannot read v42');
      return s;
    },
  };
  const consumer = new Consumer<Buffer | null, string>({ bootstrapServers: bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, valueDeserializer: value });
  t.after(() => consumer.close());
  const tp = { topic: TOPIC, partition: 0 };
  consumer.assign([tp]);
  const read = async (mode: 'records' | 'batches', out: string[] = []): Promise<string[]> => {
    if (mode === 'records') {
      for await (const r of consumer) {
        out.push(r.value);
        if (r.offset === COUNT - 1) break;
      }
    } else {
      for await (const b of consumer.batches()) {
        out.push(...b.records.map((r) => r.value));
        if (b.records[b.records.length - 1]!.offset === COUNT - 1) break;
      }
    }
    return out;
  };
  for (const mode of ['records', 'batches'] as const) {
    consumer.seek(tp, 40);
    const got: string[] = [];
    await assert.rejects(read(mode, got), /cannot read v42/);
    assert.deepEqual(got, ['v40', 'v41'], `${mode}: the records before it were delivered`);
    assert.equal(consumer.position(tp), 42, `${mode}: stopped at the record that failed`);
    await assert.rejects(read(mode), /cannot read v42/, `${mode}: reading again fails again`);
    consumer.seek(tp, 43);
    const rest = await read(mode);
    assert.deepEqual(rest, Array.from({ length: COUNT - 43 }, (_, i) => `v${i + 43}`), `${mode}: continues after the seek`);
  }
});
