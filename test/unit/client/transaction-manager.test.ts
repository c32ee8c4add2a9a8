import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { ClientConfigError, ProducerFatalError, ProducerFencedError, TransactionAbortableError, TransactionStateError } from '../../../src/client/errors.js';
import { Cluster } from '../../../src/client/cluster/cluster.js';
import { ProducerBatch, SendOp, type BatchIdentity } from '../../../src/client/producer/batch.js';
import { IdempotenceState } from '../../../src/client/producer/idempotence.js';
import { resolveProducerOptions } from '../../../src/client/producer/options.js';
import { Transaction } from '../../../src/client/producer/transaction.js';
import { TransactionManager, type Coordinator, type CoordinatorRpc } from '../../../src/client/producer/transaction-manager.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { AddOffsetsToTxnApi, AddPartitionsToTxnApi, EndTxnApi, InitProducerIdApi, TxnOffsetCommitApi } from '../../../src/protocol/messages/index.js';
import type { ApiSpec } from '../../../src/protocol/schema/dsl.js';

/**
 * The transaction manager's state machine against a scripted coordinator (no sockets): what it
 * sends, which errors it retries, which make the transaction abortable and which the producer fatal.
 */

type Body = Record<string, unknown>;
interface Call {
  api: string;
  coordinator: string;
  body: Body;
}

/** Per API a queue of error codes (or thrown transport errors) answered before NONE. */
class ScriptedCoordinators implements CoordinatorRpc {
  closed = false;
  version = 3;
  readonly calls: Call[] = [];
  readonly invalidated: string[] = [];
  private readonly scripts = new Map<number, Array<number | KafkaError | ((body: Body) => number)>>();
  private epoch = 0;
  /** Per partition answers of AddPartitionsToTxn / TxnOffsetCommit: code for `topic-partition`, default NONE. */
  partitionCode: (api: 'add' | 'offsets', topic: string, partition: number) => number = () => ErrorCode.NONE;

  script(api: ApiSpec, ...answers: Array<number | KafkaError | ((body: Body) => number)>): void {
    this.scripts.set(api.apiKey, [...(this.scripts.get(api.apiKey) ?? []), ...answers]);
  }

  of(api: ApiSpec): Call[] {
    return this.calls.filter((c) => c.api === api.name);
  }

  async request<Res>(c: Coordinator, api: ApiSpec, body: (version: number) => object): Promise<Res> {
    await new Promise((r) => setImmediate(r));
    const b = body(this.version) as Body;
    this.calls.push({ api: api.name, coordinator: `${c.type}:${c.key}`, body: b });
    const next = this.scripts.get(api.apiKey)?.shift();
    if (next instanceof KafkaError) throw next;
    const code = typeof next === 'function' ? next(b) : (next ?? ErrorCode.NONE);
    return this.answer(api, b, code) as Res;
  }

  private answer(api: ApiSpec, b: Body, code: number): object {
    switch (api.apiKey) {
      case InitProducerIdApi.apiKey:
        return code === ErrorCode.NONE ? { throttleTimeMs: 0, errorCode: 0, producerId: 4000, producerEpoch: this.epoch++ } : { throttleTimeMs: 0, errorCode: code, producerId: -1, producerEpoch: -1 };
      case AddPartitionsToTxnApi.apiKey: {
        const topics = b.v3AndBelowTopics as Array<{ name: string; partitions: number[] }>;
        return {
          throttleTimeMs: 0,
          resultsByTopicV3AndBelow: topics.map((t) => ({
            name: t.name,
            resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code !== ErrorCode.NONE ? code : this.partitionCode('add', t.name, p) })),
          })),
        };
      }
      case TxnOffsetCommitApi.apiKey: {
        const topics = b.topics as Array<{ name: string; partitions: Array<{ partitionIndex: number }> }>;
        return {
          throttleTimeMs: 0,
          topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code !== ErrorCode.NONE ? code : this.partitionCode('offsets', t.name, p.partitionIndex) })) })),
        };
      }
      default:
        return { throttleTimeMs: 0, errorCode: code, producerId: -1, producerEpoch: -1 };
    }
  }

  clearScripts(): void {
    this.scripts.clear();
  }

  invalidate(c: Coordinator): void {
    this.invalidated.push(`${c.type}:${c.key}`);
  }
}

interface Harness {
  rpc: ScriptedCoordinators;
  tm: TransactionManager;
  identities: BatchIdentity[];
  changes: { count: number };
}

function harness(o: { maxBlockMs?: number } = {}): Harness {
  const rpc = new ScriptedCoordinators();
  const identities: BatchIdentity[] = [];
  const changes = { count: 0 };
  const tm = new TransactionManager(
    { transactionalId: 'tx-1', transactionTimeoutMs: 30_000, maxBlockMs: o.maxBlockMs ?? 5_000, retryBackoffMs: 1, retryBackoffMaxMs: 5 },
    rpc,
    pino({ level: 'silent' }),
    (id) => identities.push(id),
    () => changes.count++,
  );
  return { rpc, tm, identities, changes };
}

async function ready(): Promise<Harness> {
  const h = harness();
  await h.tm.initialize();
  return h;
}

/** Waits until `cond` holds (the manager works on timers and promises). */
async function until(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const noop = (): Promise<void> => Promise.resolve();

test('options: a transactionalId needs idempotence; conflicts throw even when idempotent is left unset', () => {
  const B = { bootstrapServers: 'a:1' };
  const r = resolveProducerOptions({ ...B, transactionalId: 'x' });
  assert.equal(r.transactionalId, 'x');
  assert.equal(r.idempotence, 'explicit');
  assert.equal(r.transactionTimeoutMs, 60_000);
  assert.equal(resolveProducerOptions({ ...B, transactionalId: 'x', transactionTimeoutMs: 5000 }).transactionTimeoutMs, 5000);
  assert.equal(resolveProducerOptions(B).transactionalId, null);
  assert.throws(() => resolveProducerOptions({ ...B, transactionalId: 'x', idempotent: false }), (e: unknown) => e instanceof ClientConfigError && /needs idempotence/.test(e.message));
  for (const o of [{ acks: 1 as const }, { retries: 0 }, { maxInFlightRequestsPerConnection: 6 }]) {
    assert.throws(() => resolveProducerOptions({ ...B, ...o, transactionalId: 'x' }), (e: unknown) => e instanceof ClientConfigError && /transactionalId needs idempotence/.test(e.message), JSON.stringify(o));
  }
  assert.throws(() => resolveProducerOptions({ ...B, transactionalId: '' }), ClientConfigError);
  assert.throws(() => resolveProducerOptions({ ...B, transactionalId: 'x', transactionTimeoutMs: 0 }), ClientConfigError);
});

test('initialize: InitProducerId at the transaction coordinator, coordinator errors looked up again, loading and concurrent transactions retried', async () => {
  const h = harness();
  h.rpc.script(InitProducerIdApi, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.CONCURRENT_TRANSACTIONS, new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'connection lost'));
  assert.equal(h.tm.state, 'uninitialized');
  const p = h.tm.initialize();
  assert.equal(h.tm.state, 'initializing');
  assert.equal(h.tm.initialize(), p, 'concurrent callers share one initialization');
  await p;
  assert.equal(h.tm.state, 'ready');
  const inits = h.rpc.of(InitProducerIdApi);
  assert.equal(inits.length, 6);
  assert.ok(inits.every((c) => c.coordinator === 'transaction:tx-1'));
  assert.deepEqual(inits[0]!.body, { transactionalId: 'tx-1', transactionTimeoutMs: 30_000, producerId: -1, producerEpoch: -1 });
  assert.deepEqual(h.rpc.invalidated, ['transaction:tx-1', 'transaction:tx-1', 'transaction:tx-1']);
  assert.deepEqual(h.identities, [{ producerId: 4000, producerEpoch: 0 }]);
  await h.tm.initialize();
  assert.equal(h.rpc.of(InitProducerIdApi).length, 6, 'once ready, initialize sends nothing');
});

test('initialize: TRANSACTIONAL_ID_AUTHORIZATION_FAILED is fatal; every later call rejects with the same error', async () => {
  const h = harness();
  h.rpc.script(InitProducerIdApi, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const err = await h.tm.initialize().then(
    () => assert.fail('should reject'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProducerFatalError && !(err instanceof ProducerFencedError));
  assert.equal(err.code, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  assert.equal(h.tm.state, 'fatal');
  await assert.rejects(h.tm.initialize(), (e: unknown) => e === err);
  assert.throws(() => h.tm.begin(), (e: unknown) => e === err);
  assert.equal(h.tm.sendError(), err);
});

test('initialize: a timeout (maxBlockMs) leaves the producer uninitialized, and a later call starts again', async () => {
  const h = harness({ maxBlockMs: 30 });
  h.rpc.script(InitProducerIdApi, ...Array<number>(200).fill(ErrorCode.CONCURRENT_TRANSACTIONS));
  await assert.rejects(h.tm.initialize(), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.REQUEST_TIMED_OUT && e.retriable);
  assert.equal(h.tm.state, 'uninitialized');
  h.rpc.clearScripts();
  await h.tm.initialize();
  assert.equal(h.tm.state, 'ready');
});

test('one transaction at a time; sends only inside one', async () => {
  const h = await ready();
  assert.ok(h.tm.sendError() instanceof TransactionStateError, 'no transaction open');
  const seq = h.tm.begin();
  assert.equal(h.tm.state, 'in-transaction');
  assert.equal(h.tm.sendError(), null);
  assert.ok(h.tm.isOpen(seq));
  assert.throws(() => h.tm.begin(), (e: unknown) => e instanceof TransactionStateError && e.code === ErrorCode.INVALID_TXN_STATE && /already open/.test(e.message));
  await h.tm.commit(noop);
  assert.equal(h.tm.state, 'ready');
  assert.equal(h.rpc.of(EndTxnApi).length, 0, 'nothing was added: no EndTxn (the coordinator has no transaction to end)');
  assert.ok(!h.tm.isOpen(seq));
  assert.equal(h.tm.begin(), seq + 1);
});

test('partitions: the first batch waits; partitions queued in one tick go in one AddPartitionsToTxn; retriable answers are retried', async () => {
  const h = await ready();
  h.tm.begin();
  h.rpc.script(AddPartitionsToTxnApi, ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR);
  assert.equal(h.tm.mayDrain('a', 0), false);
  assert.equal(h.tm.mayDrain('a', 1), false);
  assert.equal(h.tm.mayDrain('b', 0), false);
  assert.equal(h.tm.mayDrain('a', 0), false, 'asking again queues nothing new');
  await until(() => h.tm.mayDrain('a', 0), 'a-0 added');
  assert.ok(h.tm.mayDrain('a', 1) && h.tm.mayDrain('b', 0));
  const adds = h.rpc.of(AddPartitionsToTxnApi);
  assert.equal(adds.length, 4, 'three retried answers, then NONE');
  assert.deepEqual(adds[0]!.body.v3AndBelowTopics, [{ name: 'a', partitions: [0, 1] }, { name: 'b', partitions: [0] }]);
  assert.equal(adds[0]!.body.v3AndBelowProducerId, 4000);
  assert.equal(adds[0]!.body.v3AndBelowTransactionalId, 'tx-1');
  assert.deepEqual(h.rpc.invalidated, ['transaction:tx-1']);
  assert.ok(h.changes.count > 0, 'the sender was woken');
  // A partition added later gets a request of its own.
  assert.equal(h.tm.mayDrain('c', 0), false);
  await until(() => h.tm.mayDrain('c', 0), 'c-0 added');
  assert.deepEqual(h.rpc.of(AddPartitionsToTxnApi)[4]!.body.v3AndBelowTopics, [{ name: 'c', partitions: [0] }]);
  await h.tm.commit(noop);
  const ends = h.rpc.of(EndTxnApi);
  assert.deepEqual(ends.map((c) => c.body), [{ transactionalId: 'tx-1', producerId: 4000, producerEpoch: 0, committed: true }]);
  h.tm.begin();
  assert.equal(h.tm.mayDrain('a', 0), false, 'a new transaction adds its partitions again');
});

test('partitions: an unknown topic retries (OPERATION_NOT_ATTEMPTED for the others); TOPIC_AUTHORIZATION_FAILED makes the transaction abortable', async () => {
  const h = await ready();
  h.tm.begin();
  // The first two requests: the new topic is not known yet, so the broker adds neither partition.
  h.rpc.partitionCode = (_api, topic) => {
    if (h.rpc.of(AddPartitionsToTxnApi).length > 2) return ErrorCode.NONE;
    return topic === 'new' ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED;
  };
  h.tm.mayDrain('new', 0);
  h.tm.mayDrain('old', 0);
  await until(() => h.tm.mayDrain('new', 0) && h.tm.mayDrain('old', 0), 'both added');
  assert.equal(h.rpc.of(AddPartitionsToTxnApi).length, 3);
  h.rpc.partitionCode = (_api, topic) => (topic === 'secret' ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.NONE);
  h.tm.mayDrain('secret', 0);
  await until(() => h.tm.state === 'abortable', 'abortable');
  assert.ok(h.tm.drainError() instanceof TransactionAbortableError, 'queued batches fail');
  await assert.rejects(h.tm.commit(noop), (e: unknown) => e instanceof TransactionAbortableError && e.code === ErrorCode.TRANSACTION_ABORTABLE && !e.retriable && /TOPIC_AUTHORIZATION_FAILED/.test(e.message));
  await h.tm.abort(noop);
  assert.equal(h.tm.state, 'ready');
  assert.deepEqual(h.rpc.of(EndTxnApi).map((c) => c.body.committed), [false]);
});

test('a failed send makes the transaction abortable: commit rejects, abort works; a batch that had a sequence makes the abort bump the epoch', async () => {
  const h = await ready();
  const seq = h.tm.begin();
  h.tm.mayDrain('t', 0);
  await until(() => h.tm.mayDrain('t', 0), 'added');
  const cause = new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'expired: not acknowledged within deliveryTimeoutMs');
  h.tm.onBatchFailed(cause, true);
  assert.equal(h.tm.state, 'abortable');
  const abortable = h.tm.sendError();
  assert.ok(abortable instanceof TransactionAbortableError && abortable.cause === cause);
  h.tm.onSendFailed(cause, seq); // the same failure seen by its send: nothing changes
  await assert.rejects(h.tm.commit(noop), (e: unknown) => e === abortable);
  let drained = 0;
  await h.tm.abort(async () => {
    drained++;
    assert.ok(h.tm.drainError() instanceof TransactionStateError, 'while aborting, what is queued fails');
  });
  assert.equal(drained, 1);
  assert.deepEqual(h.rpc.of(EndTxnApi).map((c) => c.body.committed), [false]);
  const inits = h.rpc.of(InitProducerIdApi);
  assert.equal(inits.length, 2);
  assert.deepEqual(inits[1]!.body, { transactionalId: 'tx-1', transactionTimeoutMs: 30_000, producerId: 4000, producerEpoch: 0 }, 'KIP-360: the bump names the current id and epoch');
  assert.deepEqual(h.identities.at(-1), { producerId: 4000, producerEpoch: 1 });
  assert.equal(h.tm.state, 'ready');
  // Nothing sequenced failed in the next one: no bump.
  h.tm.begin();
  h.tm.mayDrain('t', 0);
  await until(() => h.tm.mayDrain('t', 0), 'added');
  await h.tm.abort(noop);
  assert.equal(h.rpc.of(InitProducerIdApi).length, 2);
});

test('a send that fails before any batch (metadata, size) makes the transaction abortable too; a late failure of an earlier transaction does not', async () => {
  const h = await ready();
  const first = h.tm.begin();
  await h.tm.commit(noop);
  h.tm.begin();
  h.tm.onSendFailed(new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, 'too big'), first);
  assert.equal(h.tm.state, 'in-transaction');
  h.tm.onSendFailed(new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, 'too big'), first + 1);
  assert.equal(h.tm.state, 'abortable');
  await h.tm.abort(noop);
  assert.equal(h.rpc.of(EndTxnApi).length, 0, 'nothing reached the coordinator: no EndTxn');
});

test('PRODUCER_FENCED / INVALID_PRODUCER_EPOCH from EndTxn (a newer producer, or the coordinator aborted after transactionTimeoutMs) are fatal ProducerFencedErrors', async () => {
  for (const code of [ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]) {
    const h = await ready();
    const seq = h.tm.begin();
    h.tm.mayDrain('t', 0);
    await until(() => h.tm.mayDrain('t', 0), 'added');
    h.rpc.script(EndTxnApi, code);
    const err = await h.tm.commit(noop).then(
      () => assert.fail('should reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProducerFencedError && err instanceof ProducerFatalError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, /another producer with this id started, or the coordinator aborted the transaction after transactionTimeoutMs 30000/);
    assert.equal(h.tm.state, 'fatal');
    assert.equal(h.tm.drainError(), err);
    await assert.rejects(h.tm.abort(noop), (e: unknown) => e === err);
    const txn = new Transaction({ send: () => Promise.resolve([]), flush: noop, dropUnsent: noop }, h.tm, seq);
    await assert.rejects(txn.send({}), (e: unknown) => e === err);
  }
});

test('a produce failure with PRODUCER_FENCED is fatal at once (queued batches fail with it)', async () => {
  const h = await ready();
  h.tm.begin();
  h.tm.onBatchFailed(new KafkaError(ErrorCode.PRODUCER_FENCED, 'fenced'), true);
  assert.equal(h.tm.state, 'fatal');
  assert.ok(h.tm.drainError() instanceof ProducerFencedError);
});

test('EndTxn: retriable errors are retried (coordinator moved, concurrent transactions); a timeout keeps the commit pending and commit() resumes it, abort() is refused', async () => {
  const h = harness({ maxBlockMs: 40 });
  await h.tm.initialize();
  h.tm.begin();
  h.tm.mayDrain('t', 0);
  await until(() => h.tm.mayDrain('t', 0), 'added');
  h.rpc.script(EndTxnApi, ErrorCode.NOT_COORDINATOR, new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'lost'), ...Array<number>(500).fill(ErrorCode.CONCURRENT_TRANSACTIONS));
  let flushes = 0;
  const flush = (): Promise<void> => {
    flushes++;
    return Promise.resolve();
  };
  await assert.rejects(h.tm.commit(flush), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.REQUEST_TIMED_OUT);
  assert.equal(h.tm.state, 'committing');
  assert.ok(h.tm.sendError() instanceof TransactionStateError);
  await assert.rejects(h.tm.abort(noop), (e: unknown) => e instanceof TransactionStateError && /call commit\(\) again/.test(e.message));
  h.rpc.clearScripts();
  await h.tm.commit(flush);
  assert.equal(h.tm.state, 'ready');
  assert.equal(flushes, 2);
  assert.ok(h.rpc.of(EndTxnApi).every((c) => c.body.committed === true));
  assert.ok(h.rpc.invalidated.length >= 2);
});

test('concurrent commit() calls share one EndTxn', async () => {
  const h = await ready();
  h.tm.begin();
  h.tm.mayDrain('t', 0);
  await until(() => h.tm.mayDrain('t', 0), 'added');
  const a = h.tm.commit(noop);
  const b = h.tm.commit(noop);
  assert.equal(a, b);
  await a;
  assert.equal(h.rpc.of(EndTxnApi).length, 1);
});

test('commit waits for the flush and for offsets in flight; a batch failing during the flush turns the commit into an abortable error', async () => {
  const h = await ready();
  h.tm.begin();
  h.tm.mayDrain('t', 0);
  await until(() => h.tm.mayDrain('t', 0), 'added');
  await assert.rejects(
    h.tm.commit(async () => {
      assert.equal(h.tm.state, 'committing');
      assert.equal(h.tm.mayDrain('u', 0), false, 'partitions are still added while committing');
      await until(() => h.tm.mayDrain('u', 0), 'u added');
      h.tm.onBatchFailed(new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, 'isr'), true);
    }),
    TransactionAbortableError,
  );
  assert.equal(h.tm.state, 'abortable');
  assert.equal(h.rpc.of(EndTxnApi).length, 0);
  await h.tm.abort(noop);
  assert.equal(h.tm.state, 'ready');
});

test('sendOffsets: AddOffsetsToTxn at the transaction coordinator, TxnOffsetCommit at the group coordinator with the member, failed partitions retried alone', async () => {
  const h = await ready();
  h.tm.begin();
  h.rpc.script(AddOffsetsToTxnApi, ErrorCode.CONCURRENT_TRANSACTIONS);
  let loading = 1;
  h.rpc.partitionCode = (api, _topic, partition) => (api === 'offsets' && partition === 1 && loading-- > 0 ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE);
  const group = { groupId: 'g', generationId: 7, memberId: 'm-1', groupInstanceId: null };
  await h.tm.sendOffsets(group, [
    { topic: 'in', partition: 0, offset: 10 },
    { topic: 'in', partition: 1, offset: 20, metadata: 'x' },
  ]);
  const adds = h.rpc.of(AddOffsetsToTxnApi);
  assert.equal(adds.length, 2);
  assert.deepEqual(adds[1]!.body, { transactionalId: 'tx-1', producerId: 4000, producerEpoch: 0, groupId: 'g' });
  assert.ok(adds.every((c) => c.coordinator === 'transaction:tx-1'));
  const commits = h.rpc.of(TxnOffsetCommitApi);
  assert.equal(commits.length, 2);
  assert.ok(commits.every((c) => c.coordinator === 'group:g'));
  assert.deepEqual(commits[0]!.body, {
    transactionalId: 'tx-1',
    groupId: 'g',
    producerId: 4000,
    producerEpoch: 0,
    generationId: 7,
    memberId: 'm-1',
    groupInstanceId: null,
    topics: [
      {
        name: 'in',
        partitions: [
          { partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: -1, committedMetadata: null },
          { partitionIndex: 1, committedOffset: 20, committedLeaderEpoch: -1, committedMetadata: 'x' },
        ],
      },
    ],
  });
  assert.deepEqual(commits[1]!.body.topics, [{ name: 'in', partitions: [{ partitionIndex: 1, committedOffset: 20, committedLeaderEpoch: -1, committedMetadata: 'x' }] }]);
  // The group is in the transaction now: a second sendOffsets only commits.
  await h.tm.sendOffsets(group, [{ topic: 'in', partition: 0, offset: 11 }]);
  assert.equal(h.rpc.of(AddOffsetsToTxnApi).length, 2);
  await h.tm.commit(noop);
  assert.deepEqual(h.rpc.of(EndTxnApi).map((c) => c.body.committed), [true], 'offsets alone start a transaction that needs its EndTxn');
});

test('sendOffsets: ILLEGAL_GENERATION (a rebalance replaced the member) makes the transaction abortable', async () => {
  const h = await ready();
  h.tm.begin();
  h.rpc.script(TxnOffsetCommitApi, ErrorCode.ILLEGAL_GENERATION);
  await assert.rejects(h.tm.sendOffsets({ groupId: 'g', generationId: 3, memberId: 'm', groupInstanceId: null }, [{ topic: 'in', partition: 0, offset: 1 }]), (e: unknown) => e instanceof TransactionAbortableError && /ILLEGAL_GENERATION/.test(e.message));
  assert.equal(h.tm.state, 'abortable');
  await h.tm.abort(noop);
  assert.deepEqual(h.rpc.of(EndTxnApi).map((c) => c.body.committed), [false]);
});

test('abort while AddPartitionsToTxn retries: the loop stops, then EndTxn(abort)', async () => {
  const h = await ready();
  h.tm.begin();
  h.rpc.script(AddPartitionsToTxnApi, ...Array<number>(1000).fill(ErrorCode.CONCURRENT_TRANSACTIONS));
  h.tm.mayDrain('t', 0);
  await until(() => h.rpc.of(AddPartitionsToTxnApi).length >= 3, 'retrying');
  await h.tm.abort(noop);
  const sent = h.rpc.of(AddPartitionsToTxnApi).length;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(h.rpc.of(AddPartitionsToTxnApi).length, sent, 'no more AddPartitionsToTxn after the abort');
  assert.equal(h.rpc.of(EndTxnApi).length, 1);
  assert.equal(h.tm.state, 'ready');
});

test('an abort whose AddPartitionsToTxn never reached the coordinator accepts INVALID_TXN_STATE from EndTxn (nothing to end)', async () => {
  const h = await ready();
  h.tm.begin();
  h.rpc.script(AddPartitionsToTxnApi, ...Array<KafkaError>(1000).fill(new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'lost')));
  h.tm.mayDrain('t', 0);
  await until(() => h.rpc.of(AddPartitionsToTxnApi).length >= 2, 'retrying');
  h.rpc.script(EndTxnApi, ErrorCode.INVALID_TXN_STATE);
  await h.tm.abort(noop);
  assert.equal(h.tm.state, 'ready');
});

test('a transaction handle is good for its own transaction only', async () => {
  const h = await ready();
  const sent: unknown[] = [];
  const host = { send: (r: unknown) => (sent.push(r), Promise.resolve([])), flush: noop, dropUnsent: noop };
  const t1 = new Transaction(host, h.tm, h.tm.begin());
  assert.ok(t1.isActive);
  await t1.send({ n: 1 });
  await t1.commit();
  assert.ok(!t1.isActive);
  await assert.rejects(t1.send({ n: 2 }), (e: unknown) => e instanceof TransactionStateError && /has ended/.test(e.message));
  await assert.rejects(t1.commit(), TransactionStateError);
  await assert.rejects(t1.abort(), TransactionStateError);
  const t2 = new Transaction(host, h.tm, h.tm.begin());
  await assert.rejects(t1.sendOffsets({ consumerGroupId: 'g', offsets: [{ topic: 't', partition: 0, offset: 1 }] }), TransactionStateError);
  await assert.rejects(t2.sendOffsets({ offsets: [{ topic: 't', partition: 0, offset: 1 }] }), (e: unknown) => e instanceof ClientConfigError && /consumerGroupId and consumer/.test(e.message));
  await assert.rejects(t2.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0, offset: 'x' }] }] }), ClientConfigError);
  await t2.sendOffsets({ consumer: { groupMetadata: () => ({ groupId: 'g2', generationId: 4, memberId: 'mm', groupInstanceId: 'i-1' }) }, topics: [{ topic: 't', partitions: [{ partition: 2, offset: '15' }] }] });
  const commit = h.rpc.of(TxnOffsetCommitApi)[0]!;
  assert.equal(commit.coordinator, 'group:g2');
  assert.deepEqual([commit.body.generationId, commit.body.memberId, commit.body.groupInstanceId], [4, 'mm', 'i-1']);
  await t2.abort();
  assert.deepEqual(sent, [{ n: 1 }]);
});

test('invalid transitions are programming errors', async () => {
  const h = await ready();
  assert.throws(() => (h.tm as unknown as { transition(s: string): void }).transition('committing'), /invalid transition ready → committing/);
});

test('idempotence of a transactional producer: the identity comes from the manager; a sequence gap fails the batch instead of a reset', () => {
  const cluster = new Cluster({ bootstrapServers: '127.0.0.1:1' });
  try {
    let changes = 0;
    const s = new IdempotenceState(cluster, 'explicit', pino({ level: 'silent' }), () => changes++, true);
    const batch = (seq: number): ProducerBatch => {
      const b = new ProducerBatch('t', 0, seq, 0, 1e12);
      b.add(null, Buffer.from('x'), undefined, 1_700_000_000_000, 80, new SendOp(1), 0);
      return b;
    };
    const b = batch(0);
    assert.equal(s.mayDrain(b), false, 'no identity yet, and no InitProducerId of its own');
    s.setIdentity({ producerId: 7, producerEpoch: 2 });
    assert.equal(changes, 1);
    assert.ok(s.mayDrain(b));
    s.onDrained(b);
    assert.deepEqual(b.sequence, { producerId: 7, producerEpoch: 2, baseSequence: 0 });
    assert.equal(s.verdict(b, new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)), 'fail', 'a real gap fails the batch: the transaction aborts');
    s.onFailed(b, true);
    assert.equal(s.sequencesOf('t', 0).resetPending, false, 'no reset inside a transaction');
    // After the abort's epoch bump the partition starts again at 0.
    s.setIdentity({ producerId: 7, producerEpoch: 3 });
    const c = batch(1);
    assert.ok(s.mayDrain(c));
    s.onDrained(c);
    assert.deepEqual(c.sequence, { producerId: 7, producerEpoch: 3, baseSequence: 0 });
  } finally {
    cluster.close();
  }
});
