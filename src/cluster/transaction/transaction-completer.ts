/**
 * Finishes a transaction whose Prepare* record is durable (Kafka's TransactionMarkerChannelManager
 * and its completion handler): marks it pending Complete*, writes the markers to every partition of
 * the transaction, then writes CompleteCommit/CompleteAbort.
 *
 * Retries: partitions whose marker failed are sent again after `retryBackoffMs` until each is
 * written or gone; the Complete* record is rewritten until it is durable. Both stop as soon as
 * this coordinator no longer holds the id at the epoch it started with (the partition moved or was
 * reloaded: the new holder finishes the job from the log), or when a partition leader answers that
 * a newer coordinator or producer epoch has fenced us.
 *
 * Kafka gives up rewriting Complete* on errors other than COORDINATOR_NOT_AVAILABLE, which leaves
 * the id stuck in Prepare* until the partition moves; we retry any error while we still hold the id.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { TopicPartition } from './records.js';
import type { TxnTransition } from './transaction-metadata.js';
import { topicPartitionKey } from './transaction-metadata.js';
import { TransactionState } from './transaction-state.js';
import type { CoordinatedTransaction, TransactionStateManager } from './transaction-state-manager.js';
import type { Clock, Timers, TransactionLogger, TxnMarkerPartitionResult, TxnMarkerSender } from './types.js';

export interface TransactionCompleterOptions {
  readonly state: TransactionStateManager;
  readonly markers: TxnMarkerSender;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: TransactionLogger;
  readonly retryBackoffMs: number;
  /** The coordinator's appendTransition, keeping the transition pending when the write fails. */
  readonly append: (t: CoordinatedTransaction, transition: TxnTransition, afterApply?: () => void) => Promise<void>;
}

type MarkerOutcome = 'done' | 'retry' | 'fenced';

/** Kafka's TransactionMarkerRequestCompletionHandler, per partition. */
export function markerOutcomeFor(error: ErrorCode): MarkerOutcome {
  switch (error) {
    case ErrorCode.NONE:
    // The partition is gone from the metadata image (see TxnMarkerPartitionResult): nothing to mark.
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    // The partition's log cannot hold markers; Kafka skips it too.
    case ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case ErrorCode.UNSUPPORTED_VERSION:
      return 'done';
    // A newer coordinator (or a newer producer epoch) owns this transaction now.
    case ErrorCode.INVALID_PRODUCER_EPOCH:
    case ErrorCode.TRANSACTION_COORDINATOR_FENCED:
      return 'fenced';
    default:
      return 'retry';
  }
}

export class TransactionCompleter {
  private closed = false;
  private readonly sleeping = new Map<unknown, () => void>();

  constructor(private readonly options: TransactionCompleterOptions) {}

  /**
   * Start finishing `t` (in PrepareCommit/PrepareAbort, nothing pending). Synchronously marks the
   * Complete* transition pending, so nothing else can touch the id until it is written; the rest
   * runs in the background and never throws.
   */
  complete(t: CoordinatedTransaction): void {
    const m = t.metadata;
    if (m.state !== TransactionState.PrepareCommit && m.state !== TransactionState.PrepareAbort) throw new Error(`${m.transactionalId} is ${m.stateName}, not Prepare*`);
    const transition = m.prepareComplete(this.options.clock.now());
    void this.run(t, transition).catch((err: unknown) => this.options.logger.warn({ transactionalId: m.transactionalId, err }, 'completing a transaction failed'));
  }

  close(): void {
    this.closed = true;
    for (const [handle, wake] of this.sleeping) {
      this.options.timers.clearTimeout(handle);
      wake();
    }
    this.sleeping.clear();
  }

  private stillOurs(t: CoordinatedTransaction, transition: TxnTransition): boolean {
    return !this.closed && this.options.state.isCurrent(t.metadata, t.coordinatorEpoch) && t.metadata.pendingTransition === transition;
  }

  private async run(t: CoordinatedTransaction, transition: TxnTransition): Promise<void> {
    const m = t.metadata;
    const result = m.state === TransactionState.PrepareCommit ? 'commit' : 'abort';
    const request = { transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch, result, coordinatorEpoch: t.coordinatorEpoch } as const;
    let remaining: TopicPartition[] = m.partitionList();
    while (remaining.length > 0) {
      if (!this.stillOurs(t, transition)) return;
      let results: readonly TxnMarkerPartitionResult[] | null;
      try {
        results = await this.options.markers.send({ ...request, partitions: remaining });
      } catch (err) {
        this.options.logger.debug({ transactionalId: m.transactionalId, err }, 'sending markers failed; retrying');
        results = null;
      }
      if (!this.stillOurs(t, transition)) return;
      if (results !== null) {
        const byKey = new Map(results.map((r) => [topicPartitionKey(r), r.error] as const));
        const next: TopicPartition[] = [];
        for (const tp of remaining) {
          const outcome = markerOutcomeFor(byKey.get(topicPartitionKey(tp)) ?? ErrorCode.REQUEST_TIMED_OUT);
          if (outcome === 'fenced') {
            this.options.logger.info({ transactionalId: m.transactionalId, topic: tp.topic, partition: tp.partition }, 'markers fenced by a newer coordinator or producer epoch; giving up');
            return;
          }
          if (outcome === 'retry') next.push(tp);
        }
        remaining = next;
      }
      if (remaining.length > 0 && !(await this.sleep())) return;
    }
    for (;;) {
      if (!this.stillOurs(t, transition)) return;
      try {
        await this.options.append(t, transition);
        return;
      } catch (err) {
        if (!this.stillOurs(t, transition)) return;
        this.options.logger.debug({ transactionalId: m.transactionalId, err }, `writing Complete ${result} failed; retrying`);
      }
      if (!(await this.sleep())) return;
    }
  }

  /** Wait `retryBackoffMs`; false when closed meanwhile. */
  private sleep(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const handle = this.options.timers.setTimeout(() => {
        this.sleeping.delete(handle);
        resolve(!this.closed);
      }, this.options.retryBackoffMs);
      (handle as { unref?: () => void } | null)?.unref?.();
      this.sleeping.set(handle, () => resolve(false));
    });
  }
}
