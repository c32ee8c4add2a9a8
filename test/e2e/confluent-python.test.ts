import { test } from 'node:test';
import { pythonRoundTrip } from '../helpers/python-roundtrip.js';

/**
 * confluent-kafka-python 1.7.0 (librdkafka 2.0.2, Debian /usr/bin/python3) against the broker
 * process: AdminClient.create_topics (3 partitions), 10,000 keyed records with headers and explicit
 * timestamps (acks=all), consumed back with a subscribed consumer group (check.crcs=true);
 * keys, values, headers, timestamps, exactly-once delivery and per-partition order are checked.
 */
test('confluent-kafka-python: 10,000 keyed records with headers round-trip', { timeout: 120_000 }, async (t) => {
  await pythonRoundTrip(t, 'confluent-kafka-python', 'confluent_client.py', 'confluent-python');
});
