import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { DescribeQuorumApi, MetadataApi } from '../../src/protocol/messages/index.js';
import type { DescribeQuorumResponse } from '../../src/protocol/messages/describe-quorum.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { BrokerProcess } from './broker-process.js';
import { makeTempDir, removeTempDir } from './cleanup.js';
import { brokerCli } from './paths.js';
import { freePort } from './ports.js';
import { runProcess, formatRunFailure } from './proc.js';

/**
 * An N-node Tributary cluster of real OS processes, configured with Kafka's KRaft properties
 * (combined broker+controller nodes, `controller.quorum.voters` on loopback ports chosen at run
 * time), each data dir formatted with `tributary storage format`, as an operator would do it.
 * Nodes keep their ports across restarts (the voters string names them).
 */

export interface ClusterProcessOptions {
  /** Combined broker+controller nodes (the voters), ids 0..nodes-1. */
  nodes?: number;
  /** Broker-only nodes (`process.roles=broker`: Raft observers), ids after the voters. */
  brokerOnly?: number;
  /** Extra properties for every node. */
  properties?: Record<string, string | number | boolean>;
  /** Per node, on top of `properties`. */
  nodeProperties?: (nodeId: number) => Record<string, string | number | boolean>;
  readyTimeoutMs?: number;
  /**
   * The port a node advertises (clients and followers connect there) given the one it listens on: a test
   * puts a proxy in front of each broker by starting it here. Default: the listening port.
   */
  advertisedPort?: (nodeId: number, brokerPort: number) => Promise<number> | number;
}

export interface ClusterNode {
  readonly nodeId: number;
  readonly brokerPort: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly configFile: string;
  readonly process: BrokerProcess;
}

export class ProcessCluster {
  clusterId = '';
  private readonly nodeMap = new Map<number, ClusterNode>();

  private constructor(readonly root: string) {}

  get nodes(): ReadonlyMap<number, ClusterNode> {
    return this.nodeMap;
  }

  static async start(t: TestContext | null, opts: ClusterProcessOptions = {}): Promise<ProcessCluster> {
    const voterCount = opts.nodes ?? 3;
    const count = voterCount + (opts.brokerOnly ?? 0);
    const root = await makeTempDir('cluster');
    const cluster = new ProcessCluster(root);
    if (t) t.after(() => cluster.cleanup());
    const ports: Array<{ broker: number; controller: number }> = [];
    for (let i = 0; i < count; i++) ports.push({ broker: await freePort(), controller: i < voterCount ? await freePort() : 0 });
    const voters = ports.slice(0, voterCount).map((p, id) => `${id}@127.0.0.1:${p.controller}`).join(',');
    const idRun = await runProcess(process.execPath, [brokerCli, 'storage', 'random-uuid'], { timeoutMs: 20_000 });
    if (idRun.code !== 0) throw new Error(formatRunFailure(idRun, 'tributary storage random-uuid'));
    const clusterId = idRun.stdout.trim();
    cluster.clusterId = clusterId;
    const configs: Array<{ id: number; dataDir: string; configFile: string }> = [];
    for (let id = 0; id < count; id++) {
      const dataDir = path.join(root, `node-${id}`);
      const voter = id < voterCount;
      const advertised = opts.advertisedPort ? await opts.advertisedPort(id, ports[id]!.broker) : ports[id]!.broker;
      const props: Record<string, string | number | boolean> = {
        'process.roles': voter ? 'broker,controller' : 'broker',
        'node.id': id,
        'controller.quorum.voters': voters,
        listeners: voter ? `PLAINTEXT://127.0.0.1:${ports[id]!.broker},CONTROLLER://127.0.0.1:${ports[id]!.controller}` : `PLAINTEXT://127.0.0.1:${ports[id]!.broker}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${advertised}`,
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'log.dirs': dataDir,
        'offsets.topic.replication.factor': 1,
        ...opts.properties,
        ...opts.nodeProperties?.(id),
      };
      const configFile = path.join(root, `node-${id}.properties`);
      fs.writeFileSync(configFile, Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n');
      const format = await runProcess(process.execPath, [brokerCli, 'storage', 'format', '--cluster-id', clusterId, '--config', configFile], { timeoutMs: 30_000 });
      if (format.code !== 0) throw new Error(formatRunFailure(format, `tributary storage format (node ${id})`));
      configs.push({ id, dataDir, configFile });
    }
    // All nodes start together: a quorum needs a majority before any of them can be ready.
    await Promise.all(
      configs.map(async ({ id, dataDir, configFile }) => {
        const proc = await BrokerProcess.start({ configFile, logDir: dataDir, name: `node-${id}`, readyTimeoutMs: opts.readyTimeoutMs ?? 60_000 });
        cluster.nodeMap.set(id, { nodeId: id, brokerPort: ports[id]!.broker, controllerPort: ports[id]!.controller, dataDir, configFile, process: proc });
      }),
    );
    await cluster.waitFormed(opts.readyTimeoutMs ?? 60_000);
    return cluster;
  }

  /**
   * Resolves once every node's Metadata lists every node as a live broker: each node printing its
   * ready line only says that node is unfenced; a client that bootstraps from a node that has not yet
   * applied the others' registrations would see a smaller cluster.
   */
  async waitFormed(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const want = this.nodeMap.size;
    for (const n of this.nodeMap.values()) {
      for (;;) {
        let seen = -1;
        try {
          const conn = await BrokerConnection.open('127.0.0.1', n.brokerPort, { requestTimeoutMs: 5000, connectTimeoutMs: 2000 });
          try {
            const md = await conn.send<MetadataResponse>(MetadataApi, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
            seen = md.brokers.length;
          } finally {
            conn.close();
          }
        } catch {
          // not serving yet
        }
        if (seen === want) break;
        if (Date.now() > deadline) throw new Error(`node ${n.nodeId} lists ${seen} of ${want} brokers after ${timeoutMs} ms\n${this.logs()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  node(id: number): ClusterNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Every node's broker listener, for a client's bootstrap servers. */
  get bootstrap(): string {
    return [...this.nodes.values()].map((n) => `127.0.0.1:${n.brokerPort}`).join(',');
  }

  bootstrapOf(id: number): string {
    return `127.0.0.1:${this.node(id).brokerPort}`;
  }

  async kill(id: number): Promise<void> {
    await this.node(id).process.kill('SIGKILL');
  }

  /** Clean stop: SIGTERM (the broker's controlled shutdown), waits for the exit. */
  async stop(id: number, timeoutMs = 30_000): Promise<void> {
    await this.node(id).process.stop(timeoutMs);
  }

  /** SIGSTOP: the process keeps its sockets open but answers nothing (a hung or partitioned node). */
  pause(id: number): void {
    this.signal(id, 'SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(id: number): void {
    this.signal(id, 'SIGCONT');
  }

  private signal(id: number, signal: NodeJS.Signals): void {
    const pid = this.node(id).process.pid;
    if (pid === undefined || !this.node(id).process.alive) throw new Error(`node ${id} is not running`);
    process.kill(pid, signal);
  }

  /** Starts the node again on its data dir and ports; resolves when it prints its ready line. */
  async restart(id: number): Promise<void> {
    await this.node(id).process.restart();
  }

  /**
   * The active controller: the leader of `__cluster_metadata` as DescribeQuorum reports it from the
   * first voter among `askIds` that answers (-1 while there is none).
   */
  async activeController(askIds: readonly number[] = [...this.nodeMap.keys()]): Promise<number> {
    let lastErr: unknown = null;
    for (const id of askIds) {
      const n = this.node(id);
      if (!n.process.alive) continue;
      try {
        const conn = await BrokerConnection.open('127.0.0.1', n.controllerPort, { requestTimeoutMs: 3000, connectTimeoutMs: 2000 });
        try {
          const res = await conn.send<DescribeQuorumResponse>(DescribeQuorumApi, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
          const part = res.topics[0]?.partitions[0];
          if (res.errorCode === 0 && part && part.errorCode === 0) return part.leaderId;
        } finally {
          conn.close();
        }
      } catch (err) {
        lastErr = err;
      }
    }
    throw new Error(`no voter among [${askIds.join(',')}] answered DescribeQuorum: ${String(lastErr)}`);
  }

  /** Logs of every node (tails), for failure messages. */
  logs(chars = 4000): string {
    return [...this.nodes.values()].map((n) => `--- node ${n.nodeId} ---\n${n.process.recentLogs(chars)}`).join('\n');
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.process.cleanup()));
    await removeTempDir(this.root).catch(() => undefined);
  }
}
