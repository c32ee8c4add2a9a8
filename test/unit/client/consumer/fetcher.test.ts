import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { Fetcher } from '../../../../src/client/consumer/fetcher.js';
import { resolveConsumerOptions } from '../../../../src/client/consumer/options.js';
import { Assignment } from '../../../../src/client/consumer/partition-state.js';
import type { Cluster } from '../../../../src/client/cluster/cluster.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import type { FetchRequest, FetchResponse, PartitionData } from '../../../../src/protocol/messages/fetch.js';
import { buildRecordBatchSync } from '../../../../src/protocol/records/index.js';
import { ZERO_UUID } from '../../../../src/protocol/schema/uuid.js';

/**
 * The fetcher against a scripted cluster: leader moves (NOT_LEADER_OR_FOLLOWER → metadata refresh,
 * retry at the new leader), OFFSET_OUT_OF_RANGE → reset, one fetch per broker in flight, and
 * records below the fetch offset skipped.
 */

type Answer = (req: FetchRequest, broker: number) => Partial<PartitionData>;

function fakeCluster(leaders: Map<number, number>, answer: Answer): { cluster: Cluster; requests: Array<{ broker: number; req: FetchRequest }>; refreshes: string[] } {
  const requests: Array<{ broker: number; req: FetchRequest }> = [];
  const refreshes: string[] = [];
  const cluster = {
    metadata: {
      leaderOf: (_t: string, p: number) => leaders.get(p) ?? -1,
      broker: (id: number) => (id >= 0 ? { nodeId: id, host: 'h', port: 1, rack: null } : undefined),
      topic: () => ({ topicId: ZERO_UUID }),
    },
    requestMetadataRefresh: (reason: string) => void refreshes.push(reason),
    link: (broker: number) => ({
      request: async (_api: unknown, body: (v: number) => FetchRequest): Promise<FetchResponse> => {
        const req = body(12);
        requests.push({ broker, req });
        await new Promise((r) => setTimeout(r, 5));
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: 0,
          nodeEndpoints: [],
          responses: req.topics.map((t) => ({
            topic: t.topic,
            topicId: ZERO_UUID,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partition,
              errorCode: 0,
              highWatermark: 100,
              lastStableOffset: 100,
              logStartOffset: 0,
              divergingEpoch: { epoch: -1, endOffset: -1 },
              currentLeader: { leaderId: -1, leaderEpoch: -1 },
              snapshotId: { endOffset: -1, epoch: -1 },
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: null,
              ...answer(req, broker),
            })),
          })),
        };
      },
    }),
  } as unknown as Cluster;
  return { cluster, requests, refreshes };
}

function batch(baseOffset: number, n: number): Buffer {
  return buildRecordBatchSync({ baseOffset, records: Array.from({ length: n }, (_, i) => ({ value: `v${baseOffset + i}` })) });
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition reached');
};

test('fetcher: NOT_LEADER_OR_FOLLOWER refreshes metadata and the partition is fetched again at its new leader', async () => {
  const leaders = new Map([[0, 1]]);
  const { cluster, requests, refreshes } = fakeCluster(leaders, (req, broker) => {
    if (broker === 1) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const offset = req.topics[0]!.partitions[0]!.fetchOffset;
    return { records: batch(offset, 5) };
  });
  const assignment = new Assignment();
  const [s] = assignment.add([{ topic: 't', partition: 0 }]);
  s!.moveTo(0);
  const opts = resolveConsumerOptions({ bootstrapServers: 'h:1', retryBackoffMs: 10 });
  const fetcher = new Fetcher(cluster, assignment, opts, pino({ level: 'silent' }), { needOffsets: () => undefined, error: (e) => assert.fail(e) });
  fetcher.maybeFetch();
  await until(() => refreshes.length > 0);
  assert.match(refreshes[0]!, /NOT_LEADER_OR_FOLLOWER/);
  leaders.set(0, 2); // the refreshed metadata names broker 2
  await until(() => s!.queued > 0);
  const chunk = fetcher.take();
  assert.ok(chunk);
  assert.deepEqual([chunk.next()?.offset, chunk.next()?.offset], [0, 1]);
  assert.equal(requests[0]!.broker, 1);
  assert.ok(requests.some((r) => r.broker === 2), 'fetched again at the new leader');
  fetcher.close();
});

test('fetcher: OFFSET_OUT_OF_RANGE asks for a reset; records below the fetch offset are skipped; fetches pipeline ahead', async () => {
  const leaders = new Map([[0, 1]]);
  let outOfRange = true;
  let needs = 0;
  const { cluster, requests } = fakeCluster(leaders, (req) => {
    const offset = req.topics[0]!.partitions[0]!.fetchOffset;
    if (outOfRange) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    // Whole batches of 10 starting at a multiple of 10, as a broker returns them.
    return { records: batch(offset - (offset % 10), 10) };
  });
  const assignment = new Assignment();
  const [s] = assignment.add([{ topic: 't', partition: 0 }]);
  s!.moveTo(1000);
  const opts = resolveConsumerOptions({ bootstrapServers: 'h:1', autoOffsetReset: 'earliest' });
  const fetcher = new Fetcher(cluster, assignment, opts, pino({ level: 'silent' }), { needOffsets: () => void needs++, error: (e) => assert.fail(e) });
  fetcher.maybeFetch();
  await until(() => s!.need === 'earliest');
  assert.ok(needs > 0);
  assert.equal(s!.position, null);
  outOfRange = false;
  s!.moveTo(3); // what the reset found
  fetcher.maybeFetch();
  await until(() => s!.queued === 2);
  assert.equal(requests.length, 3, 'the partition stops being fetched with two chunks waiting');
  const first = fetcher.take()!;
  assert.equal(first.next()?.offset, 3, 'records before the fetch offset are skipped');
  await until(() => requests.length === 4);
  assert.equal(requests[3]!.req.topics[0]!.partitions[0]!.fetchOffset, 20, 'taking a chunk lets the next fetch go out while it is processed');
  fetcher.close();
});
