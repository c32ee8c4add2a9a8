import { WriteTxnMarkersApi } from '../../protocol/messages/index.js';
import type { WritableTxnMarker, WritableTxnMarkerResult, WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/messages/write-txn-markers.js';
import { ErrorCode } from '../../protocol/errors.js';
import { buildEndTxnMarkerBatch } from '../../protocol/records/control.js';
import { OFFSETS_TOPIC } from '../../cluster/internal-topics.js';
import { errorOf, register, type Reply, type RequestContext } from '../request-context.js';

/**
 * WriteTxnMarkers (inter-broker, from a transaction coordinator): for each marker, a COMMIT or ABORT control
 * batch appended to every named partition led here, with acks=all (as Kafka's ReplicaManager appends them,
 * origin coordinator), answered per partition. The log checks the producer and coordinator epochs
 * (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED) and, for an abort, indexes the transaction in
 * the segment's `.txnindex`; read_committed fetches stop at the partition's last stable offset until the
 * marker is below the high watermark.
 */
/** Kafka appends markers within the broker's request.timeout.ms (default 30 s). */
const MARKER_APPEND_TIMEOUT_MS = 30_000;

async function writeMarker(marker: WritableTxnMarker, ctx: RequestContext): Promise<WritableTxnMarkerResult> {
  const topics = await Promise.all(
    marker.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitionIndexes.map(async (partitionIndex) => {
          try {
            const batch = await buildEndTxnMarkerBatch({
              commit: marker.transactionResult,
              producerId: marker.producerId,
              producerEpoch: marker.producerEpoch,
              coordinatorEpoch: marker.coordinatorEpoch,
              timestamp: Date.now(),
            });
            await ctx.services.replicas.append(t.name, partitionIndex, batch, { acks: -1, timeoutMs: MARKER_APPEND_TIMEOUT_MS, origin: 'coordinator' });
            // Offsets committed in the transaction (TxnOffsetCommit) become visible, or are dropped.
            if (t.name === OFFSETS_TOPIC) {
              const { groups, groupLog } = ctx.services;
              groups.completeTransaction(marker.producerId, (groupId) => groupLog.partitionFor(groupId) === partitionIndex, marker.transactionResult);
            }
            return { partitionIndex, errorCode: ErrorCode.NONE };
          } catch (err) {
            return { partitionIndex, errorCode: errorOf(err).errorCode };
          }
        }),
      ),
    })),
  );
  return { producerId: marker.producerId, topics };
}

export const writeTxnMarkersHandler = register<WriteTxnMarkersRequest, Reply<WriteTxnMarkersResponse>>(WriteTxnMarkersApi, 0, 1, async (req, ctx) => ({
  markers: await Promise.all(req.markers.map((m) => writeMarker(m, ctx))),
}));
