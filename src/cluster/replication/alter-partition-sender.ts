/**
 * Sends the ISR changes partition leaders decide to the active controller (Kafka's
 * AlterPartitionManager): changes queued while a request is in flight go together in the next one; at
 * most one change per partition is outstanding (the Partition's pending state guards that). Each answer
 * is handed back per partition; a failed request (no controller within the timeout, connection lost)
 * hands back REQUEST_TIMED_OUT for each of its partitions, and the leader may try again.
 */
import { AlterPartitionApi } from '../../protocol/messages/index.js';
import type { AlterPartitionRequest, AlterPartitionResponse, ResponsePartitionData } from '../../protocol/messages/alter-partition.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ControllerRequesterOptions } from '../controller-channel.js';

export interface IsrChangeRequest {
  readonly topicId: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: ReadonlyArray<{ brokerId: number; brokerEpoch: number }>;
  readonly leaderRecoveryState: number;
  /** The controller's answer for this partition (errorCode NONE: the new ISR and partition epoch). */
  readonly onAnswer: (answer: ResponsePartitionData) => void;
}

export type AlterPartitionSenderOptions = ControllerRequesterOptions;

/** AlterPartition v3: topic ids and each new member's broker epoch. */
const ALTER_PARTITION_VERSION = 3;

export class AlterPartitionSender {
  private queued: IsrChangeRequest[] = [];
  private inFlight = false;
  private closed = false;

  constructor(private readonly options: AlterPartitionSenderOptions) {}

  submit(change: IsrChangeRequest): void {
    if (this.closed) return;
    this.queued.push(change);
    if (!this.inFlight) void this.sendQueued();
  }

  private async sendQueued(): Promise<void> {
    while (this.queued.length > 0 && !this.closed) {
      const batch = this.queued;
      this.queued = [];
      this.inFlight = true;
      const byTopic = new Map<string, IsrChangeRequest[]>();
      for (const c of batch) {
        let list = byTopic.get(c.topicId);
        if (!list) byTopic.set(c.topicId, (list = []));
        list.push(c);
      }
      const req: AlterPartitionRequest = {
        brokerId: this.options.brokerId,
        brokerEpoch: this.options.brokerEpoch(),
        topics: [...byTopic].map(([topicId, changes]) => ({
          topicName: '',
          topicId,
          partitions: changes.map((c) => ({
            partitionIndex: c.partition,
            leaderEpoch: c.leaderEpoch,
            newIsr: c.isr.map((b) => b.brokerId),
            newIsrWithEpochs: c.isr.map((b) => ({ brokerId: b.brokerId, brokerEpoch: b.brokerEpoch })),
            leaderRecoveryState: c.leaderRecoveryState,
            partitionEpoch: c.partitionEpoch,
          })),
        })),
      };
      try {
        const res = await this.options.channel.send<AlterPartitionResponse>(AlterPartitionApi, ALTER_PARTITION_VERSION, req, { timeoutMs: this.options.requestTimeoutMs });
        this.deliver(batch, res);
      } catch (err) {
        this.options.logger.warn({ err, partitions: batch.length }, 'AlterPartition failed; the leaders will retry');
        for (const c of batch) c.onAnswer(failed(c, ErrorCode.REQUEST_TIMED_OUT));
      } finally {
        this.inFlight = false;
      }
    }
  }

  private deliver(batch: readonly IsrChangeRequest[], res: AlterPartitionResponse): void {
    if (res.errorCode !== ErrorCode.NONE) {
      this.options.logger.warn({ errorCode: res.errorCode }, 'AlterPartition refused as a whole');
      for (const c of batch) c.onAnswer(failed(c, res.errorCode));
      return;
    }
    const answers = new Map<string, ResponsePartitionData>();
    for (const t of res.topics) for (const p of t.partitions) answers.set(`${t.topicId}:${p.partitionIndex}`, p);
    for (const c of batch) c.onAnswer(answers.get(`${c.topicId}:${c.partition}`) ?? failed(c, ErrorCode.UNKNOWN_SERVER_ERROR));
  }

  close(): void {
    this.closed = true;
    this.queued = [];
  }
}

function failed(c: IsrChangeRequest, errorCode: number): ResponsePartitionData {
  return { partitionIndex: c.partition, errorCode, leaderId: -1, leaderEpoch: -1, isr: [], leaderRecoveryState: 0, partitionEpoch: -1 };
}
