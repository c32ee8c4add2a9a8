/** Other Kafka clients as producers into Tributary: kafkajs 2.2.4 and kcat (librdkafka). */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { timed } from '../lib/results.js';
import { windowed, type Peer } from './common.js';

/** kafkajs: send() of 1,000 records at a time, 5 sends in flight (each send is one request). */
export function kafkajsPeer(bootstrap: string, topic: string, compression: 'none' | 'gzip' = 'none'): Peer {
  return {
    name: 'kafkajs 2.2.4 → Tributary',
    async start() {},
    async produce(records, values) {
      const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-kafkajs', logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const chunk = 1000;
      const seconds = await timed(() =>
        windowed(Math.ceil(records / chunk), 5, (i) => {
          const n = Math.min(chunk, records - i * chunk);
          const messages = new Array<{ value: Buffer }>(n);
          for (let j = 0; j < n; j++) messages[j] = { value: values[(i * chunk + j) % values.length]! };
          return producer.send({ topic, acks: 1, messages, compression: compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None });
        }),
      );
      await producer.disconnect();
      return seconds;
    },
    async stop() {},
  };
}

/**
 * kcat -P (librdkafka defaults: linger 5 ms, up to 1 MB batches, 1,000,000 messages queued) reading
 * newline-delimited values from a file; timed from spawn to exit (its connect is in the time, a few ms).
 */
export function kcatPeer(bootstrap: string, topic: string, compression = 'none'): Peer {
  let dir = '';
  return {
    name: 'kcat (librdkafka) → Tributary',
    async start() {
      dir = await mkdtemp(join(tmpdir(), 'bench-kcat-'));
    },
    async produce(records, values) {
      const file = join(dir, 'values.txt');
      const lines = values.map((v) => Buffer.from(v.toString('latin1').replace(/\n/g, ' '), 'latin1'));
      const chunks: Buffer[] = [];
      const nl = Buffer.from('\n');
      for (let i = 0; i < records; i++) chunks.push(lines[i % lines.length]!, nl);
      await writeFile(file, Buffer.concat(chunks));
      return timed(
        () =>
          new Promise<void>((resolve, reject) => {
            const child = spawn('kcat', ['-P', '-b', bootstrap, '-t', topic, '-X', 'acks=1', '-X', `compression.codec=${compression}`, '-X', 'queue.buffering.max.messages=1000000', '-l', file], { stdio: ['ignore', 'ignore', 'pipe'] });
            let err = '';
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.once('error', reject); // kcat missing: fail this peer, not the whole process
            child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited with ${code}: ${err.slice(-1000)}`))));
          }),
      );
    },
    async stop() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
