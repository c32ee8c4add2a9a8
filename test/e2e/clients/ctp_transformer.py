#!/usr/bin/python3
"""Transactional consume-transform-produce with confluent-kafka-python (librdkafka), for
test/e2e/transactions-failover: a read_committed consumer in --group reads --input; each poll's records
are written to --output (same partition, value "<input value>@rd-<txn>") and the consumer's positions
(the next offset after each partition's last record read) are sent to the transaction (send_offsets_to_transaction), then committed. Every --decoy-every-th
transaction is preceded by a decoy transaction writing the same outputs tagged "<txn>a" and aborted.

At each transaction named in --pause-at ("3:records,9:offsets": after its records are delivered, or
after the offsets are sent too) it prints {"paused": txn} and waits for the file
<--control-dir>/go-<txn> (the test kills the coordinator's broker meanwhile).

A failed transaction is aborted when librdkafka says it can be (txn_requires_abort) and the consumer
rewinds to the group's committed offsets; a retriable commit failure is retried (the outcome is then
whatever the retry says). A fatal error exits 1. Prints one JSON line per transaction:
{"txn": n, "outcome": "committed" | "aborted" | "decoy-aborted", "records": k} and at the end
{"done": true, "transactions": n}. Stops once the committed positions reach the input's end offsets
as they were at start.

  --bootstrap B --input IN --output OUT --group G --transactional-id ID --pause-at 3:records,9:offsets --control-dir D
"""
import argparse
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition, OFFSET_BEGINNING


def log(*args):
    print(time.strftime('%H:%M:%S'), *args, file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj, separators=(',', ':')), flush=True)


def wait_for_go(control_dir, txn, deadline):
    path = os.path.join(control_dir, 'go-%d' % txn)
    while not os.path.exists(path):
        if time.time() > deadline:
            raise SystemExit('timed out waiting for %s' % path)
        time.sleep(0.05)


def rewind(consumer):
    """Seeks every assigned partition back to the group's committed offset (the last committed transaction)."""
    assignment = consumer.assignment()
    if not assignment:
        return {}
    committed = consumer.committed(assignment, timeout=30)
    for tp in committed:
        consumer.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
    return {tp.partition: tp.offset for tp in committed if tp.offset >= 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--input', required=True)
    ap.add_argument('--output', required=True)
    ap.add_argument('--group', required=True)
    ap.add_argument('--transactional-id', required=True)
    ap.add_argument('--pause-at', default='')
    ap.add_argument('--control-dir', required=True)
    ap.add_argument('--batch', type=int, default=7)
    ap.add_argument('--decoy-every', type=int, default=5)
    ap.add_argument('--timeout-s', type=float, default=240)
    a = ap.parse_args()
    deadline = time.time() + a.timeout_s
    pause_at = {}
    for item in a.pause_at.split(','):
        if item:
            txn, phase = item.split(':')
            assert phase in ('records', 'offsets'), item
            pause_at[int(txn)] = phase

    consumer = Consumer({
        'bootstrap.servers': a.bootstrap, 'group.id': a.group, 'enable.auto.commit': False,
        'isolation.level': 'read_committed', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10000,
    })
    producer = Producer({
        'bootstrap.servers': a.bootstrap, 'transactional.id': a.transactional_id, 'transaction.timeout.ms': 60000,
        'message.timeout.ms': 60000,
    })
    producer.init_transactions(60)

    # The end to reach: the input's high watermarks now (the test wrote all of it before starting us).
    meta = consumer.list_topics(a.input, timeout=30).topics[a.input]
    ends = {}
    for p in meta.partitions:
        ends[p] = consumer.get_watermark_offsets(TopicPartition(a.input, p), timeout=30)[1]
    committed_positions = {p: 0 for p in ends}
    consumer.subscribe([a.input])

    txn = 0
    while True:
        if all(committed_positions[p] >= ends[p] for p in ends):
            break
        if time.time() > deadline:
            log('deadline passed; committed positions', committed_positions, 'ends', ends)
            return 2
        msgs = [m for m in consumer.consume(num_messages=a.batch, timeout=0.5) if m.error() is None]
        if not msgs:
            continue
        txn += 1
        outputs = [(m.partition(), m.key(), m.value().decode()) for m in msgs]
        if a.decoy_every > 0 and txn % a.decoy_every == 0:
            producer.begin_transaction()
            for (p, k, v) in outputs:
                producer.produce(a.output, key=k, value=('%s@rd-%da' % (v, txn)).encode(), partition=p)
            producer.flush(60)
            producer.abort_transaction(60)
            emit({'txn': txn, 'outcome': 'decoy-aborted', 'tag': 'rd-%da' % txn, 'records': len(outputs)})
        producer.begin_transaction()
        try:
            for (p, k, v) in outputs:
                producer.produce(a.output, key=k, value=('%s@rd-%d' % (v, txn)).encode(), partition=p)
            if pause_at.get(txn) == 'records':
                producer.flush(60)
                emit({'paused': txn})
                wait_for_go(a.control_dir, txn, deadline)
            # The next offset of each partition read: exactly what this transaction consumed (the group's
            # generation in the metadata makes the coordinator refuse it after a rebalance).
            nexts = {}
            for m in msgs:
                nexts[m.partition()] = max(nexts.get(m.partition(), 0), m.offset() + 1)
            positions = [TopicPartition(a.input, p, o) for p, o in sorted(nexts.items())]
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 60)
            if pause_at.get(txn) == 'offsets':
                emit({'paused': txn})
                wait_for_go(a.control_dir, txn, deadline)
            while True:
                try:
                    producer.commit_transaction(60)
                    break
                except KafkaException as e:
                    if e.args[0].retriable() and time.time() < deadline:
                        log('commit of', txn, 'retriable:', e)
                        continue
                    raise
            for tp in positions:
                committed_positions[tp.partition] = tp.offset
            emit({'txn': txn, 'outcome': 'committed', 'tag': 'rd-%d' % txn, 'records': len(outputs)})
        except KafkaException as e:
            err = e.args[0]
            if err.fatal() or not err.txn_requires_abort():
                log('transaction', txn, 'failed fatally:', e)
                emit({'txn': txn, 'outcome': 'fatal', 'tag': 'rd-%d' % txn, 'error': str(e)})
                return 1
            log('transaction', txn, 'failed, aborting:', e)
            producer.abort_transaction(60)
            emit({'txn': txn, 'outcome': 'aborted', 'tag': 'rd-%d' % txn, 'records': len(outputs), 'error': str(err)})
            # The aborted transaction's commit may have been the one that failed after all (an
            # indeterminate outcome): what the group has committed is the truth to go on from.
            committed_positions.update(rewind(consumer))
    consumer.close()
    emit({'done': True, 'transactions': txn})
    return 0


if __name__ == '__main__':
    sys.exit(main())
