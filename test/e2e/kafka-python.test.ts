import { test } from 'node:test';
import { pythonRoundTrip } from '../helpers/python-roundtrip.js';

/**
 * kafka-python 2.0.2 (Debian /usr/bin/python3) against the broker process: KafkaAdminClient
 * create_topics (3 partitions), 10,000 keyed records with headers and explicit timestamps
 * (acks=all), consumed back by a KafkaConsumer in a group; keys, values, headers, timestamps,
 * exactly-once delivery and per-partition order are checked. kafka-python infers the broker
 * version from ApiVersions v0 and then uses fixed old API versions (Metadata v1, Produce v7,
 * Fetch v4, JoinGroup v2 ...), so this exercises a different path than the other clients.
 */
test('kafka-python: 10,000 keyed records with headers round-trip', { timeout: 120_000 }, async (t) => {
  await pythonRoundTrip(t, 'kafka-python', 'kafka_python_client.py', 'kafka-python');
});
