/**
 * Test bench for the transaction coordinator: a fake clock whose timers fire only when a test
 * advances time, an in-memory `__transaction_state` (records per partition, writes fenced by
 * coordinator epoch, failures injected before or after the append, acks held back on demand), a
 * marker sender that records every send and answers scripted errors, and producer ids from a counter.
 */
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { decodeTransactionRecord, encodeTransactionRecord, type TransactionRecord } from '../../../src/cluster/transaction/records.js';
import { TransactionCoordinator } from '../../../src/cluster/transaction/transaction-coordinator.js';
import type { Clock, ProducerIdSource, TransactionCoordinatorConfig, TransactionLogWriter, TxnMarkerPartitionResult, TxnMarkerRequest, TxnMarkerSender } from '../../../src/cluster/transaction/types.js';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG } from '../../../src/cluster/transaction/types.js';
import { offsetsPartitionFor } from '../../../src/cluster/group/partitioner.js';
import { FakeTime as SharedFakeTime } from '../../helpers/fake-time.js';

/** The shared fake clock, letting more microtask turns settle after each timer (the coordinator chains more awaits). */
export class FakeTime extends SharedFakeTime {
  constructor() {
    super(20);
  }
}


export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

export type WriteFailure = 'none' | 'before-append' | 'after-append';

export interface AppendedRecord {
  readonly partition: number;
  readonly coordinatorEpoch: number;
  readonly record: TransactionRecord;
}

/**
 * `__transaction_state` in memory. Records go through the real codec (bytes stored, decoded on
 * read), so loading exercises it. A write at an epoch older than the partition's leader epoch is
 * refused with NOT_LEADER_OR_FOLLOWER, as a replica manager refuses a deposed leader.
 */
export class MemoryTransactionLog implements TransactionLogWriter {
  readonly stored = new Map<number, { key: Buffer; value: Buffer | null }[]>();
  readonly leaderEpoch = new Map<number, number>();
  /** Every record appended, in log order. */
  readonly appended: AppendedRecord[] = [];
  /** The next writes fail this way (shifted per write), then 'none'. */
  failures: { mode: WriteFailure; error: ErrorCode }[] = [];
  /** Decides the failure of each write not covered by `failures` (the simulation's dice). */
  failurePolicy: (() => { mode: WriteFailure; error: ErrorCode }) | null = null;
  /** Records whose write was acknowledged as successful. */
  readonly acked = new Set<TransactionRecord>();
  /** Records that reached the log although their write was answered with an error (a timed-out acks=all append). */
  readonly ambiguous = new Set<TransactionRecord>();
  /** Appended but not yet acknowledged writes per `coordinatorEpoch/transactionalId`. */
  readonly inFlight = new Map<string, number>();
  /** When set, acknowledgements wait until `releaseAcks` (the append itself happens at once). */
  holdAcks = false;
  private held: (() => void)[] = [];
  /** Observers called on each append (before the ack): the simulation checks invariants here. */
  onAppend: ((r: AppendedRecord) => void) | null = null;

  append(partition: number, coordinatorEpoch: number, records: readonly TransactionRecord[]): Promise<void> {
    const epoch = this.leaderEpoch.get(partition) ?? 0;
    if (coordinatorEpoch !== epoch) return Promise.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `epoch ${coordinatorEpoch} is not the leader epoch ${epoch}`));
    const failure = this.failures.shift() ?? this.failurePolicy?.() ?? { mode: 'none', error: ErrorCode.NONE };
    if (failure.mode === 'before-append') return Promise.reject(new KafkaError(failure.error));
    const log = this.stored.get(partition) ?? [];
    this.stored.set(partition, log);
    const keys: string[] = [];
    for (const record of records) {
      log.push(encodeTransactionRecord(record));
      const appended = { partition, coordinatorEpoch, record };
      this.appended.push(appended);
      this.onAppend?.(appended);
      const key = `${coordinatorEpoch}/${record.transactionalId}`;
      keys.push(key);
      this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    }
    return new Promise((resolve, reject) => {
      const ack = (): void => {
        for (const key of keys) this.inFlight.set(key, this.inFlight.get(key)! - 1);
        if (failure.mode === 'none') for (const record of records) this.acked.add(record);
        if (failure.mode === 'after-append') {
          for (const record of records) this.ambiguous.add(record);
          reject(new KafkaError(failure.error));
        }
        else resolve();
      };
      if (this.holdAcks) this.held.push(ack);
      else queueMicrotask(ack);
    });
  }

  /** Deliver `count` held acknowledgements (all by default), oldest first. */
  releaseAcks(count = Infinity): number {
    const n = Math.min(count, this.held.length);
    for (const ack of this.held.splice(0, n)) ack();
    return n;
  }

  get heldAcks(): number {
    return this.held.length;
  }

  /** The partition's records as a new leader reads them back. */
  read(partition: number): TransactionRecord[] {
    return (this.stored.get(partition) ?? []).map(({ key, value }) => decodeTransactionRecord(key, value)!);
  }
}

export interface SentMarkers {
  readonly request: TxnMarkerRequest;
  readonly atMs: number;
}

export class FakeMarkerSender implements TxnMarkerSender {
  readonly sent: SentMarkers[] = [];
  /** Errors for the next sends, per partition key `topic:partition`; 'reject' fails the whole send. */
  script: (Map<string, ErrorCode> | 'reject')[] = [];
  onSend: ((request: TxnMarkerRequest) => void) | null = null;
  /** Answers for sends the script does not cover (the simulation's dice). */
  policy: ((request: TxnMarkerRequest) => Map<string, ErrorCode> | 'reject' | undefined) | null = null;

  constructor(private readonly clock: Clock) {}

  send(request: TxnMarkerRequest): Promise<readonly TxnMarkerPartitionResult[]> {
    this.onSend?.(request);
    this.sent.push({ request, atMs: this.clock.now() });
    const step = this.script.shift() ?? this.policy?.(request);
    if (step === 'reject') return Promise.reject(new Error('connection lost'));
    return Promise.resolve(request.partitions.map((tp) => ({ ...tp, error: step?.get(`${tp.topic}:${tp.partition}`) ?? ErrorCode.NONE })));
  }
}

export class CountingProducerIds implements ProducerIdSource {
  next = 1000;
  failNext = 0;
  generate(): Promise<number> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'no producer id block'));
    }
    return Promise.resolve(this.next++);
  }
}

export const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

export const TEST_CONFIG: TransactionCoordinatorConfig = {
  ...DEFAULT_TRANSACTION_COORDINATOR_CONFIG,
  transactionMaxTimeoutMs: 60_000,
  transactionalIdExpirationMs: 3_600_000,
  abortTimedOutTransactionCleanupIntervalMs: 1_000,
  removeExpiredTransactionalIdsIntervalMs: 60_000,
  transactionStatePartitionCount: 4,
  retryBackoffMs: 100,
};

export interface Bench {
  readonly time: FakeTime;
  readonly log: MemoryTransactionLog;
  readonly markers: FakeMarkerSender;
  readonly producerIds: CountingProducerIds;
  coordinator: TransactionCoordinator;
  /** A new coordinator takes every partition over at the next epoch, loading it from the log. */
  failover(): TransactionCoordinator;
  /** Called by `failover` after the old coordinator is gone and before the new one loads. */
  beforeLoad: (() => void) | null;
}

export function newCoordinator(b: Pick<Bench, 'time' | 'log' | 'markers' | 'producerIds'>, config = TEST_CONFIG): TransactionCoordinator {
  const c = new TransactionCoordinator({
    config,
    writer: b.log,
    markers: b.markers,
    producerIds: b.producerIds,
    offsetsPartitionFor: (groupId) => offsetsPartitionFor(groupId, 50),
    clock: b.time,
    timers: b.time,
    logger: quietLogger,
  });
  for (let p = 0; p < config.transactionStatePartitionCount; p += 1) {
    const epoch = b.log.leaderEpoch.get(p) ?? 0;
    c.beginLoad(p, epoch);
    for (const r of b.log.read(p)) c.replay(p, r);
    c.completeLoad(p);
  }
  c.start();
  return c;
}

export function bench(config = TEST_CONFIG): Bench {
  const time = new FakeTime();
  const log = new MemoryTransactionLog();
  const markers = new FakeMarkerSender(time);
  const producerIds = new CountingProducerIds();
  const b: Bench = {
    time,
    log,
    markers,
    producerIds,
    coordinator: newCoordinator({ time, log, markers, producerIds }, config),
    beforeLoad: null,
    failover() {
      b.coordinator.close();
      for (let p = 0; p < config.transactionStatePartitionCount; p += 1) {
        b.coordinator.unload(p);
        log.leaderEpoch.set(p, (log.leaderEpoch.get(p) ?? 0) + 1);
      }
      b.beforeLoad?.();
      b.coordinator = newCoordinator(b, config);
      return b.coordinator;
    },
  };
  return b;
}

/** The KafkaError code a promise rejects with (NONE if it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<ErrorCode> {
  try {
    await p;
    return ErrorCode.NONE;
  } catch (err) {
    if (err instanceof KafkaError) return err.code;
    throw err;
  }
}
