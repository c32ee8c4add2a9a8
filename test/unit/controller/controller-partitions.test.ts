import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRODUCER_ID_BLOCK_SIZE } from '../../../src/cluster/controller/partition-control.js';
import type { AlterPartitionRequest } from '../../../src/protocol/messages/alter-partition.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { activeController, heartbeat, topicSpec } from './harness.js';

async function setup() {
  const h = await activeController();
  const epochs = await h.addBrokers(1, 2, 3);
  const r = await h.controller.createTopics({ topics: [topicSpec('a', 1, 3)], timeoutMs: 1000, validateOnly: false });
  const topicId = r.topics[0]!.topicId;
  const p = h.controller.image().partition('a', 0)!;
  const request = (brokerId: number, newIsr: number[], extra: Partial<AlterPartitionRequest['topics'][number]['partitions'][number]> = {}): AlterPartitionRequest => ({
    brokerId,
    brokerEpoch: epochs.get(brokerId)!,
    topics: [
      {
        topicName: '',
        topicId,
        partitions: [{ partitionIndex: 0, leaderEpoch: p.leaderEpoch, newIsr: [], newIsrWithEpochs: newIsr.map((id) => ({ brokerId: id, brokerEpoch: epochs.get(id) ?? -1 })), leaderRecoveryState: 0, partitionEpoch: p.partitionEpoch, ...extra }],
      },
    ],
  });
  return { h, epochs, p, request };
}

test('AlterPartition: the leader shrinks and expands its ISR; the response has the new state', async () => {
  const { h, p, request } = await setup();
  const leader = p.leader;
  const others = p.replicas.filter((b) => b !== leader);
  let r = await h.controller.alterPartition(request(leader, [leader, others[0]!]));
  assert.equal(r.errorCode, ErrorCode.NONE);
  const res = r.topics[0]!.partitions[0]!;
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.deepEqual(res.isr, [leader, others[0]]);
  assert.equal(res.partitionEpoch, p.partitionEpoch + 1);
  assert.equal(res.leaderEpoch, p.leaderEpoch, 'an ISR change keeps the leader epoch');
  const now = h.controller.image().partition('a', 0)!;
  assert.deepEqual(now.isr, [leader, others[0]]);

  // The same request again carries a stale partition epoch.
  r = await h.controller.alterPartition(request(leader, [leader]));
  assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.INVALID_UPDATE_VERSION);
  r = await h.controller.alterPartition(request(leader, [leader, ...others], { partitionEpoch: now.partitionEpoch }));
  assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  assert.deepEqual(h.controller.image().partition('a', 0)!.isr, [leader, ...others]);
});

test('AlterPartition errors', async () => {
  const { h, p, request, epochs } = await setup();
  const leader = p.leader;
  const other = p.replicas.find((b) => b !== leader)!;
  const code = async (req: AlterPartitionRequest) => (await h.controller.alterPartition(req)).topics[0]!.partitions[0]!.errorCode;
  assert.equal(await code(request(other, [other])), ErrorCode.INVALID_REQUEST, 'not the leader');
  assert.equal(await code(request(leader, [other])), ErrorCode.INVALID_REQUEST, 'ISR without the leader');
  assert.equal(await code(request(leader, [leader], { leaderEpoch: p.leaderEpoch - 1 })), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(await code(request(leader, [leader], { leaderEpoch: p.leaderEpoch + 1 })), ErrorCode.NOT_CONTROLLER);
  assert.equal(await code(request(leader, [leader, 9])), ErrorCode.INVALID_REQUEST, 'not a replica');
  assert.equal(await code(request(leader, [leader], { partitionEpoch: p.partitionEpoch - 1 })), ErrorCode.INVALID_UPDATE_VERSION);
  const stale = request(leader, [leader, other]);
  stale.topics[0]!.partitions[0]!.newIsrWithEpochs[1]!.brokerEpoch = 12345;
  assert.equal(await code(stale), ErrorCode.INELIGIBLE_REPLICA, 'replica epoch from another registration');
  const unknown = request(leader, [leader]);
  unknown.topics[0]!.topicId = 'AAAAAAAAAAAAAAAAAAAAAw';
  assert.equal(await code(unknown), ErrorCode.UNKNOWN_TOPIC_ID);
  const top = await h.controller.alterPartition({ ...request(leader, [leader]), brokerEpoch: epochs.get(leader)! + 100 });
  assert.equal(top.errorCode, ErrorCode.STALE_BROKER_EPOCH);
  // A fenced replica may not join the ISR.
  await h.controller.brokerHeartbeat(heartbeat(other, epochs.get(other)!, { wantFence: true }));
  const fresh = h.controller.image().partition('a', 0)!;
  assert.ok(!fresh.isr.includes(other));
  assert.equal(
    await code(request(leader, [leader, other], { leaderEpoch: fresh.leaderEpoch, partitionEpoch: fresh.partitionEpoch })),
    ErrorCode.INELIGIBLE_REPLICA,
  );
});

test('AllocateProducerIds hands out consecutive blocks', async () => {
  const h = await activeController();
  const epochs = await h.addBrokers(1);
  const a = await h.controller.allocateProducerIds({ brokerId: 1, brokerEpoch: epochs.get(1)! });
  const b = await h.controller.allocateProducerIds({ brokerId: 1, brokerEpoch: epochs.get(1)! });
  assert.deepEqual([a.errorCode, a.producerIdStart, a.producerIdLen], [0, 0, PRODUCER_ID_BLOCK_SIZE]);
  assert.deepEqual([b.errorCode, b.producerIdStart], [0, PRODUCER_ID_BLOCK_SIZE]);
  assert.equal(h.controller.image().producerIds.nextProducerId, 2 * PRODUCER_ID_BLOCK_SIZE);
  assert.equal((await h.controller.allocateProducerIds({ brokerId: 1, brokerEpoch: 0 })).errorCode, ErrorCode.STALE_BROKER_EPOCH);
});
