import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import pino from 'pino';
import { ProducerAppendOrder } from '../../../src/cluster/transaction/producer-append-order.js';
import { topicPartitionKey } from '../../../src/cluster/transaction/transaction-metadata.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { ProduceRequest, ProduceResponse } from '../../../src/protocol/messages/produce.js';
import { readBatchInfo } from '../../../src/protocol/records/batch-iterator.js';
import { buildRecordBatchSync } from '../../../src/protocol/records/record-batch.js';
import { VerificationGuard } from '../../../src/storage/producer-state/producer-state-manager.js';
import type { BrokerServices } from '../../../src/server/broker-services.js';
import { produceHandler } from '../../../src/server/handlers/produce.js';
import type { RequestContext } from '../../../src/server/request-context.js';
import type { RequestHeader } from '../../../src/protocol/headers.js';

test('ProducerAppendOrder: a turn waits for the earlier turns on any of its keys, and only for those', async () => {
  const order = new ProducerAppendOrder();
  const events: string[] = [];
  const a = await order.turn(['x', 'y']);
  const b = order.turn(['y']).then((giveBack) => (events.push('b'), giveBack));
  const c = order.turn(['z']).then((giveBack) => (events.push('c'), giveBack));
  const d = order.turn(['x', 'z']).then((giveBack) => (events.push('d'), giveBack));
  await nextTurn();
  assert.deepEqual(events, ['c'], 'z was free; y and x are held by a');
  a();
  a(); // giving back twice is harmless
  (await c)();
  await Promise.all([b, d]);
  assert.deepEqual(events, ['c', 'b', 'd']);
  (await b)();
  (await d)();
  assert.equal(order.size, 0, 'nothing left behind once every turn is given back');
});

/**
 * The race franz-go's TestTxnEtl hit (a fatal OUT_OF_ORDER_SEQUENCE_NUMBER): the producer pipelines three
 * transactional batches to one partition. The first opens the transaction (verified at once); the second
 * arrived before the first reached the log, so it must verify too, and its coordinator is slow; the third
 * arrives after the first reached the log, so it needs no verification. It must still reach the log after
 * the second, or the log sees sequences 0, 2, 1.
 */
test('Produce: a transactional batch waiting for verification is not overtaken by the next batch of its producer', async () => {
  const TOPIC = 't';
  const producerId = 7;
  const appended: number[] = [];
  let ongoing = false;
  let verifyCalls = 0;
  let releaseSlowVerify!: () => void;
  const slowVerify = new Promise<void>((resolve) => (releaseSlowVerify = resolve));
  const services = {
    transactionVerifier: {
      appendOrder: new ProducerAppendOrder(),
      async verify(_id: string, _pid: number, _epoch: number, partitions: ReadonlyArray<{ topic: string; partition: number }>) {
        verifyCalls++;
        if (verifyCalls > 1) await slowVerify;
        return new Map(partitions.map((tp) => [topicPartitionKey(tp), ErrorCode.NONE]));
      },
    },
    replicas: {
      // The log's rule: a producer whose transaction is open here needs no verification.
      startTransactionVerification: () => (ongoing ? null : new VerificationGuard()),
      async append(_topic: string, _partition: number, records: Buffer) {
        appended.push(readBatchInfo(records, 0, records.length).baseSequence);
        ongoing = true;
        return { baseOffset: appended.length - 1, lastOffset: appended.length - 1, logAppendTime: -1, logStartOffset: 0 };
      },
    },
  } as unknown as BrokerServices;
  const ctx: RequestContext = { header: {} as RequestHeader, apiVersion: 9, connectionId: 1, remoteAddress: 'test', services, logger: pino({ level: 'silent' }) };
  const produce = (baseSequence: number): Promise<unknown> => {
    const records = buildRecordBatchSync({ producerId, producerEpoch: 0, baseSequence, transactional: true, records: [{ value: Buffer.from(`r${baseSequence}`) }] });
    const req = { transactionalId: 'tx', acks: -1, timeoutMs: 1000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] } as unknown as ProduceRequest;
    return Promise.resolve(produceHandler.handle(req, ctx));
  };

  const first = produce(0);
  const second = produce(1);
  while (appended.length === 0) await nextTurn();
  const third = produce(2);
  await nextTurn();
  releaseSlowVerify();
  const responses = (await Promise.all([first, second, third])) as ProduceResponse[];
  for (const r of responses) assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
  assert.deepEqual(appended, [0, 1, 2], 'the log must see the batches in the order they were sent');
});
