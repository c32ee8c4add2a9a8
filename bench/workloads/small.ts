/** small: 100-byte records, 1 partition, acks=1. Producer, broker ceiling and fetch loop; `--vs` adds kafkajs, kcat, NATS JetStream, Redis Streams and RabbitMQ streams. */
import type { BenchArgs } from '../bench-args.js';
import { runThroughput } from '../lib/throughput.js';

export const description = '100-byte records, 1 partition, acks=1 (--records, --vs)';

export async function run(args: BenchArgs): Promise<void> {
  await runThroughput({ workload: 'small', title: '100-byte records, 1 partition, acks=1', partitions: 1, recordBytes: 100, records: 2000000, compression: 'none' }, args);
}
