import type { BrokerConnection } from '../../src/network/broker-connection.js';
import { FetchApi } from '../../src/protocol/messages/index.js';
import type { FetchResponse } from '../../src/protocol/messages/fetch.js';
import { recordsToBuffer } from '../../src/protocol/schema/records.js';

/**
 * A raw Fetch through the broker's own protocol code, for tests that look at what a partition
 * stores (batches, log start, high watermark) without a client in between. Unlike `wire.ts`, which
 * is an independent checker and must not import `src/`, this one uses `src/` on purpose.
 */

export interface StoredPartition {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  /** The record batches as returned (empty when there are none). */
  bytes: Buffer;
}

/** Fetch v11 of one partition from `offset`: no wait, at most 16 MiB, read-uncommitted. */
export async function fetchStored(conn: BrokerConnection, topic: string, partition: number, offset: number): Promise<StoredPartition> {
  const res = await conn.send<FetchResponse>(FetchApi, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 16 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 16 * 1024 * 1024 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const p = res.responses[0]!.partitions[0]!;
  return { errorCode: p.errorCode, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset, bytes: recordsToBuffer(p.records) ?? Buffer.alloc(0) };
}
