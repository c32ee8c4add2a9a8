import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTransactionRecord, encodeTransactionRecord, type TransactionLogEntry, type TransactionRecord } from '../../../src/cluster/transaction/records.js';
import { TransactionState } from '../../../src/cluster/transaction/transaction-state.js';

const ongoing: TransactionLogEntry = {
  producerId: 1000,
  previousProducerId: -1,
  nextProducerId: -1,
  producerEpoch: 5,
  txnTimeoutMs: 60_000,
  state: TransactionState.Ongoing,
  topicPartitions: [
    { topic: 'a', partition: 0 },
    { topic: 'a', partition: 2 },
  ],
  txnLastUpdateTimestampMs: 1_000_000,
  txnStartTimestampMs: 999_000,
  clientTransactionVersion: 0,
};

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('TransactionLogKey v0: int16 version, then the id as an int16-length string', () => {
  const { key } = encodeTransactionRecord({ transactionalId: 'txn', value: null });
  assert.deepEqual(key, hex('0000 0003 74786e'));
});

test('TransactionLogValue v0 bytes, derived field by field from the spec', () => {
  const { value } = encodeTransactionRecord({ transactionalId: 'txn', value: ongoing });
  const expected = hex(
    [
      '0000', // version 0
      '00000000000003e8', // ProducerId 1000
      '0005', // ProducerEpoch 5
      '0000ea60', // TransactionTimeoutMs 60000
      '01', // TransactionStatus Ongoing
      '00000001', // TransactionPartitions: one topic
      '0001 61', // Topic "a"
      '00000002 00000000 00000002', // PartitionIds [0, 2]
      '00000000000f4240', // TransactionLastUpdateTimestampMs 1000000
      '00000000000f3e58', // TransactionStartTimestampMs 999000
    ].join(''),
  );
  assert.deepEqual(value, expected);
});

test('an Empty value stores a null partition array, as Kafka does', () => {
  const empty: TransactionLogEntry = { ...ongoing, state: TransactionState.Empty, topicPartitions: [], txnStartTimestampMs: -1 };
  const { value } = encodeTransactionRecord({ transactionalId: 'txn', value: empty });
  assert.deepEqual(value!.subarray(2 + 8 + 2 + 4 + 1, 2 + 8 + 2 + 4 + 1 + 4), hex('ffffffff'));
  assert.deepEqual(decodeTransactionRecord(encodeTransactionRecord({ transactionalId: 'txn', value: empty }).key, value)!.value, empty);
  assert.throws(() => encodeTransactionRecord({ transactionalId: 'txn', value: { ...empty, topicPartitions: [{ topic: 'a', partition: 1 }] } }));
});

test('TransactionLogValue v1 is flexible: compact arrays and the three tagged fields', () => {
  const v1: TransactionLogEntry = { ...ongoing, previousProducerId: 999, clientTransactionVersion: 2 };
  const { value } = encodeTransactionRecord({ transactionalId: 'txn', value: v1 }, 1);
  const expected = hex(`
    0001 00000000000003e8 0005 0000ea60 01
    02 02 61 03 00000000 00000002 00
    00000000000f4240 00000000000f3e58
    02 00 08 00000000000003e7 02 02 0002
  `);
  assert.deepEqual(value, expected);
  const back = decodeTransactionRecord(hex('0000 0003 74786e'), value);
  assert.deepEqual(back, { transactionalId: 'txn', value: v1 });
});

test('round trips: every state, both value versions, tombstones; partitions come back sorted', () => {
  const states = [TransactionState.Ongoing, TransactionState.PrepareCommit, TransactionState.PrepareAbort, TransactionState.CompleteCommit, TransactionState.CompleteAbort];
  for (const state of states) {
    for (const version of [0, 1]) {
      const entry: TransactionLogEntry = {
        ...ongoing,
        state,
        topicPartitions: [
          { topic: 'b', partition: 7 },
          { topic: 'a', partition: 3 },
          { topic: 'b', partition: 1 },
        ],
      };
      const record: TransactionRecord = { transactionalId: `id-${state}-${version}`, value: entry };
      const { key, value } = encodeTransactionRecord(record, version);
      const back = decodeTransactionRecord(key, value)!;
      assert.equal(back.transactionalId, record.transactionalId);
      assert.deepEqual(back.value!.topicPartitions, [
        { topic: 'a', partition: 3 },
        { topic: 'b', partition: 1 },
        { topic: 'b', partition: 7 },
      ]);
      assert.equal(back.value!.state, state);
      assert.equal(back.value!.producerEpoch, 5);
    }
  }
  const tomb = encodeTransactionRecord({ transactionalId: 'gone', value: null });
  assert.equal(tomb.value, null);
  assert.deepEqual(decodeTransactionRecord(tomb.key, null), { transactionalId: 'gone', value: null });
});

test('v0 carries no KIP-890 fields: they read back as their defaults', () => {
  const { key, value } = encodeTransactionRecord({ transactionalId: 'x', value: { ...ongoing, previousProducerId: 7, nextProducerId: 8, clientTransactionVersion: 2 } }, 0);
  const back = decodeTransactionRecord(key, value)!.value!;
  assert.equal(back.previousProducerId, -1);
  assert.equal(back.nextProducerId, -1);
  assert.equal(back.clientTransactionVersion, 0);
});

test('unknown key versions are skipped, unknown value versions and states fail', () => {
  assert.equal(decodeTransactionRecord(hex('0005 0001 61'), null), null);
  const { key, value } = encodeTransactionRecord({ transactionalId: 'x', value: ongoing });
  const badVersion = Buffer.from(value!);
  badVersion.writeInt16BE(2, 0);
  assert.throws(() => decodeTransactionRecord(key, badVersion), /version 2/);
  const badState = Buffer.from(value!);
  badState.writeInt8(9, 2 + 8 + 2 + 4);
  assert.throws(() => decodeTransactionRecord(key, badState), /state id 9/);
});
