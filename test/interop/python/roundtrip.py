"""confluent-kafka 2.x or aiokafka against a broker: `python roundtrip.py CLIENT BOOTSTRAP TOPIC N`.

Creates the topic (3 partitions), produces N keyed records, consumes them in a group, commits, and
prints one `key=value` line per fact; test/interop/python-clients.test.ts asserts on them.
"""
import asyncio
import sys
import time


def confluent(bootstrap, topic, n):
    import confluent_kafka
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    print(f"version={confluent_kafka.__version__} librdkafka={confluent_kafka.libversion()[0]}")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, 3, 1)]).values():
        f.result(30)
    print(f"admin.partitions={len(admin.list_topics(topic, timeout=30).topics[topic].partitions)}")
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    errors = []
    for i in range(n):
        producer.produce(topic, key=f"key-{i}", value=f"value-{i}", on_delivery=lambda err, _m: err and errors.append(err))
    producer.flush(30)
    print(f"produced={n - len(errors)}")
    group = topic + "-group"
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen, mismatched, deadline = set(), 0, time.time() + 30
    while len(seen) < n and time.time() < deadline:
        for m in consumer.consume(500, 1.0):
            if m.error():
                raise RuntimeError(m.error())
            if m.value().decode() != "value-" + m.key().decode()[4:]:
                mismatched += 1
            seen.add(m.key())
    consumer.commit(asynchronous=False)
    committed = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=30)
    consumer.close()
    print(f"consumed={len(seen)}\nmismatched={mismatched}\ncommitted={sum(tp.offset for tp in committed)}")


async def aio(bootstrap, topic, n):
    import aiokafka
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    print(f"version={aiokafka.__version__}")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 3, 1)])
    described = await admin.describe_topics([topic])
    print(f"admin.partitions={len(described[0]['partitions'])}")
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    futures = [await producer.send(topic, key=f"key-{i}".encode(), value=f"value-{i}".encode()) for i in range(n)]
    await asyncio.gather(*futures)
    await producer.stop()
    print(f"produced={n}")
    group = topic + "-group"
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen, mismatched, deadline = set(), 0, time.time() + 30
    while len(seen) < n and time.time() < deadline:
        batches = await consumer.getmany(timeout_ms=1000)
        for records in batches.values():
            for m in records:
                if m.value.decode() != "value-" + m.key.decode()[4:]:
                    mismatched += 1
                seen.add(m.key)
    await consumer.commit()
    committed = 0
    for tp in consumer.assignment():
        committed += await consumer.committed(tp) or 0
    await consumer.stop()
    print(f"consumed={len(seen)}\nmismatched={mismatched}\ncommitted={committed}")


if __name__ == "__main__":
    client, bootstrap, topic, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if client == "confluent-kafka":
        confluent(bootstrap, topic, n)
    else:
        asyncio.run(aio(bootstrap, topic, n))
