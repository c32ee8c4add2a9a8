#!/usr/bin/python3
"""A continuous producer (confluent-kafka-python, librdkafka) for the replication tests: it writes
until SIGTERM and reports every send and every delivery report, so the test knows exactly which
records were acknowledged and at which offset. Run with /usr/bin/python3.

  --bootstrap B --topic T --partitions N --name NAME [--rate MSGS_PER_S] [--value-bytes N]
  [--acks all] [--retries N] [--message-timeout-ms N] [--request-timeout-ms N] [--metadata-refresh-ms N]
  [--idempotence]   enable.idempotence=true (librdkafka then keeps up to 5 requests in flight, in order)

Records go round-robin to the partitions, skipping any with a record outstanding (sent, no delivery
report yet); record i's value is "NAME:i|" padded to --value-bytes. stdout, JSON lines:
  {"s": i, "p": P, "t": ms}                     sent (handed to librdkafka)
  {"a": i, "p": P, "o": OFFSET, "t": ms}        acknowledged at OFFSET
  {"f": i, "p": P, "k": ERROR_NAME, "t": ms}    delivery failed (after librdkafka's own retries)
  {"e": ERROR_NAME, "t": ms}                    client-level error (error_cb: transport, all brokers down ...)
  {"done": true, "unflushed": N}                exit after SIGTERM and a flush
Each partition has at most one record outstanding: without idempotence librdkafka may reorder across a
leader change (a request still in flight to the old leader is retried after later records went to the
new one), so order is kept by construction here and what the test checks is the order the brokers
keep. A partition whose leader hangs does not hold up the others.
"""
import argparse
import json
import signal
import sys
import time

from confluent_kafka import KafkaError, Producer

stop = False


def on_term(_sig, _frame):
    global stop
    stop = True


def now_ms():
    return int(time.time() * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--partitions', type=int, required=True)
    ap.add_argument('--name', required=True)
    ap.add_argument('--rate', type=float, default=200.0)
    ap.add_argument('--value-bytes', type=int, default=100)
    ap.add_argument('--acks', default='all')
    ap.add_argument('--retries', type=int, default=1000000)
    ap.add_argument('--message-timeout-ms', type=int, default=60000)
    ap.add_argument('--request-timeout-ms', type=int, default=3000)
    ap.add_argument('--metadata-refresh-ms', type=int, default=1000)
    ap.add_argument('--idempotence', action='store_true')
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    out = []

    def emit(obj):
        out.append(json.dumps(obj, separators=(',', ':')))

    def flush_out():
        if out:
            sys.stdout.write('\n'.join(out) + '\n')
            del out[:]
        sys.stdout.flush()

    def on_error(err):
        emit({'e': err.name(), 't': now_ms()})

    p = Producer({
        'bootstrap.servers': a.bootstrap,
        'acks': a.acks,
        'enable.idempotence': a.idempotence,
        'max.in.flight.requests.per.connection': 5 if a.idempotence else 1,
        'linger.ms': 5,
        'retries': a.retries,
        'retry.backoff.ms': 100,
        'message.timeout.ms': a.message_timeout_ms,
        'request.timeout.ms': a.request_timeout_ms,
        'socket.timeout.ms': a.request_timeout_ms,
        'topic.metadata.refresh.interval.ms': a.metadata_refresh_ms,
        'reconnect.backoff.ms': 100,
        'reconnect.backoff.max.ms': 1000,
        'error_cb': on_error,
    })

    outstanding = [0] * a.partitions

    def on_delivery(err, msg):
        seq = int(msg.value().split(b'|', 1)[0].rsplit(b':', 1)[1])
        outstanding[msg.partition()] -= 1
        if err is not None:
            emit({'f': seq, 'p': msg.partition(), 'k': err.name(), 't': now_ms()})
        else:
            emit({'a': seq, 'p': msg.partition(), 'o': msg.offset(), 't': now_ms()})

    started = time.time()
    seq = 0
    turn = 0
    while not stop:
        prefix = ('%s:%d|' % (a.name, seq)).encode()
        value = prefix + b'x' * max(0, a.value_bytes - len(prefix))
        free = [q % a.partitions for q in range(turn, turn + a.partitions) if outstanding[q % a.partitions] == 0]
        if not free:
            p.poll(0.005)
            flush_out()
            continue
        part = free[0]
        try:
            p.produce(a.topic, value=value, partition=part, on_delivery=on_delivery)
        except BufferError:
            p.poll(0.05)
            flush_out()
            continue
        outstanding[part] += 1
        turn = part + 1
        emit({'s': seq, 'p': part, 't': now_ms()})
        seq += 1
        ahead = seq / a.rate - (time.time() - started)
        p.poll(ahead if ahead > 0 else 0)
        flush_out()
    remaining = p.flush(10)
    emit({'done': True, 'unflushed': remaining})
    flush_out()
    return 0


if __name__ == '__main__':
    sys.exit(main())
