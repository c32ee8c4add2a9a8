/**
 * RabbitMQ streams: Debian's rabbitmq-server 3.10 with the rabbitmq_stream plugin, node name,
 * ports, config, Mnesia and logs in a temp dir, its own epmd on a free loopback port; the
 * rabbitmq-stream-js-client (publish confirms awaited, consumer from the first offset).
 *
 * Workaround: after open, the client sends ExchangeCommandVersions (command 0x001b), which RabbitMQ
 * 3.10 does not know — it closes the connection. 3.10 speaks version 1 of every command this
 * benchmark uses, so the bench skips that exchange (the client then assumes version 1, which is
 * what it negotiates with a 3.10 server anyway).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Offset, type Client } from 'rabbitmq-stream-js-client';
import { timed } from '../lib/results.js';
import { freePort, spawnServer, stopServer, type Peer } from './common.js';

const STREAM = 'bench';
const RABBIT_BIN = '/usr/lib/rabbitmq/bin/rabbitmq-server';

function skipExchangeCommandVersions(): void {
  const require = createRequire(import.meta.url);
  const mod = require('rabbitmq-stream-js-client/dist/connection.js') as { Connection: { prototype: Record<string, unknown> } };
  mod.Connection.prototype['exchangeCommandVersions'] = async function (): Promise<boolean> {
    return true;
  };
}

export function rabbitmqPeer(): Peer {
  let child: ChildProcess | null = null;
  let epmd: ChildProcess | null = null;
  let dir = '';
  let port = 0;
  let client: Client | null = null;
  return {
    name: 'RabbitMQ streams 3.10 (rabbitmq-stream-js-client 1.0)',
    async start() {
      skipExchangeCommandVersions();
      dir = await mkdtemp(join(tmpdir(), 'bench-rabbitmq-'));
      port = await freePort();
      const amqpPort = await freePort();
      const epmdPort = await freePort();
      const distPort = await freePort();
      await writeFile(join(dir, 'enabled_plugins'), '[rabbitmq_stream].\n');
      await writeFile(
        join(dir, 'rabbitmq.conf'),
        [`listeners.tcp.default = 127.0.0.1:${amqpPort}`, `stream.listeners.tcp.1 = 127.0.0.1:${port}`, 'stream.advertised_host = 127.0.0.1', `stream.advertised_port = ${port}`, 'loopback_users = none', ''].join('\n'),
      );
      const env = {
        HOME: dir,
        RABBITMQ_BASE: dir,
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_LOGS: '-',
        RABBITMQ_NODENAME: `bench${port}@localhost`,
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
        ERL_EPMD_ADDRESS: '127.0.0.1',
        ERL_EPMD_PORT: String(epmdPort),
      };
      epmd = spawn('epmd', ['-address', '127.0.0.1', '-port', String(epmdPort)], { stdio: 'ignore', env: { ...process.env, ...env } });
      child = await spawnServer(RABBIT_BIN, [], /Server startup complete/, { env: { ...env, RABBITMQ_ALLOW_INPUT: '' }, timeoutMs: 120_000 });
      client = await connect({ hostname: '127.0.0.1', port, username: 'guest', password: 'guest', vhost: '/' });
      await client.createStream({ stream: STREAM, arguments: {} });
    },
    async produce(records, values) {
      const publisher = await client!.declarePublisher({ stream: STREAM });
      let confirmed = 0;
      let done: () => void = () => undefined;
      const all = new Promise<void>((r) => (done = r));
      publisher.on('publish_confirm', (err, ids) => {
        if (err) throw new Error(`rabbitmq publish error ${err}`);
        confirmed += ids.length;
        if (confirmed >= records) done();
      });
      const seconds = await timed(async () => {
        for (let i = 0; i < records; i++) await publisher.send(values[i % values.length]!);
        await publisher.flush();
        await all;
      });
      await publisher.close();
      return seconds;
    },
    async consume(records) {
      let count = 0;
      let done: () => void = () => undefined;
      const all = new Promise<void>((r) => (done = r));
      let consumer: Awaited<ReturnType<Client['declareConsumer']>> | null = null;
      const seconds = await timed(async () => {
        consumer = await client!.declareConsumer({ stream: STREAM, offset: Offset.first() }, () => {
          if (++count === records) done();
        });
        await all;
      });
      if (consumer) await client!.closeConsumer((consumer as { extendedId: string }).extendedId).catch(() => undefined);
      return seconds;
    },
    async stop() {
      if (client) await client.close().catch(() => undefined);
      client = null;
      if (child) await stopServer(child, 30_000);
      child = null;
      if (epmd && epmd.exitCode === null) {
        const exited = new Promise((r) => epmd!.once('exit', r));
        epmd.kill('SIGTERM');
        await exited;
      }
      epmd = null;
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
