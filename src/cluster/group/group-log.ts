/**
 * The durable side of the group coordinator: writes its records to `__consumer_offsets` and
 * replays that topic when the broker starts.
 *
 * Write path: records are grouped by the partition that owns their group
 * (`offsetsPartitionFor(groupId)`), each group of records becomes one uncompressed magic-2 batch in
 * Kafka's key/value formats, appended through the replica manager like any partition's data. The
 * promise resolves once every batch is in its log (and the high watermark has passed it), which is
 * when OffsetCommit may answer. Appends are issued synchronously in call order once the topic
 * exists, so the log order is the order in which the coordinator changed its state.
 *
 * Load path: every partition is read from its log start to its high watermark; each record is
 * decoded and handed to the coordinator in offset order (a tombstone deletes what its key held).
 *
 * Ownership (Kafka's GroupMetadataManager ownedPartitions / loadingPartitions): this broker
 * coordinates a group once the group's partition is led here *and* its groups have been read back
 * (`loadPartitionInto`). A partition led here whose groups are not in memory yet is loading — the
 * broker loads every partition it leads — so its groups answer COORDINATOR_LOAD_IN_PROGRESS and
 * clients retry here, while FindCoordinator keeps naming this broker. When the partition stops
 * being led here its groups are unloaded (`unloadPartition`) and the next lead loads them afresh.
 */
import { buildRecordBatchSync, decodeRecordBatchesSync } from '../../protocol/records/index.js';
import { ControlRecordType } from '../../protocol/records/control.js';
import { OFFSETS_TOPIC, type InternalTopic } from '../internal-topics.js';
import type { GroupCoordinator } from './group-coordinator.js';
import type { GroupJournal, GroupRecord, TransactionalWriter } from './group-records.js';
import { offsetsPartitionFor } from './partitioner.js';
import { decodeGroupRecord, encodeGroupRecord } from './records/codec.js';
import type { Clock, GroupLogger } from './types.js';

/** What the log needs from the replica manager (a narrow seam, so tests can pass a fake). */
export interface GroupLogReplicas {
  append(topic: string, partition: number, records: Buffer, opts: { acks: -1; timeoutMs: number; origin?: 'client' | 'coordinator' }): Promise<unknown>;
  tryGet(topic: string, partition: number): { readonly highWatermark: number; readonly log: ReadableLog } | undefined;
}

export interface ReadableLog {
  readonly logStartOffset: number;
  /** A new coordinator reads its whole log: what the previous one had acknowledged (acks=all) is all in it. */
  readonly logEndOffset: number;
  read(fetchOffset: number, maxBytes: number, opts: { maxOffset?: number; minOneMessage?: boolean }): Promise<{ records: Buffer; nextOffset: number }>;
}

/** How much of a partition is read per step while loading. */
const LOAD_CHUNK_BYTES = 1024 * 1024;

export interface LoadSummary {
  partitions: number;
  records: number;
  skipped: number;
  durationMs: number;
}

/** What a partition's groups are loaded into and unloaded from: the group coordinator. */
export type GroupLoadTarget = Pick<GroupCoordinator, 'beginLoad' | 'replay' | 'completeLoad' | 'unloadGroups' | 'stageTransactionalOffsets'>;

type OffsetCommitRecord = Extract<GroupRecord, { type: 'offset-commit' }>;
/** A transaction's offsets still waiting for their marker when a load reaches the end of the log. */
type StageTransactional = (producerId: number, records: readonly OffsetCommitRecord[]) => void;

export class GroupLog implements GroupJournal {
  /** Partitions led here whose groups are in memory: this broker coordinates their groups. */
  private readonly owned = new Set<number>();

  constructor(
    private readonly replicas: GroupLogReplicas,
    private readonly topic: InternalTopic,
    private readonly clock: Clock,
    private readonly logger: GroupLogger,
    /** offsets.commit.timeout.ms: how long a write waits for the ISR. */
    private readonly commitTimeoutMs = 5000,
  ) {}

  /** Create `__consumer_offsets` if needed (FindCoordinator does before naming a coordinator). */
  async ensureTopic(): Promise<void> {
    await this.topic.ensure();
  }

  /** Whether this broker coordinates `groupId`: it leads the group's partition and has loaded it. */
  isLocalCoordinator(groupId: string): boolean {
    const partition = this.partitionFor(groupId);
    return this.owned.has(partition) && this.isLed(partition);
  }

  /** Whether the group's partition is led here but its groups are not in memory yet. */
  isLoading(groupId: string): boolean {
    const partition = this.partitionFor(groupId);
    return !this.owned.has(partition) && this.isLed(partition);
  }

  /** Whether any partition led here is still loading (ListGroups then says COORDINATOR_LOAD_IN_PROGRESS). */
  isAnyLoading(): boolean {
    const info = this.topic.get();
    if (!info) return false;
    for (let partition = 0; partition < info.partitions; partition += 1) if (!this.owned.has(partition) && this.isLed(partition)) return true;
    return false;
  }

  private isLed(partition: number): boolean {
    return this.topic.get() !== undefined && this.replicas.tryGet(OFFSETS_TOPIC, partition) !== undefined;
  }

  /**
   * Read one partition led here back into `target` (beginLoad, replay in offset order,
   * completeLoad); from then on this broker coordinates its groups. Whatever `target` still holds
   * of the partition's groups is dropped first, so the log alone decides what they are. Should
   * reading fail, the partially read groups are dropped again and the partition stays loading.
   */
  async loadPartitionInto(partition: number, target: GroupLoadTarget): Promise<LoadSummary> {
    target.unloadGroups((groupId) => this.partitionFor(groupId) === partition);
    target.beginLoad();
    let summary: LoadSummary;
    try {
      summary = await this.loadOnePartition(partition, (record) => target.replay(record), (producerId, records) => target.stageTransactionalOffsets(producerId, records));
    } catch (err) {
      target.completeLoad();
      target.unloadGroups((groupId) => this.partitionFor(groupId) === partition);
      throw err;
    }
    target.completeLoad();
    this.owned.add(partition);
    return summary;
  }

  /**
   * The partition is no longer led here: its groups leave memory (parked requests answered
   * NOT_COORDINATOR). Returns how many groups were unloaded.
   */
  unloadPartition(partition: number, target: GroupLoadTarget): number {
    this.owned.delete(partition);
    const count = target.unloadGroups((groupId) => this.partitionFor(groupId) === partition);
    this.logger.info({ partition, groups: count }, 'unloaded the groups of a __consumer_offsets partition no longer led here');
    return count;
  }

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.topic.partitionCount());
  }

  append(records: readonly GroupRecord[], txn?: TransactionalWriter): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.topic.get()) return this.write(records, txn);
    // First write ever: create the topic, then write (later calls queue behind the same creation).
    return this.topic.ensure().then(() => this.write(records, txn));
  }

  /**
   * `txn`: TxnOffsetCommit's offsets go in a transactional batch of the producer (as Kafka writes them),
   * so the partition's transaction marker later commits or aborts them, in the log as in memory.
   */
  private write(records: readonly GroupRecord[], txn?: TransactionalWriter): Promise<void> {
    const byPartition = new Map<number, GroupRecord[]>();
    for (const r of records) {
      const p = this.partitionFor(r.groupId);
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(r);
    }
    const now = this.clock.now();
    const writes: Array<Promise<unknown>> = [];
    for (const [partition, list] of byPartition) {
      const batch = buildRecordBatchSync({
        records: list.map((r) => {
          const kv = encodeGroupRecord(r);
          return { key: kv.key, value: kv.value, timestamp: now };
        }),
        now,
        ...(txn && { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: 0, transactional: true }),
      });
      // As Kafka's coordinator: answered once the ISR has it (acks=all, offsets.commit.timeout.ms).
      writes.push(this.replicas.append(OFFSETS_TOPIC, partition, batch, { acks: -1, timeoutMs: this.commitTimeoutMs, ...(txn && { origin: 'coordinator' as const }) }));
    }
    return Promise.all(writes).then(() => undefined);
  }

  /** Replay every partition that exists into `apply`, in offset order per partition. */
  async load(apply: (record: GroupRecord) => void): Promise<LoadSummary> {
    const started = this.clock.now();
    const summary: LoadSummary = { partitions: 0, records: 0, skipped: 0, durationMs: 0 };
    const info = this.topic.get();
    if (!info) return summary;
    for (let partition = 0; partition < info.partitions; partition += 1) {
      const hosted = this.replicas.tryGet(OFFSETS_TOPIC, partition);
      if (!hosted) continue;
      summary.partitions += 1;
      await this.loadPartition(partition, hosted.log, hosted.log.logEndOffset, apply, summary);
    }
    summary.durationMs = this.clock.now() - started;
    if (summary.records > 0) this.logger.info({ ...summary }, 'loaded group metadata and offsets');
    return summary;
  }

  /** Replay one partition led here (one that became this broker's after start-up) into `apply`. */
  async loadOnePartition(partition: number, apply: (record: GroupRecord) => void, stage?: StageTransactional): Promise<LoadSummary> {
    const started = this.clock.now();
    const summary: LoadSummary = { partitions: 0, records: 0, skipped: 0, durationMs: 0 };
    const hosted = this.replicas.tryGet(OFFSETS_TOPIC, partition);
    if (!hosted) return summary;
    summary.partitions = 1;
    await this.loadPartition(partition, hosted.log, hosted.log.logEndOffset, apply, summary, stage);
    summary.durationMs = this.clock.now() - started;
    if (summary.records > 0) this.logger.info({ partition, ...summary }, 'loaded group metadata and offsets of a partition');
    return summary;
  }

  /**
   * Replays one partition. Offsets in a producer's transactional batches (TxnOffsetCommit) are held until
   * that producer's marker: COMMIT applies them, ABORT drops them; those still open at the end are staged.
   */
  private async loadPartition(partition: number, log: ReadableLog, highWatermark: number, apply: (record: GroupRecord) => void, summary: LoadSummary, stage?: StageTransactional): Promise<void> {
    const open = new Map<number, OffsetCommitRecord[]>();
    let offset = log.logStartOffset;
    while (offset < highWatermark) {
      const chunk = await log.read(offset, LOAD_CHUNK_BYTES, { maxOffset: highWatermark, minOneMessage: true });
      if (chunk.records.length === 0 || chunk.nextOffset <= offset) break;
      for (const batch of decodeRecordBatchesSync(chunk.records)) {
        if (batch.isControl) {
          const marker = batch.records[0];
          const held = open.get(batch.producerId);
          if (marker === undefined || marker.offset < offset || held === undefined) continue;
          open.delete(batch.producerId);
          const type = marker.key !== null && marker.key.length >= 4 ? marker.key.readInt16BE(2) : -1;
          if (type === ControlRecordType.Commit) for (const r of held) apply(r);
          continue;
        }
        const transactional = batch.isTransactional && batch.producerId >= 0;
        for (const rec of batch.records) {
          if (rec.offset < offset) continue; // the first batch may start before the fetch offset
          if (rec.key === null) {
            summary.skipped += 1;
            continue;
          }
          let decoded: GroupRecord | null;
          try {
            decoded = decodeGroupRecord(rec.key, rec.value);
          } catch (err) {
            this.logger.warn({ partition, offset: rec.offset, err: String(err) }, 'skipping an undecodable __consumer_offsets record');
            summary.skipped += 1;
            continue;
          }
          if (decoded === null) {
            summary.skipped += 1;
            continue;
          }
          if (transactional && decoded.type === 'offset-commit') {
            let held = open.get(batch.producerId);
            if (!held) open.set(batch.producerId, (held = []));
            held.push(decoded);
          } else apply(decoded);
          summary.records += 1;
        }
      }
      offset = chunk.nextOffset;
    }
    for (const [producerId, records] of open) stage?.(producerId, records);
  }
}
