"""The chaos harness's librdkafka transaction lane (confluent-kafka-python 2.x; txn-workload.ts runs it
with the venv python .ci/run makes). One transactional producer, one transaction at a time of three
records on three partitions of --topic (record i of transaction n: "LANE:n.i|" padded, on partition
(n + i) % --partitions), every fifth aborted on purpose, as the other transaction lanes. Runs until
SIGTERM.

  --bootstrap B --topic T --partitions N --lane xr --transactional-id ID [--transaction-timeout-ms 10000]

stdout, one JSON object a line, once each transaction ended:
  {"txn": n, "intent": "commit"|"abort", "outcome": "committed"|"aborted"|"unknown", "written": ["p@offset", ...], "error": TEXT}
  {"note": TEXT}   the producer was replaced (after a fatal error or an unknown outcome)
A transaction is committed when commit_transaction returned, aborted when abort_transaction did;
anything else is unknown, and the producer is replaced: the new one's init_transactions fences the old
one and settles what it left open.
"""
import argparse
import json
import signal
import sys

from confluent_kafka import KafkaException, Producer

stop = False


def on_term(_sig, _frame):
    global stop
    stop = True


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(',', ':')) + '\n')
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--partitions', type=int, required=True)
    ap.add_argument('--lane', required=True)
    ap.add_argument('--transactional-id', required=True)
    ap.add_argument('--transaction-timeout-ms', type=int, default=10000)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)

    def make():
        return Producer({
            'bootstrap.servers': a.bootstrap,
            'client.id': 'chaos-' + a.lane,
            'transactional.id': a.transactional_id,
            'transaction.timeout.ms': a.transaction_timeout_ms,
            'message.timeout.ms': 8000,
            'request.timeout.ms': 2000,
            'socket.timeout.ms': 2000,
            'linger.ms': 0,
            'retry.backoff.ms': 100,
            'topic.metadata.refresh.interval.ms': 2000,
            'reconnect.backoff.ms': 100,
            'reconnect.backoff.max.ms': 1000,
        })

    p = None
    txn = 0
    while not stop:
        intent = 'abort' if txn % 5 == 4 else 'commit'
        outcome = 'unknown'
        error = None
        written = []
        began = False
        delivery_failed = False
        try:
            if p is None:
                p = make()
                p.init_transactions(10)
            p.begin_transaction()
            began = True
            reports = []

            def on_delivery(err, msg, reports=reports):
                reports.append((err, msg))

            for i in range(3):
                part = (txn + i) % a.partitions
                prefix = ('%s:%d.%d|' % (a.lane, txn, i)).encode()
                p.produce(a.topic, value=prefix + b'.' * max(0, 100 - len(prefix)), partition=part, on_delivery=on_delivery)
            p.flush(10)
            failed = [err for (err, _m) in reports if err is not None]
            written = ['%d@%d' % (m.partition(), m.offset()) for (err, m) in reports if err is None]
            if failed or len(reports) < 3:
                delivery_failed = True
                raise KafkaException(failed[0] if failed else 'delivery reports missing after flush')
            if intent == 'abort':
                p.abort_transaction(10)
                outcome = 'aborted'
            else:
                p.commit_transaction(10)
                outcome = 'committed'
        except KafkaException as e:
            err = e.args[0]
            error = str(err)
            fatal = hasattr(err, 'fatal') and err.fatal()
            abortable = hasattr(err, 'txn_requires_abort') and err.txn_requires_abort()
            # A record that failed delivery makes the transaction abortable (librdkafka says so on the abort).
            if began and not fatal and (abortable or delivery_failed):
                try:
                    p.abort_transaction(10)
                    outcome = 'aborted'
                except KafkaException as e2:
                    error += ' | abort: ' + str(e2.args[0])
        except Exception as e:  # noqa: BLE001 — anything else leaves the outcome unknown
            error = repr(e)
        emit({'txn': txn, 'intent': intent, 'outcome': outcome, 'written': written, **({'error': error[:300]} if error else {})})
        if outcome == 'unknown':
            emit({'note': '%s: transactional producer replaced after %s' % (a.lane, (error or 'an unknown outcome')[:300])})
            p = None
        txn += 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
