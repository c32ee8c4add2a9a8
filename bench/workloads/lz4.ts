/** lz4: 1 KiB records, lz4, 1 partition, acks=1. Producer, broker ceiling and fetch loop; `--vs` adds kafkajs, kcat, NATS JetStream, Redis Streams and RabbitMQ streams. */
import type { BenchArgs } from '../bench-args.js';
import { runThroughput } from '../lib/throughput.js';

export const description = '1 KiB records, lz4, 1 partition, acks=1 (--records, --vs)';

export async function run(args: BenchArgs): Promise<void> {
  await runThroughput({ workload: 'lz4', title: '1 KiB records, lz4, 1 partition, acks=1', partitions: 1, recordBytes: 1024, records: 500000, compression: 'lz4' }, args);
}
