/**
 * The coordinator's inter-broker marker channel (Kafka's TransactionMarkerChannelManager, the
 * `TxnMarkerSender` seam): the partitions of a transaction are grouped by their current leader and
 * each leader gets one WriteTxnMarkers (v1) over a BrokerConnection to its inter-broker listener — this
 * broker's own partitions included, through its own listener, so there is one path. A partition gone
 * from the metadata is answered UNKNOWN_TOPIC_OR_PARTITION (the coordinator drops it, as Kafka does);
 * one without a leader, or whose leader cannot be reached, NOT_LEADER_OR_FOLLOWER (retried).
 *
 * Concurrency: one connection per broker, opened on first use and dropped when a request on it fails;
 * requests are pipelined on it. `close` drops them all.
 */
import type { Logger } from 'pino';
import { BrokerConnectionPool } from '../../network/broker-connection-pool.js';
import { ErrorCode } from '../../protocol/errors.js';
import { WriteTxnMarkersApi } from '../../protocol/messages/index.js';
import type { WriteTxnMarkersResponse } from '../../protocol/messages/write-txn-markers.js';
import type { TopicPartition } from './records.js';
import type { TxnMarkerPartitionResult, TxnMarkerRequest, TxnMarkerSender } from './types.js';

export interface TxnMarkerChannelOptions {
  /** The partition's leader id; -1 while it has none; undefined when the partition is not in the metadata. */
  readonly leaderOf: (topic: string, partition: number) => number | undefined;
  /** A broker's inter-broker endpoint, or undefined when it is not a live broker. */
  readonly endpointOf: (nodeId: number) => { host: string; port: number } | undefined;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
}

export class TxnMarkerChannel implements TxnMarkerSender {
  private readonly pool: BrokerConnectionPool;

  constructor(private readonly options: TxnMarkerChannelOptions) {
    this.pool = new BrokerConnectionPool({ endpointOf: options.endpointOf, requestTimeoutMs: options.requestTimeoutMs, name: 'marker channel' });
  }

  async send(request: TxnMarkerRequest): Promise<readonly TxnMarkerPartitionResult[]> {
    const results: TxnMarkerPartitionResult[] = [];
    const byLeader = new Map<number, TopicPartition[]>();
    for (const tp of request.partitions) {
      const leader = this.options.leaderOf(tp.topic, tp.partition);
      if (leader === undefined) results.push({ ...tp, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      else if (leader < 0) results.push({ ...tp, error: ErrorCode.NOT_LEADER_OR_FOLLOWER });
      else {
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(tp);
      }
    }
    await Promise.all([...byLeader].map(async ([leader, partitions]) => results.push(...(await this.sendTo(leader, request, partitions)))));
    return results;
  }

  private async sendTo(leader: number, request: TxnMarkerRequest, partitions: TopicPartition[]): Promise<TxnMarkerPartitionResult[]> {
    const topics = new Map<string, number[]>();
    for (const tp of partitions) {
      let list = topics.get(tp.topic);
      if (!list) topics.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    const body = {
      markers: [
        {
          producerId: request.producerId,
          producerEpoch: request.producerEpoch,
          transactionResult: request.result === 'commit',
          coordinatorEpoch: request.coordinatorEpoch,
          topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        },
      ],
    };
    try {
      const conn = await this.pool.connection(leader);
      const res = await conn.send<WriteTxnMarkersResponse>(WriteTxnMarkersApi, 1, body);
      const answered = new Map<string, number>();
      for (const m of res.markers) for (const t of m.topics) for (const p of t.partitions) answered.set(`${t.name}\0${p.partitionIndex}`, p.errorCode);
      return partitions.map((tp) => ({ ...tp, error: (answered.get(`${tp.topic}\0${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR) as ErrorCode }));
    } catch (err) {
      this.pool.drop(leader);
      this.options.logger.debug({ leader, err: String(err) }, 'WriteTxnMarkers failed; the coordinator retries');
      return partitions.map((tp) => ({ ...tp, error: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    }
  }

  close(): void {
    this.pool.close();
  }
}
