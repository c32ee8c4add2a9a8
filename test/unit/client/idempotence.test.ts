import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { ClientConfigError } from '../../../src/client/errors.js';
import { ProducerBatch, SendOp } from '../../../src/client/producer/batch.js';
import { resolveProducerOptions } from '../../../src/client/producer/options.js';
import type { ProducerOptions } from '../../../src/client/producer/options.js';
import { Producer } from '../../../src/client/producer/producer.js';
import { CompressionType } from '../../../src/protocol/compression/types.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { BASE_SEQUENCE, batchCrcMatches, incrementSequence, PRODUCER_EPOCH, PRODUCER_ID, readInt64 } from '../../../src/protocol/records/batch-header.js';
import { FakeIdempotentBroker, type StoredBatch } from '../../helpers/fake-idempotent-broker.js';

const B = { bootstrapServers: 'a:1' };

test('idempotence options: on by default; explicit conflicts throw; implicit conflicts turn it off (KIP-679)', () => {
  assert.equal(resolveProducerOptions(B).idempotence, 'default');
  assert.equal(resolveProducerOptions({ ...B, idempotent: true }).idempotence, 'explicit');
  assert.equal(resolveProducerOptions({ ...B, idempotent: true, acks: 'all', retries: 3, maxInFlightRequestsPerConnection: 5 }).idempotence, 'explicit');
  assert.equal(resolveProducerOptions({ ...B, idempotent: false }).idempotence, 'off');
  for (const o of [{ acks: 1 as const }, { acks: 0 as const }, { retries: 0 }, { maxInFlightRequestsPerConnection: 6 }]) {
    assert.equal(resolveProducerOptions({ ...B, ...o }).idempotence, 'off', JSON.stringify(o));
    assert.throws(() => resolveProducerOptions({ ...B, ...o, idempotent: true }), (e: unknown) => e instanceof ClientConfigError && /idempotent: true needs/.test(e.message), JSON.stringify(o));
  }
  assert.throws(() => resolveProducerOptions({ ...B, idempotent: true, acks: 1, retries: 0 }), /acks 'all' \(-1\), got 1 and retries > 0, got 0/);
});

test('sequences wrap from 2^31-1 to 0', () => {
  assert.equal(incrementSequence(5, 3), 8);
  assert.equal(incrementSequence(2 ** 31 - 1, 1), 0);
  assert.equal(incrementSequence(2 ** 31 - 10, 15), 5);
});

test('resequence rewrites producer id, epoch and base sequence in a copy, with a valid CRC', async () => {
  for (const compression of [CompressionType.None, CompressionType.Gzip]) {
    const b = new ProducerBatch('t', 0, 0, 0, 1e12);
    b.add(null, Buffer.from('x'), undefined, 1_700_000_000_000, 80, new SendOp(1), 0);
    b.sequence = { producerId: 7, producerEpoch: 1, baseSequence: 42 };
    const first = await b.seal(compression);
    assert.deepEqual([readInt64(first, PRODUCER_ID), first.readInt16BE(PRODUCER_EPOCH), first.readInt32BE(BASE_SEQUENCE)], [7, 1, 42]);
    assert.ok(batchCrcMatches(first));
    const copy = Buffer.from(first);
    b.resequence({ producerId: 9, producerEpoch: 0, baseSequence: 0 });
    const again = await b.seal(compression);
    assert.deepEqual([readInt64(again, PRODUCER_ID), again.readInt16BE(PRODUCER_EPOCH), again.readInt32BE(BASE_SEQUENCE)], [9, 0, 0]);
    assert.ok(batchCrcMatches(again));
    assert.deepEqual(first, copy, 'the bytes a socket may still hold are left alone');
  }
});

async function setup(t: TestContext, partitions = 3): Promise<FakeIdempotentBroker> {
  const broker = new FakeIdempotentBroker({ t: partitions });
  await broker.start();
  t.after(() => broker.stop());
  return broker;
}

function producer(t: TestContext, broker: FakeIdempotentBroker, o: Partial<ProducerOptions> = {}): Producer {
  const p = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 0, retryBackoffMs: 5, retryBackoffMaxMs: 20, reconnectBackoffMs: 5, reconnectBackoffMaxMs: 20, requestTimeoutMs: 2000, ...o });
  t.after(() => p.close({ timeoutMs: 100 }));
  return p;
}

/** Sends `rounds` × `perSend` records spread over `partitions` partitions, without waiting between sends. */
async function sendMany(p: Producer, rounds: number, perSend: number, partitions: number, tag = 'v'): Promise<Map<number, string[]>> {
  const sent = new Map<number, string[]>();
  const sends: Array<Promise<unknown>> = [];
  for (let r = 0; r < rounds; r++) {
    const partition = r % partitions;
    const values = Array.from({ length: perSend }, (_, i) => `${tag}-${r}-${i}`);
    sent.set(partition, [...(sent.get(partition) ?? []), ...values]);
    sends.push(
      p.send({ topic: 't', messages: values.map((v) => ({ value: Buffer.from(v), partition })) }).then((meta) => {
        assert.ok(meta.every((m) => m.partition === partition && m.offset >= 0));
      }),
    );
    if (r % 7 === 0) await new Promise((res) => setImmediate(res));
  }
  await Promise.all(sends);
  return sent;
}

function sequencesContiguous(batches: readonly StoredBatch[]): void {
  const byId = new Map<string, StoredBatch[]>();
  for (const b of batches) byId.set(`${b.producerId}/${b.producerEpoch}`, [...(byId.get(`${b.producerId}/${b.producerEpoch}`) ?? []), b]);
  for (const [id, list] of byId) {
    let next = list[0]!.baseSequence;
    for (const b of list) {
      assert.equal(b.baseSequence, next, `producer ${id}: sequences contiguous`);
      next += b.values.length;
    }
  }
}

test('idempotent by default: one InitProducerId (v5, transactionalId null), contiguous sequences from 0 per partition', async (t) => {
  const broker = await setup(t);
  const p = producer(t, broker);
  const sent = await sendMany(p, 30, 20, 3);
  assert.equal(broker.initRequests.length, 1);
  assert.deepEqual(broker.initRequests[0], { version: 5, producerId: -1, producerEpoch: -1, transactionalId: null });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(broker.values('t', i), sent.get(i));
    const batches = broker.logs.get(`t-${i}`)!;
    assert.ok(batches.every((b) => b.producerId === 1000 && b.producerEpoch === 0));
    assert.equal(batches[0]!.baseSequence, 0);
    sequencesContiguous(batches);
  }
});

for (const [compression, initialSeed] of [['none', 12345], ['gzip', 12345], ['none', 777], ['gzip', 4242]] as const) {
  test(`faults with 5 requests in flight (lost responses, dropped requests, retriable errors; ${compression}, seed ${initialSeed}): every record exactly once, in order`, async (t) => {
    const broker = await setup(t);
    let seed: number = initialSeed;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const faults = { 'drop-after': 0, 'drop-before': 0, error: 0 };
    broker.onProduce = () => {
      const x = random();
      if (x < 0.08) return (faults['drop-after']++, 'drop-after'); // written, the acknowledgement lost: the retry is a duplicate
      if (x < 0.14) return (faults['drop-before']++, 'drop-before');
      if (x < 0.2) return (faults.error++, { error: ErrorCode.NOT_LEADER_OR_FOLLOWER });
      return 'ok';
    };
    // Small batches: many batches per partition in flight at once.
    const p = producer(t, broker, { maxInFlightRequestsPerConnection: 5, batchSize: 120, batchMaxSize: 120, compression });
    const sent = await sendMany(p, 400, 3, 3);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(broker.values('t', i), sent.get(i), `partition ${i}: exactly once, in order`);
      sequencesContiguous(broker.logs.get(`t-${i}`)!);
    }
    assert.ok(faults['drop-after'] > 5 && faults['drop-before'] > 5 && faults.error > 5, JSON.stringify(faults));
    // None of these faults leaves a real gap: a reset would mean the sender let a batch overtake.
    assert.equal(broker.initRequests.length, 1, 'no producer reset was needed');
    t.diagnostic(`${broker.produceRequests} produce requests, ${broker.initRequests.length} InitProducerId, faults ${JSON.stringify(faults)}`);
  });
}

test('without idempotence the same faults duplicate records (the check above has teeth)', async (t) => {
  const broker = await setup(t);
  let n = 0;
  broker.onProduce = () => (n++ % 5 === 2 ? 'drop-after' : 'ok');
  const p = producer(t, broker, { idempotent: false });
  const sent = await sendMany(p, 60, 10, 3);
  const stored = [0, 1, 2].reduce((s, i) => s + broker.values('t', i).length, 0);
  const total = [...sent.values()].reduce((s, v) => s + v.length, 0);
  assert.ok(stored > total, `${stored} stored for ${total} sent`);
  assert.equal(broker.initRequests.length, 0);
});

test('InitProducerId retries coordinator errors with backoff', async (t) => {
  const broker = await setup(t, 1);
  broker.initErrors.push(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR);
  const p = producer(t, broker);
  const [m] = await p.send({ topic: 't', messages: [{ value: Buffer.from('a') }] });
  assert.equal(m!.offset, 0);
  assert.equal(broker.initRequests.length, 4);
  assert.equal(broker.logs.get('t-0')![0]!.producerId, 1000);
});

test('a cluster without InitProducerId: default falls back to plain producing with one warning; explicit fails UNSUPPORTED_VERSION', async (t) => {
  const broker = await setup(t, 1);
  broker.initProducerId = false;
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
  const p = producer(t, broker, { logger });
  await p.send({ topic: 't', messages: [{ value: Buffer.from('a') }] });
  await p.send({ topic: 't', messages: [{ value: Buffer.from('b') }] });
  assert.deepEqual(broker.values('t', 0), ['a', 'b']);
  assert.ok(broker.logs.get('t-0')!.every((b) => b.producerId === -1 && b.baseSequence === -1));
  const warnings = lines.filter((l) => /InitProducerId/.test(l));
  assert.equal(warnings.length, 1, lines.join('\n'));
  const strict = producer(t, broker, { idempotent: true });
  await assert.rejects(strict.send({ topic: 't', messages: [{ value: Buffer.from('c') }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_VERSION && /idempotent: false/.test(e.message));
  await assert.rejects(strict.send({ topic: 't', messages: [{ value: Buffer.from('d') }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_VERSION);
  assert.deepEqual(broker.values('t', 0), ['a', 'b']);
});

test('OUT_OF_ORDER_SEQUENCE_NUMBER with no earlier batch pending: InitProducerId with the current id and epoch, sequences restart at 0 (KIP-360)', async (t) => {
  const broker = await setup(t, 2);
  const p = producer(t, broker);
  await sendMany(p, 4, 5, 2, 'before');
  let injected = 0;
  broker.partitionError = (_t, partition, producerId) => (partition === 0 && producerId === 1000 && injected++ === 0 ? ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER : ErrorCode.NONE);
  const sent = await sendMany(p, 6, 5, 2, 'after');
  assert.equal(broker.initRequests.length, 2);
  assert.deepEqual(broker.initRequests[1], { version: 5, producerId: 1000, producerEpoch: 0, transactionalId: null });
  const p0 = broker.logs.get('t-0')!;
  const firstNew = p0.findIndex((b) => b.producerId === 1001);
  assert.ok(firstNew > 0);
  assert.equal(p0[firstNew]!.baseSequence, 0, 'the reset partition starts at 0 under the new id');
  assert.deepEqual(broker.values('t', 0).filter((v) => v.startsWith('after')), sent.get(0));
  assert.deepEqual(broker.values('t', 1).filter((v) => v.startsWith('after')), sent.get(1));
  // Partition 1 moves to the new id at its next batch, from 0 too.
  const p1 = broker.logs.get('t-1')!;
  const p1New = p1.filter((b) => b.producerId === 1001);
  if (p1New.length > 0) assert.equal(p1New[0]!.baseSequence, 0);
  sequencesContiguous(p0);
  sequencesContiguous(p1);
});

test('UNKNOWN_PRODUCER_ID resets like a gap; DUPLICATE_SEQUENCE_NUMBER counts as written', async (t) => {
  const broker = await setup(t, 1);
  const p = producer(t, broker);
  await p.send({ topic: 't', messages: [{ value: Buffer.from('a') }] });
  let once = true;
  broker.partitionError = () => (once ? ((once = false), ErrorCode.UNKNOWN_PRODUCER_ID) : ErrorCode.NONE);
  await p.send({ topic: 't', messages: [{ value: Buffer.from('b') }] });
  assert.equal(broker.initRequests.length, 2);
  assert.deepEqual(broker.values('t', 0), ['a', 'b']);
  broker.partitionError = () => ErrorCode.DUPLICATE_SEQUENCE_NUMBER;
  await p.send({ topic: 't', messages: [{ value: Buffer.from('c') }] });
});

test('PRODUCER_FENCED fails the batch and the producer; INVALID_PRODUCER_EPOCH fails the batch', async (t) => {
  const broker = await setup(t, 1);
  const p = producer(t, broker);
  broker.partitionError = () => ErrorCode.INVALID_PRODUCER_EPOCH;
  await assert.rejects(p.send({ topic: 't', messages: [{ value: Buffer.from('a') }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_PRODUCER_EPOCH);
  broker.partitionError = () => ErrorCode.NONE;
  await p.send({ topic: 't', messages: [{ value: Buffer.from('b') }] });
  broker.partitionError = () => ErrorCode.PRODUCER_FENCED;
  await assert.rejects(p.send({ topic: 't', messages: [{ value: Buffer.from('c') }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.PRODUCER_FENCED);
  broker.partitionError = () => ErrorCode.NONE;
  await assert.rejects(p.send({ topic: 't', messages: [{ value: Buffer.from('d') }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.PRODUCER_FENCED);
  assert.deepEqual(broker.values('t', 0), ['b']);
});

test('a sequenced batch that times out resets its partition: the next batch starts at 0 under a new producer id', async (t) => {
  const broker = await setup(t, 1);
  const p = producer(t, broker, { requestTimeoutMs: 300, deliveryTimeoutMs: 600 });
  await p.send({ topic: 't', messages: [{ value: Buffer.from('a') }] });
  broker.partitionError = () => ErrorCode.NOT_ENOUGH_REPLICAS;
  await assert.rejects(p.send({ topic: 't', messages: [{ value: Buffer.from('lost') }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_ENOUGH_REPLICAS);
  broker.partitionError = () => ErrorCode.NONE;
  await p.send({ topic: 't', messages: [{ value: Buffer.from('b') }] });
  assert.deepEqual(broker.values('t', 0), ['a', 'b']);
  const last = broker.logs.get('t-0')!.at(-1)!;
  assert.deepEqual([last.producerId, last.baseSequence], [1001, 0]);
});
