#!/usr/bin/python3
"""A transactional producer (confluent-kafka-python, librdkafka) for test/e2e/transactions: init_transactions,
then for each of --plan's letters one transaction writing --per-txn records round-robin over --partitions,
committed (c) or aborted (a). Record values are "<txn index><c|a>-<n>". Prints {"done": true} and exits 0.

  --bootstrap B --topic T --transactional-id ID --plan cac --partitions 2 --per-txn 3
"""
import argparse
import json
import sys

from confluent_kafka import Producer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--transactional-id', required=True)
    ap.add_argument('--plan', default='cac')
    ap.add_argument('--partitions', type=int, default=2)
    ap.add_argument('--per-txn', type=int, default=3)
    a = ap.parse_args()
    p = Producer({'bootstrap.servers': a.bootstrap, 'transactional.id': a.transactional_id, 'transaction.timeout.ms': 60000})
    p.init_transactions(30)
    for i, kind in enumerate(a.plan):
        p.begin_transaction()
        for n in range(a.per_txn):
            p.produce(a.topic, value=('%d%s-%d' % (i, kind, n)).encode(), partition=n % a.partitions)
        if kind == 'c':
            p.commit_transaction(30)
        else:
            # Delivered first, so the aborted records are in the log (abort_transaction alone purges
            # what librdkafka has not sent yet).
            p.flush(30)
            p.abort_transaction(30)
    print(json.dumps({'done': True}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
