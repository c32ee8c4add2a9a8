#!/usr/bin/python3
"""kafka-python 2.0.2 driver for the end-to-end tests. Run with /usr/bin/python3.

Commands:
  create-topic --bootstrap B --topic T --partitions N
  produce      --bootstrap B --topic T --input FILE [--acks all]
  consume      --bootstrap B --topic T --count N --group G [--timeout S] [--linger S]
"""
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError

from common import JsonOut, command_parser, decode, headers_to_dict, load_records, log, run_command


def create_topic(a):
    admin = KafkaAdminClient(bootstrap_servers=a.bootstrap, client_id='e2e-admin', request_timeout_ms=15000)
    try:
        response = admin.create_topics([NewTopic(name=a.topic, num_partitions=a.partitions, replication_factor=1)], timeout_ms=10000)
        log('CreateTopics response:', response)
        for entry in response.topic_errors:
            topic, code = entry[0], entry[1]
            if code != 0:
                log('CreateTopics error for', topic, 'code', code, entry[2:] if len(entry) > 2 else '')
                return 1
    finally:
        admin.close()
    return 0


def produce(a):
    records = load_records(a.input)
    p = KafkaProducer(bootstrap_servers=a.bootstrap, acks=(a.acks if a.acks == 'all' else int(a.acks)), linger_ms=5,
                      batch_size=64 * 1024, request_timeout_ms=20000, client_id='e2e-kafka-python-producer')
    partitions = None
    deadline = time.time() + 15
    while time.time() < deadline:
        partitions = p.partitions_for(a.topic)
        if partitions:
            break
        time.sleep(0.2)
    log('partitions for', a.topic, partitions)
    started = time.time()
    futures = []
    failed = 0
    first_error = None
    for i, r in enumerate(records):
        headers = [(k, v.encode()) for k, v in (r.get('headers') or {}).items()]
        futures.append(p.send(a.topic, key=r['key'].encode(), value=r['value'].encode(), headers=headers or None,
                              timestamp_ms=r.get('timestamp')))
        if len(futures) >= 1000 or i == len(records) - 1:
            p.flush(timeout=30)
            for f in futures:
                try:
                    f.get(timeout=30)
                except KafkaError as e:
                    failed += 1
                    first_error = first_error or repr(e)
            futures = []
    p.close(timeout=10)
    log('produced', len(records), 'failed', failed, 'first error', first_error, 'in %.2fs' % (time.time() - started))
    return 1 if failed else 0


def emit_polled(out, batch):
    """Emit every record of a poll() result as a JSON line; returns how many."""
    n = 0
    for msgs in batch.values():
        for m in msgs:
            out.emit({'p': m.partition, 'o': m.offset, 'k': decode(m.key), 'v': decode(m.value),
                      'h': headers_to_dict(m.headers), 'ts': m.timestamp, 'tt': m.timestamp_type})
            n += 1
    return n


def consume(a):
    c = KafkaConsumer(a.topic, bootstrap_servers=a.bootstrap, group_id=a.group, auto_offset_reset='earliest',
                      enable_auto_commit=False, check_crcs=True, client_id='e2e-kafka-python-consumer')
    out = JsonOut()
    n = 0
    deadline = time.time() + a.timeout
    reached_at = None
    while time.time() < deadline:
        if reached_at is not None and time.time() - reached_at > a.linger:
            break
        n += emit_polled(out, c.poll(timeout_ms=500))
        out.flush()
        if n >= a.count and reached_at is None:
            reached_at = time.time()
    out.flush()
    c.close()
    log('consumed', n, 'of', a.count, 'assignment', sorted(tp.partition for tp in c.assignment()) if n < a.count else 'complete')
    return 0 if n >= a.count else 2


def read_all(a):
    """Assign every partition (no group), seek to the beginning and read up to the end offsets."""
    c = KafkaConsumer(bootstrap_servers=a.bootstrap, group_id=None, enable_auto_commit=False, check_crcs=True,
                      client_id='e2e-kafka-python-reader')
    tps = [TopicPartition(a.topic, p) for p in range(a.partitions)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    end = c.end_offsets(tps)
    log('end offsets', {tp.partition: o for tp, o in end.items()})
    out = JsonOut()
    n = 0
    deadline = time.time() + a.timeout
    while time.time() < deadline and any(c.position(tp) < end[tp] for tp in tps):
        n += emit_polled(out, c.poll(timeout_ms=500))
        out.flush()
    done = all(c.position(tp) >= end[tp] for tp in tps)
    out.flush()
    c.close()
    log('read', n, 'records; reached end offsets:', done)
    return 0 if done else 2


def main():
    a = command_parser().parse_args()
    commands = {'create-topic': create_topic, 'produce': produce, 'consume': consume, 'read-all': read_all}
    return run_command(a, commands, KafkaError, describe=repr)


if __name__ == '__main__':
    sys.exit(main())
