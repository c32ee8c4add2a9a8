/**
 * A KRaft cluster of `tributary server` processes on this machine for the workloads: every node a
 * combined broker+controller (`controller.quorum.voters` on loopback ports picked at run time),
 * each data dir formatted with `tributary storage format` first, as an operator does it. Nodes can
 * be SIGKILLed (fail-over measurements); `stop()` SIGTERMs what still runs and removes the dirs.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { DescribeQuorumApi, MetadataApi } from '../../src/protocol/messages/index.js';
import type { DescribeQuorumResponse } from '../../src/protocol/messages/describe-quorum.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

export interface BenchNode {
  readonly id: number;
  readonly port: number;
  /** Its CONTROLLER listener (DescribeQuorum is answered there). */
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly pid: number;
  alive(): boolean;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface BenchCluster {
  readonly nodes: readonly BenchNode[];
  readonly bootstrap: string;
  bootstrapOf(id: number): string;
  /** Partition leaders of a topic as `via` sees them (-1: none). */
  leaders(topic: string, via?: number): Promise<number[]>;
  /** The active controller: the `__cluster_metadata` leader as a live voter's DescribeQuorum reports it. */
  activeController(): Promise<number>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function metadata(port: number, topics: string[] | null): Promise<MetadataResponse> {
  const conn = await BrokerConnection.open('127.0.0.1', port, { requestTimeoutMs: 5000, connectTimeoutMs: 2000 });
  try {
    return await conn.send<MetadataResponse>(MetadataApi, 12, { topics: topics === null ? [] : topics.map((name) => ({ topicId: null, name })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  } finally {
    conn.close();
  }
}

function startNode(id: number, port: number, controllerPort: number, dataDir: string, configFile: string): Promise<BenchNode> {
  const child: ChildProcess = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, 'server', '--config', configFile], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' } });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`node ${id} not ready within 60 s`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!/ready on /.test(out)) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      const kill = async (signal: NodeJS.Signals): Promise<void> => {
        if (alive()) child.kill(signal);
        await exited;
      };
      resolve({ id, port, controllerPort, dataDir, pid: child.pid!, alive, kill });
    });
    child.once('exit', (code) => reject(new Error(`node ${id} exited with ${code} before it was ready`)));
  });
}

export async function startBenchCluster(opts: { nodes?: number; properties?: Record<string, string | number | boolean> } = {}): Promise<BenchCluster> {
  const count = opts.nodes ?? 3;
  const root = await mkdtemp(join(tmpdir(), 'tributary-bench-cluster-'));
  const ports: Array<{ broker: number; controller: number }> = [];
  for (let i = 0; i < count; i++) ports.push({ broker: await freePort(), controller: await freePort() });
  const voters = ports.map((p, id) => `${id}@127.0.0.1:${p.controller}`).join(',');
  const clusterId = execFileSync(process.execPath, [CLI, 'storage', 'random-uuid'], { encoding: 'utf8' }).trim();
  const configs = ports.map((p, id) => {
    const dataDir = join(root, `node-${id}`);
    const props: Record<string, string | number | boolean> = {
      'process.roles': 'broker,controller',
      'node.id': id,
      'controller.quorum.voters': voters,
      listeners: `PLAINTEXT://127.0.0.1:${p.broker},CONTROLLER://127.0.0.1:${p.controller}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${p.broker}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': dataDir,
      ...opts.properties,
    };
    const configFile = join(root, `node-${id}.properties`);
    writeFileSync(configFile, Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n');
    execFileSync(process.execPath, [CLI, 'storage', 'format', '--cluster-id', clusterId, '--config', configFile], { stdio: 'ignore' });
    return { id, port: p.broker, controllerPort: p.controller, dataDir, configFile };
  });
  const nodes = await Promise.all(configs.map((c) => startNode(c.id, c.port, c.controllerPort, c.dataDir, c.configFile)));
  // Formed once every node lists every broker (a node's ready line only says it is unfenced).
  const deadline = Date.now() + 60_000;
  for (const n of nodes) {
    while ((await metadata(n.port, null).catch(() => null))?.brokers.length !== count) {
      if (Date.now() > deadline) throw new Error(`node ${n.id} does not list ${count} brokers`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const bootstrapOf = (id: number): string => `127.0.0.1:${nodes[id]!.port}`;
  return {
    nodes,
    bootstrap: nodes.map((n) => bootstrapOf(n.id)).join(','),
    bootstrapOf,
    leaders: async (topic, via) => {
      const n = nodes.find((x) => (via === undefined ? x.alive() : x.id === via))!;
      const md = await metadata(n.port, [topic]);
      const t = md.topics.find((x) => x.name === topic);
      return (t?.partitions ?? []).sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderId);
    },
    activeController: async () => {
      for (const n of nodes.filter((x) => x.alive())) {
        const conn = await BrokerConnection.open('127.0.0.1', n.controllerPort, { requestTimeoutMs: 5000, connectTimeoutMs: 2000 }).catch(() => null);
        if (!conn) continue;
        try {
          const res = await conn.send<DescribeQuorumResponse>(DescribeQuorumApi, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
          const part = res.topics[0]?.partitions[0];
          if (res.errorCode === 0 && part?.errorCode === 0 && part.leaderId >= 0) return part.leaderId;
        } finally {
          conn.close();
        }
      }
      throw new Error('no live voter names an active controller');
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
      await rm(root, { recursive: true, force: true });
    },
  };
}
