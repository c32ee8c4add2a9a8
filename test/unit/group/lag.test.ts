/** Lag from decoded consumer-protocol assignments, committed offsets and high watermarks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter } from '../../../src/protocol/bytes.js';
import { encodeMessage } from '../../../src/protocol/schema/codec.js';
import { ConsumerProtocolAssignmentSchema } from '../../../src/protocol/messages/consumer-protocol-assignment.js';
import { computeGroupLag, decodeConsumerAssignment, decodeConsumerSubscription } from '../../../src/cluster/group/lag.js';
import { subscription } from './harness.js';

function assignment(version: number, parts: Record<string, number[]>, trailing = Buffer.alloc(0)): Buffer {
  const w = new ByteWriter();
  w.int16(version);
  encodeMessage(ConsumerProtocolAssignmentSchema, Math.min(version, 3), { assignedPartitions: Object.entries(parts).map(([topic, partitions]) => ({ topic, partitions })), userData: null }, w);
  return Buffer.concat([w.toBuffer(), trailing]);
}

test('consumer protocol bytes decode; unknown newer versions read as the newest known; junk is null', () => {
  assert.deepEqual(decodeConsumerAssignment(assignment(0, { t: [0, 2] }))?.assignedPartitions, [{ topic: 't', partitions: [0, 2] }]);
  assert.deepEqual(decodeConsumerAssignment(assignment(7, { t: [1] }, Buffer.from([1, 2, 3])))?.assignedPartitions, [{ topic: 't', partitions: [1] }]);
  assert.equal(decodeConsumerAssignment(Buffer.alloc(0)), null);
  assert.equal(decodeConsumerAssignment(Buffer.from([0, 0, 0, 0, 0, 9])), null);
  assert.deepEqual(decodeConsumerSubscription(subscription(['a', 'b']))?.topics, ['a', 'b']);
});

test('lag per partition: assigned or committed partitions, owner, HW − committed, unknowns as null', () => {
  const lag = computeGroupLag(
    [
      { memberId: 'm1', clientId: 'c1', clientHost: '/h1', assignment: assignment(1, { t: [0, 1] }) },
      { memberId: 'm2', clientId: 'c2', clientHost: '/h2', assignment: assignment(1, { t: [2] }) },
    ],
    [
      { topic: 't', partition: 0, offset: 5 },
      { topic: 't', partition: 2, offset: 10 },
      { topic: 'old', partition: 0, offset: 3 },
      { topic: 't', partition: 1, offset: -1 },
    ],
    (topic, p) => (topic === 't' ? [8, 4, 10][p] : undefined),
  );
  assert.deepEqual(
    lag.map((l) => [l.topic, l.partition, l.committedOffset, l.highWatermark, l.lag, l.memberId]),
    [
      ['old', 0, 3, null, null, null],
      ['t', 0, 5, 8, 3, 'm1'],
      ['t', 1, null, 4, null, 'm1'],
      ['t', 2, 10, 10, 0, 'm2'],
    ],
  );
});
