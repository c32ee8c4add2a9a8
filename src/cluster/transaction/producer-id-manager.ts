/**
 * Producer ids for InitProducerId (Kafka's RPCProducerIdManager, KIP-730): the broker asks the active
 * controller for a block of ids (AllocateProducerIds; the controller records the next free id in the
 * metadata log as a ProducerIdsRecord, so no id is handed out twice across the cluster, even after a
 * controller fail-over) and hands them out one by one. The next block is asked for when 90% of the current
 * one is used, so InitProducerId rarely waits on the controller.
 *
 * Concurrency: at most one AllocateProducerIds in flight; callers that find the block empty wait for it
 * (bounded by their timeout). The ids of a block this broker did not finish are skipped after a restart —
 * as in Kafka, ids are unique, not dense.
 */
import type { Logger } from 'pino';
import { AllocateProducerIdsApi } from '../../protocol/messages/index.js';
import type { AllocateProducerIdsResponse } from '../../protocol/messages/allocate-producer-ids.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ControllerChannel } from '../controller-channel.js';

interface ProducerIdBlock {
  next: number;
  /** Exclusive. */
  end: number;
  size: number;
}

export interface ProducerIdManagerOptions {
  readonly brokerId: number;
  readonly brokerEpoch: () => number;
  readonly channel: Pick<ControllerChannel, 'send'>;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
}

/** Ask for the next block once this share of the current one is used (Kafka's PRODUCER_ID_PREFETCH_RATIO). */
const PREFETCH_RATIO = 0.9;

export class ProducerIdManager {
  private current: ProducerIdBlock | null = null;
  private nextBlock: ProducerIdBlock | null = null;
  private fetching: Promise<void> | null = null;
  private lastError: KafkaError | null = null;

  constructor(private readonly options: ProducerIdManagerOptions) {}

  /** A producer id never handed out before; waits for a block from the controller when none is left. */
  async generate(): Promise<number> {
    for (;;) {
      const id = this.take();
      if (id !== null) return id;
      await this.fetchBlock();
      if (this.current === null && this.nextBlock === null) {
        throw this.lastError ?? new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'no producer id block is available yet');
      }
    }
  }

  private take(): number | null {
    if ((this.current === null || this.current.next >= this.current.end) && this.nextBlock !== null) {
      this.current = this.nextBlock;
      this.nextBlock = null;
    }
    const b = this.current;
    if (b === null || b.next >= b.end) return null;
    const id = b.next++;
    if (this.nextBlock === null && b.end - b.next <= b.size * (1 - PREFETCH_RATIO)) void this.fetchBlock().catch(() => undefined);
    return id;
  }

  private fetchBlock(): Promise<void> {
    this.fetching ??= this.requestBlock().finally(() => {
      this.fetching = null;
    });
    return this.fetching;
  }

  private async requestBlock(): Promise<void> {
    const { brokerId, brokerEpoch, channel, requestTimeoutMs, logger } = this.options;
    try {
      const res = await channel.send<AllocateProducerIdsResponse>(AllocateProducerIdsApi, 0, { brokerId, brokerEpoch: brokerEpoch() }, { timeoutMs: requestTimeoutMs });
      if (res.errorCode !== ErrorCode.NONE) {
        // STALE_BROKER_EPOCH while registering, or the controller's own trouble: the client retries InitProducerId.
        this.lastError = new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `the controller refused a producer id block (error ${res.errorCode})`);
        return;
      }
      if (res.producerIdLen <= 0 || res.producerIdStart < 0) {
        this.lastError = new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the controller answered an empty producer id block at ${res.producerIdStart}`);
        return;
      }
      this.lastError = null;
      this.nextBlock = { next: res.producerIdStart, end: res.producerIdStart + res.producerIdLen, size: res.producerIdLen };
      logger.debug({ start: res.producerIdStart, length: res.producerIdLen }, 'got a producer id block');
    } catch (err) {
      this.lastError = err instanceof KafkaError && err.code !== ErrorCode.REQUEST_TIMED_OUT ? err : new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `no producer id block: ${err instanceof Error ? err.message : String(err)}`);
      logger.warn({ err }, 'AllocateProducerIds failed');
    }
  }
}
