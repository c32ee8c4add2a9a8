"""The chaos harness's librdkafka producer lanes (confluent-kafka-python; workload.ts runs it with the
venv python .ci/run makes, ~/.cache/tributary/venv). One lane per partition, named PREFIX<partition>,
each with at most one record outstanding (sent, no delivery report yet) and acks=all, as the harness's
other lanes: a lane's acknowledged offsets are then an order check. Record seq of lane L is the value
"L:seq|" padded to --value-bytes. Runs until SIGTERM, then flushes (bounded) and exits.

  --bootstrap B --topic T --partitions N --prefix r [--value-bytes 100] [--idempotent 0|1]
  [--request-timeout-ms 2000] [--message-timeout-ms 60000]

stdout, one JSON object a line, in the order things happened:
  {"s": seq, "p": P}                 sent (handed to librdkafka)
  {"a": seq, "p": P, "o": OFFSET}    acknowledged at OFFSET
  {"f": seq, "p": P, "k": ERROR}     delivery failed (after librdkafka's own retries)
  {"e": ERROR, "fatal": BOOL, "reason": TEXT}  a client-level error; on a fatal one (an idempotent
                                     producer that cannot go on) the producer is replaced and the lanes go on
  {"done": true, "unflushed": N}     exit after SIGTERM
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--partitions', type=int, required=True)
    ap.add_argument('--prefix', required=True)
    ap.add_argument('--value-bytes', type=int, default=100)
    ap.add_argument('--idempotent', type=int, default=0)
    ap.add_argument('--request-timeout-ms', type=int, default=2000)
    # Longer than the harness's outages (up to ~30 s): a record that times out in librdkafka's queue
    # makes an idempotent producer resynchronise its sequence numbers, which is librdkafka's business,
    # not the broker's; the lane waits instead, as the kafkajs lane (unlimited retries) does.
    ap.add_argument('--message-timeout-ms', type=int, default=60000)
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

    fatal = [False]

    def on_error(err):
        if err.fatal():
            fatal[0] = True
        emit({'e': err.name(), 'fatal': err.fatal(), 'reason': err.str()})

    outstanding = [None] * a.partitions

    def on_delivery(err, msg):
        part = msg.partition()
        seq = int(msg.value().split(b'|', 1)[0].rsplit(b':', 1)[1])
        outstanding[part] = None
        if err is not None:
            emit({'f': seq, 'p': part, 'k': err.name()})
        else:
            emit({'a': seq, 'p': part, 'o': msg.offset()})

    def make():
        return Producer({
            'bootstrap.servers': a.bootstrap,
            'client.id': 'chaos-librdkafka',
            'acks': 'all',
            'enable.idempotence': a.idempotent == 1,
            # One record outstanding per partition already; one request in flight keeps a producer
            # without idempotence from reordering across a retry.
            'max.in.flight.requests.per.connection': 1,
            'linger.ms': 0,
            'retry.backoff.ms': 100,
            'request.timeout.ms': a.request_timeout_ms,
            'socket.timeout.ms': a.request_timeout_ms,
            'message.timeout.ms': a.message_timeout_ms,
            'topic.metadata.refresh.interval.ms': 2000,
            'reconnect.backoff.ms': 100,
            'reconnect.backoff.max.ms': 1000,
            'error_cb': on_error,
        })

    p = make()
    seqs = [0] * a.partitions
    while not stop:
        if fatal[0]:
            # The idempotent producer is fenced for good (librdkafka's fatal errors): its outstanding
            # records fail, a new producer (new producer id) takes the lanes on.
            try:
                p.purge()
                p.flush(1)
            except KafkaException:
                pass
            # Their delivery reports may never come from a fenced producer: the lanes go on.
            outstanding[:] = [None] * a.partitions
            p = make()
            fatal[0] = False
        sent = False
        for part in range(a.partitions):
            if outstanding[part] is not None:
                continue
            seq = seqs[part]
            prefix = ('%s%d:%d|' % (a.prefix, part, seq)).encode()
            value = prefix + b'.' * max(0, a.value_bytes - len(prefix))
            try:
                p.produce(a.topic, value=value, partition=part, on_delivery=on_delivery)
            except BufferError:
                break
            except KafkaException as e:
                # A producer in a fatal state refuses every record: replace it (top of the loop).
                err = e.args[0]
                emit({'e': err.name(), 'fatal': err.fatal(), 'reason': err.str()})
                fatal[0] = fatal[0] or err.fatal()
                break
            outstanding[part] = seq
            seqs[part] = seq + 1
            emit({'s': seq, 'p': part})
            sent = True
        try:
            p.poll(0 if sent else 0.01)
        except KafkaException as e:
            # A fatal error surfaces here too (raised from the delivery path): replace the producer.
            err = e.args[0]
            emit({'e': err.name(), 'fatal': err.fatal(), 'reason': err.str()})
            fatal[0] = fatal[0] or err.fatal()
        flush_out()
    try:
        remaining = p.flush(5)
    except KafkaException:
        remaining = -1
    emit({'done': True, 'unflushed': remaining})
    flush_out()
    return 0


if __name__ == '__main__':
    sys.exit(main())
