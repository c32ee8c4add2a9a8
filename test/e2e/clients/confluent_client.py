#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) driver for the end-to-end tests. Run with /usr/bin/python3.

Commands:
  create-topic --bootstrap B --topic T --partitions N
  produce      --bootstrap B --topic T --input FILE [--acks all] [--compression C] [--report] [--rate R]
  consume      --bootstrap B --topic T --count N --group G [--timeout S] [--linger S]
  read-all     --bootstrap B --topic T --partitions N [--timeout S]
"""
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from common import JsonOut, command_parser, decode, headers_to_dict, load_records, log, run_command


def create_topic(a):
    admin = AdminClient({'bootstrap.servers': a.bootstrap})
    futures = admin.create_topics([NewTopic(a.topic, num_partitions=a.partitions, replication_factor=1)], operation_timeout=10, request_timeout=15)
    futures[a.topic].result(timeout=20)
    deadline = time.time() + 15
    while time.time() < deadline:
        md = admin.list_topics(topic=a.topic, timeout=5)
        t = md.topics.get(a.topic)
        if t is not None and t.error is None and len(t.partitions) == a.partitions:
            log('topic', a.topic, 'has', len(t.partitions), 'partitions')
            return 0
        time.sleep(0.2)
    log('topic', a.topic, 'did not show', a.partitions, 'partitions in metadata:', md.topics.get(a.topic))
    return 1


def produce(a):
    records = load_records(a.input)
    conf = {
        'bootstrap.servers': a.bootstrap,
        'acks': a.acks,
        'linger.ms': 5,
        'queue.buffering.max.messages': 200000,
        'message.timeout.ms': a.message_timeout_ms,
    }
    if a.compression:
        conf['compression.type'] = a.compression
    if os.environ.get('TRIBUTARY_RDKAFKA_DEBUG'):
        conf['debug'] = os.environ['TRIBUTARY_RDKAFKA_DEBUG']
    p = Producer(conf)
    out = JsonOut()
    state = {'acked': 0, 'failed': 0, 'first_error': None, 'first_ack_s': None}

    def on_delivery(err, msg):
        if err is not None:
            state['failed'] += 1
            if state['first_error'] is None:
                state['first_error'] = str(err)
            return
        state['acked'] += 1
        if state['first_ack_s'] is None:
            state['first_ack_s'] = round(time.time() - started, 3)
        if a.report:
            ts_type, ts = msg.timestamp()
            out.emit({'p': msg.partition(), 'o': msg.offset(), 'v': decode(msg.value()), 'ts': ts})

    started = time.time()
    for i, r in enumerate(records):
        kwargs = {'key': r['key'].encode(), 'value': r['value'].encode(), 'on_delivery': on_delivery}
        if r.get('headers'):
            kwargs['headers'] = [(k, v.encode()) for k, v in r['headers'].items()]
        if r.get('timestamp') is not None:
            kwargs['timestamp'] = r['timestamp']
        while True:
            try:
                p.produce(a.topic, **kwargs)
                break
            except BufferError:
                p.poll(0.05)
                out.flush()
        if i % 200 == 0:
            p.poll(0)
            out.flush()
            if a.rate:
                ahead = (i + 1) / a.rate - (time.time() - started)
                if ahead > 0:
                    time.sleep(ahead)
    remaining = p.flush(a.flush_timeout)
    out.flush()
    log('produced', len(records), 'acked', state['acked'], 'failed', state['failed'], 'unflushed', remaining,
        'first error', state['first_error'], 'first ack after', state['first_ack_s'], 's; in %.2fs' % (time.time() - started))
    if state['failed'] or remaining:
        return 1
    return 0


def consume(a):
    c = Consumer({
        'bootstrap.servers': a.bootstrap,
        'group.id': a.group,
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        'check.crcs': True,
        'session.timeout.ms': 10000,
    })
    assigned = []

    def on_assign(consumer, partitions):
        assigned.append([tp.partition for tp in partitions])
        log('group', a.group, 'assigned partitions', [tp.partition for tp in partitions])

    c.subscribe([a.topic], on_assign=on_assign)
    out = JsonOut()
    n = 0
    errors = 0
    deadline = time.time() + a.timeout
    reached_at = None
    while time.time() < deadline:
        if reached_at is not None and time.time() - reached_at > a.linger:
            break
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                continue
            errors += 1
            log('consumer error:', msg.error())
            out.emit({'error': str(msg.error())})
            if not msg.error().retriable() and msg.error().code() != KafkaError._TRANSPORT:
                break
            continue
        tt, ts = msg.timestamp()
        out.emit({
            'p': msg.partition(), 'o': msg.offset(), 'k': decode(msg.key()), 'v': decode(msg.value()),
            'h': headers_to_dict(msg.headers()), 'ts': ts,
            'tt': 0 if tt == 1 else (1 if tt == 2 else None),
        })
        n += 1
        if n >= a.count and reached_at is None:
            reached_at = time.time()
    out.flush()
    c.close()
    log('consumed', n, 'of', a.count, 'errors', errors, 'assignments', assigned)
    if not assigned:
        log('the consumer group never got a partition assignment (FindCoordinator/JoinGroup/SyncGroup did not complete;'
            ' librdkafka 2.0.2 needs FindCoordinator v0 advertised to use groups at all)')
    if errors:
        return 1
    return 0 if n >= a.count else 2


def read_all(a):
    """Assign every partition from the beginning and read to the end (partition EOF); no group."""
    c = Consumer({
        'bootstrap.servers': a.bootstrap,
        'group.id': 'read-all-unused',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'check.crcs': True,
    })
    c.assign([TopicPartition(a.topic, p, -2) for p in range(a.partitions)])  # -2 = OFFSET_BEGINNING
    out = JsonOut()
    eof = set()
    n = 0
    errors = 0
    deadline = time.time() + a.timeout
    while time.time() < deadline and len(eof) < a.partitions:
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                eof.add(msg.partition())
                continue
            errors += 1
            log('consumer error:', msg.error())
            out.emit({'error': str(msg.error()), 'code': msg.error().code(), 'p': msg.partition()})
            continue
        eof.discard(msg.partition())
        tt, ts = msg.timestamp()
        out.emit({'p': msg.partition(), 'o': msg.offset(), 'k': decode(msg.key()), 'v': decode(msg.value()),
                  'h': headers_to_dict(msg.headers()), 'ts': ts})
        n += 1
    out.flush()
    c.close()
    log('read', n, 'records; eof on', sorted(eof), 'errors', errors)
    if len(eof) < a.partitions:
        return 2
    return 1 if errors else 0


def add_options(name, s):
    if name == 'produce':
        s.add_argument('--compression')
        s.add_argument('--report', action='store_true')
        s.add_argument('--rate', type=float, default=0)
        s.add_argument('--message-timeout-ms', type=int, default=30000)
        s.add_argument('--flush-timeout', type=float, default=40)


def main():
    a = command_parser(add_options).parse_args()
    commands = {'create-topic': create_topic, 'produce': produce, 'consume': consume, 'read-all': read_all}
    return run_command(a, commands, KafkaException)


if __name__ == '__main__':
    sys.exit(main())
