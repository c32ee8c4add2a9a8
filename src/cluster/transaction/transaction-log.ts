/**
 * The broker's side of `__transaction_state` for the TransactionCoordinator (the `TransactionLogWriter`
 * seam, and loading): records are encoded in Kafka's key/value formats (records.ts) into one
 * uncompressed batch per append, written through the replica manager with acks=all (origin
 * coordinator), and a partition that becomes led here is read from its log start to its log end and
 * replayed into the coordinator at the partition's leader epoch (the coordinator epoch).
 *
 * Fencing: an append names the coordinator epoch it was decided at; it is refused with
 * NOT_LEADER_OR_FOLLOWER unless this broker still leads the partition at exactly that epoch, so a
 * coordinator that lost the partition (even briefly) cannot write behind its successor's back.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { buildRecordBatchSync, decodeRecordBatchesSync } from '../../protocol/records/index.js';
import { TRANSACTION_STATE_TOPIC, type InternalTopic } from '../internal-topics.js';
import type { GroupLogReplicas } from '../group/group-log.js';
import { decodeTransactionRecord, encodeTransactionRecord, type TransactionRecord } from './records.js';
import type { Clock, TransactionLogger, TransactionLogWriter } from './types.js';

export interface TransactionLogReplicas extends GroupLogReplicas {
  tryGet(topic: string, partition: number): ({ readonly leaderEpoch: number } & NonNullable<ReturnType<GroupLogReplicas['tryGet']>>) | undefined;
  append(topic: string, partition: number, records: Buffer, opts: { acks: -1; timeoutMs: number; origin?: 'client' | 'coordinator' }): Promise<unknown>;
}

/** What a partition is replayed into: the coordinator's load hooks. */
export interface TransactionLoadTarget {
  beginLoad(partition: number, coordinatorEpoch: number): void;
  replay(partition: number, record: TransactionRecord): void;
  completeLoad(partition: number): void;
  unload(partition: number, coordinatorEpoch?: number): boolean;
}

const LOAD_CHUNK_BYTES = 1024 * 1024;

export class TransactionLog implements TransactionLogWriter {
  constructor(
    private readonly replicas: TransactionLogReplicas,
    private readonly topic: InternalTopic,
    private readonly clock: Clock,
    private readonly logger: TransactionLogger,
    /** How long a write waits for the ISR (Kafka: transaction.state.log's request timeout). */
    private readonly writeTimeoutMs: number,
  ) {}

  /** Creates `__transaction_state` if needed (FindCoordinator for a transactional id does first). */
  async ensureTopic(): Promise<void> {
    await this.topic.ensure();
  }

  partitionCount(): number {
    return this.topic.partitionCount();
  }

  async append(partition: number, coordinatorEpoch: number, records: readonly TransactionRecord[]): Promise<void> {
    const hosted = this.replicas.tryGet(TRANSACTION_STATE_TOPIC, partition);
    if (!hosted || hosted.leaderEpoch !== coordinatorEpoch) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${TRANSACTION_STATE_TOPIC}-${partition} is not led here at coordinator epoch ${coordinatorEpoch}`);
    }
    const now = this.clock.now();
    const batch = buildRecordBatchSync({
      records: records.map((r) => {
        const kv = encodeTransactionRecord(r);
        return { key: kv.key, value: kv.value, timestamp: now };
      }),
      now,
    });
    await this.replicas.append(TRANSACTION_STATE_TOPIC, partition, batch, { acks: -1, timeoutMs: this.writeTimeoutMs, origin: 'coordinator' });
  }

  /**
   * Replays a partition led here into `target` at its current leader epoch. Returns the records read;
   * throws (after unloading what was begun) when the partition is not led here or cannot be read.
   */
  async load(partition: number, target: TransactionLoadTarget): Promise<number> {
    const hosted = this.replicas.tryGet(TRANSACTION_STATE_TOPIC, partition);
    if (!hosted) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${TRANSACTION_STATE_TOPIC}-${partition} is not led here`);
    const epoch = hosted.leaderEpoch;
    const end = hosted.log.logEndOffset;
    target.beginLoad(partition, epoch);
    let count = 0;
    try {
      let offset = hosted.log.logStartOffset;
      while (offset < end) {
        const chunk = await hosted.log.read(offset, LOAD_CHUNK_BYTES, { maxOffset: end, minOneMessage: true });
        if (chunk.records.length === 0 || chunk.nextOffset <= offset) break;
        for (const batch of decodeRecordBatchesSync(chunk.records)) {
          if (batch.isControl) continue;
          for (const rec of batch.records) {
            if (rec.offset < offset || rec.key === null) continue;
            let decoded: TransactionRecord | null;
            try {
              decoded = decodeTransactionRecord(rec.key, rec.value);
            } catch (err) {
              this.logger.warn({ partition, offset: rec.offset, err: String(err) }, 'skipping an undecodable __transaction_state record');
              continue;
            }
            if (decoded === null) continue;
            target.replay(partition, decoded);
            count += 1;
          }
        }
        offset = chunk.nextOffset;
      }
    } catch (err) {
      target.unload(partition, epoch);
      throw err;
    }
    target.completeLoad(partition);
    this.logger.info({ partition, coordinatorEpoch: epoch, records: count }, 'loaded the transactions of a __transaction_state partition');
    return count;
  }
}
