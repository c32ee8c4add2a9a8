/** NATS JetStream: `nats-server -js -sd DIR`, file storage, the `nats` Node client (publish with PubAck, ordered consumer). */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, StorageType, type NatsConnection } from 'nats';
import { timed } from '../lib/results.js';
import { freePort, spawnServer, stopServer, windowed, type Peer } from './common.js';

const STREAM = 'bench';
const SUBJECT = 'bench.records';
/** Publishes awaiting their PubAck at once (the client pipelines them on one connection). */
const WINDOW = 2000;

export function natsPeer(): Peer {
  let child: ChildProcess | null = null;
  let dir = '';
  let port = 0;
  let nc: NatsConnection | null = null;
  return {
    name: 'NATS JetStream 2.9 (nats.js 2.29)',
    async start() {
      dir = await mkdtemp(join(tmpdir(), 'bench-nats-'));
      port = await freePort();
      child = await spawnServer('nats-server', ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], /Server is ready/);
      nc = await connect({ servers: `127.0.0.1:${port}`, maxPingOut: 100 });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File, max_bytes: -1 });
    },
    async produce(records, values) {
      const js = nc!.jetstream();
      return timed(() => windowed(records, WINDOW, (i) => js.publish(SUBJECT, values[i % values.length]!)));
    },
    async consume(records) {
      const js = nc!.jetstream();
      const consumer = await js.consumers.get(STREAM); // ordered consumer from the first message
      let count = 0;
      return timed(async () => {
        const messages = await consumer.consume({ max_messages: 10_000 });
        for await (const m of messages) {
          void m;
          if (++count >= records) break;
        }
      });
    },
    async stop() {
      if (nc) await nc.close().catch(() => undefined);
      nc = null;
      if (child) await stopServer(child);
      child = null;
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
