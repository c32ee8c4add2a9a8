/** Redis Streams: `redis-server --appendonly yes --appendfsync everysec`, ioredis, XADD / XREAD. */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { timed } from '../lib/results.js';
import { freePort, spawnServer, stopServer, type Peer } from './common.js';

const STREAM = 'bench';
const PIPELINE = 1000;
const PIPELINES_IN_FLIGHT = 4;

export function redisPeer(): Peer {
  let child: ChildProcess | null = null;
  let dir = '';
  let port = 0;
  return {
    name: 'Redis Streams 7.0 (ioredis)',
    async start() {
      dir = await mkdtemp(join(tmpdir(), 'bench-redis-'));
      port = await freePort();
      child = await spawnServer('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--protected-mode', 'no'], /Ready to accept connections/);
    },
    async produce(records, values) {
      const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
      await redis.connect();
      const seconds = await timed(async () => {
        const inFlight = new Set<Promise<unknown>>();
        let v = 0;
        for (let sent = 0; sent < records; sent += PIPELINE) {
          const pipe = redis.pipeline();
          const n = Math.min(PIPELINE, records - sent);
          for (let i = 0; i < n; i++) {
            pipe.xadd(STREAM, '*', 'v', values[v]!);
            if (++v === values.length) v = 0;
          }
          const p = pipe.exec().then((res) => {
            for (const [err] of res ?? []) if (err) throw err;
          });
          inFlight.add(p);
          void p.then(() => inFlight.delete(p), () => inFlight.delete(p));
          if (inFlight.size >= PIPELINES_IN_FLIGHT) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      });
      redis.disconnect();
      return seconds;
    },
    async consume(records) {
      const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
      await redis.connect();
      let last = '0-0';
      let count = 0;
      const seconds = await timed(async () => {
        while (count < records) {
          const res = (await redis.xreadBuffer('COUNT', 10_000, 'STREAMS', STREAM, last)) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
          const entries = res?.[0]?.[1] ?? [];
          if (entries.length === 0) throw new Error(`redis: stream ended after ${count} of ${records}`);
          count += entries.length;
          last = entries[entries.length - 1]![0].toString();
        }
      });
      redis.disconnect();
      return seconds;
    },
    async stop() {
      if (child) await stopServer(child);
      child = null;
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
