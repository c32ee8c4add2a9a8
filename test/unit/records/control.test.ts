import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildEndTxnMarkerBatch,
  ControlRecordType,
  decodeControlKey,
  decodeEndTxnMarker,
} from '../../../src/protocol/records/control.js';
import { decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';
import { isCorrupt } from './helpers.js';

test('transaction markers: a transactional control batch with one record', async () => {
  for (const commit of [true, false]) {
    const built = await buildEndTxnMarkerBatch({ commit, producerId: 4000, producerEpoch: 3, coordinatorEpoch: 12, baseOffset: 77, timestamp: 5 });
    const [b] = await decodeRecordBatches(built);
    assert.ok(b);
    assert.equal(b.isControl, true);
    assert.equal(b.isTransactional, true);
    assert.equal(b.attributes, 0x30);
    assert.equal(b.producerId, 4000);
    assert.equal(b.producerEpoch, 3);
    const r = b.records[0]!;
    assert.equal(r.offset, 77);
    assert.deepEqual(r.key, Buffer.from([0, 0, 0, commit ? 1 : 0]));
    assert.deepEqual(r.value, Buffer.from([0, 0, 0, 0, 0, 12]));
    assert.deepEqual(decodeControlKey(r.key), { version: 0, type: commit ? ControlRecordType.Commit : ControlRecordType.Abort });
    assert.deepEqual(decodeEndTxnMarker(r.value), { version: 0, coordinatorEpoch: 12 });
  }
});

test('short control keys and marker values are CORRUPT_MESSAGE', () => {
  assert.throws(() => decodeControlKey(Buffer.from([0, 0])), isCorrupt);
  assert.throws(() => decodeControlKey(null), isCorrupt);
  assert.throws(() => decodeEndTxnMarker(Buffer.from([0, 0, 0])), isCorrupt);
});
