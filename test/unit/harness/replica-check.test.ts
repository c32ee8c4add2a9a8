import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildRecordBatchSync } from '../../../src/protocol/records/index.js';
import { ProducerLog, recordValue, type AckedProducer } from '../../helpers/acked-workload.js';
import { makeTempDir, removeTempDir } from '../../helpers/cleanup.js';
import { compareReplicaDirs, verifyAcknowledged, type PartitionContents } from '../../helpers/replica-check.js';

/**
 * The replication tests' verifier must catch what it claims to: records lost, moved, reordered,
 * replicas that differ. These cases feed it known-bad inputs (and a known-good one), so a
 * replication test that passes cannot be passing because its checker is blind.
 */

function producerWith(name: string, acks: Array<[seq: number, partition: number, offset: number]>): AckedProducer {
  const log = new ProducerLog(name);
  for (const [seq, partition, offset] of acks) {
    log.recordSent(seq, partition, 1000 + seq);
    log.recordAck(seq, partition, offset, 2000 + seq);
  }
  return { log, stop: async () => undefined };
}

function partition(p: number, ids: Array<string | null>, hw = ids.length): PartitionContents {
  return { partition: p, highWatermark: hw, logStartOffset: 0, records: ids.flatMap((id, offset) => (id === null ? [] : [{ offset, value: `${id}|xxxx` }])) };
}

test('verifyAcknowledged: clean, lost, moved, reordered, duplicated and above-the-HW acknowledgements', () => {
  const clean = verifyAcknowledged([producerWith('a', [[0, 0, 0], [1, 0, 1], [2, 1, 0]])], [partition(0, ['a:0', 'a:1']), partition(1, ['a:2'])]);
  assert.deepEqual([clean.lost, clean.moved, clean.reordered, clean.duplicated], [[], [], [], []]);
  assert.equal(clean.acknowledged, 3);

  // The offset holds another producer's record and a:1 is nowhere: lost. a:0 is elsewhere: moved.
  const bad = verifyAcknowledged([producerWith('a', [[0, 0, 0], [1, 0, 1]])], [partition(0, ['b:7', 'b:8', 'a:0'])]);
  assert.equal(bad.lost.length, 1);
  assert.match(bad.lost[0]!, /^a:1 @0:1/);
  assert.equal(bad.moved.length, 1);
  assert.match(bad.moved[0]!, /^a:0 acknowledged @0:0/);

  // Acknowledged beyond the high watermark: not readable, so lost.
  const aboveHw = verifyAcknowledged([producerWith('a', [[0, 0, 0], [1, 0, 1]])], [partition(0, ['a:0', 'a:1'], 1)]);
  assert.equal(aboveHw.lost.length, 1);
  assert.match(aboveHw.lost[0]!, /above the HW 1/);

  // seq 1 acknowledged at a lower offset than seq 0 in the same partition: reordered.
  const reordered = verifyAcknowledged([producerWith('a', [[0, 0, 1], [1, 0, 0]])], [partition(0, ['a:1', 'a:0'])]);
  assert.equal(reordered.reordered.length, 1);
  assert.equal(reordered.lost.length, 0);

  const dup = verifyAcknowledged([producerWith('a', [[0, 0, 1]])], [partition(0, ['a:0', 'a:0'])]);
  assert.deepEqual(dup.duplicated, ['a:0 ×2']);
  assert.equal(dup.lost.length + dup.moved.length, 0);

  // A retried write that had succeeded: seq 0's acknowledgement names its second copy, after seq 1; its
  // first copy is in order, so this is a duplicate and not a reordering.
  const retried = verifyAcknowledged([producerWith('a', [[0, 0, 2], [1, 0, 1]])], [partition(0, ['a:0', 'a:1', 'a:0'])]);
  assert.deepEqual([retried.reordered, retried.duplicated, retried.lost], [[], ['a:0 ×2'], []]);
  // ...but seq 1 whose only copy precedes seq 0's first copy is reordered.
  const swapped = verifyAcknowledged([producerWith('a', [[0, 0, 1], [1, 0, 0]])], [partition(0, ['a:1', 'a:0', 'a:0'])]);
  assert.equal(swapped.reordered.length, 1);
});

test('ProducerLog.resumedAfter: the first acknowledgement of a record sent after the fault, per partition', () => {
  const log = new ProducerLog('p');
  log.recordSent(0, 0, 900);
  log.recordAck(0, 0, 0, 1500); // sent before the fault: does not count
  log.recordSent(1, 0, 1100);
  log.recordAck(1, 0, 1, 4100);
  log.recordSent(2, 1, 1200);
  log.recordAck(2, 1, 0, 1300);
  const r = log.resumedAfter(1000, [0, 1]);
  assert.equal(r.perPartition.get(0), 3100);
  assert.equal(r.perPartition.get(1), 300);
  assert.equal(r.resumedMs, 3100);
  assert.equal(log.resumedAfter(1000, [0, 1, 2]).resumedMs, null, 'a partition with no acknowledgement since: not resumed');
});

test('compareReplicaDirs: identical copies pass; a differing byte, a missing copy and a shorter copy are reported', async (t) => {
  const root = await makeTempDir('replica-compare');
  t.after(() => removeTempDir(root));
  const batch = (base: number, ids: string[], epoch = 0): Buffer =>
    buildRecordBatchSync({ baseOffset: base, partitionLeaderEpoch: epoch, records: ids.map((id) => ({ value: Buffer.from(recordValue('a', Number(id), 40)), timestamp: 1_700_000_000_000 })) });
  const write = (node: string, batches: Buffer[]): string => {
    const dir = path.join(root, node, 't-0');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '00000000000000000000.log'), Buffer.concat(batches));
    return path.join(root, node);
  };
  const a = write('a', [batch(0, ['0', '1']), batch(2, ['2']), batch(3, ['3'])]);
  const b = write('b', [batch(0, ['0', '1']), batch(2, ['2'])]); // behind, but not below the HW 3
  const c = write('c', [batch(0, ['0', '1']), batch(2, ['9'])]); // differs below the HW
  const d = write('d', [batch(0, ['0', '1']), batch(2, ['2'], 1)]); // another leader epoch stamped
  assert.deepEqual(compareReplicaDirs([{ id: 0, dataDir: a }, { id: 1, dataDir: b }], 't', 0, 3), []);
  assert.equal(compareReplicaDirs([{ id: 0, dataDir: a }, { id: 2, dataDir: c }], 't', 0, 3).length, 1);
  assert.equal(compareReplicaDirs([{ id: 0, dataDir: a }, { id: 3, dataDir: d }], 't', 0, 3).length, 1);
  assert.match(compareReplicaDirs([{ id: 0, dataDir: a }, { id: 4, dataDir: path.join(root, 'none') }], 't', 0, 3)[0]!, /node 4 has no copy/);
  // Below HW 4 node b lacks offset 3: its copy is shorter, so it differs.
  assert.equal(compareReplicaDirs([{ id: 0, dataDir: a }, { id: 1, dataDir: b }], 't', 0, 4).length, 1);
});
