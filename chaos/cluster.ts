/**
 * An N-node Tributary cluster for the chaos harness: real `tributary server` processes, each in its
 * own network namespace (net.ts) on port 9092 (broker) and 9093 (controller) of its own address,
 * combined broker+controller nodes formatted with `tributary storage format` as an operator does.
 * Nodes are SIGKILLed, SIGSTOPped and restarted on their data dirs; `destroy()` kills what runs and
 * removes the namespaces and the directories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BrokerConnection } from '../src/network/broker-connection.js';
import { DescribeQuorumApi, MetadataApi } from '../src/protocol/messages/index.js';
import type { DescribeQuorumResponse } from '../src/protocol/messages/describe-quorum.js';
import type { MetadataResponse } from '../src/protocol/messages/metadata.js';
import { BrokerProcess } from '../test/helpers/broker-process.js';
import { partitionStates, type PartitionState } from '../test/helpers/replica-check.js';
import { makeTempDir, removeTempDir } from '../test/helpers/cleanup.js';
import { brokerCli } from '../test/helpers/paths.js';
import { formatRunFailure, runProcess } from '../test/helpers/proc.js';
import { NamespaceNetwork } from './net.js';

export const BROKER_PORT = 9092;
export const CONTROLLER_PORT = 9093;

export interface ChaosNode {
  readonly id: number;
  readonly address: string;
  readonly dataDir: string;
  readonly process: BrokerProcess;
}

/** A partition as one node's Metadata shows it (the replication tests' shape). */
export type PartitionView = PartitionState;

/** Properties every node gets (the harness's timing; Kafka's names). */
export const CHAOS_PROPERTIES: Record<string, string | number> = {
  'broker.session.timeout.ms': 3000,
  'broker.heartbeat.interval.ms': 500,
  'replica.lag.time.max.ms': 3000,
  'offsets.topic.replication.factor': 3,
  'default.replication.factor': 3,
  'min.insync.replicas': 2,
  'auto.create.topics.enable': 'false',
};

export class ChaosCluster {
  private readonly nodeList: ChaosNode[] = [];
  /** Nodes SIGSTOPped and not yet continued: asked nothing, since they would answer nothing until then. */
  private readonly pausedIds = new Set<number>();
  /** Restarts under way (`beginRestart`): a node's promise settles once it printed its ready line. */
  private readonly starting = new Map<number, Promise<void>>();

  private constructor(
    readonly net: NamespaceNetwork,
    readonly root: string,
  ) {}

  get nodes(): readonly ChaosNode[] {
    return this.nodeList;
  }

  get bootstrap(): string {
    return this.nodeList.map((n) => `${n.address}:${BROKER_PORT}`).join(',');
  }

  static async start(opts: { nodes: number; properties?: Record<string, string | number>; cli?: string }): Promise<ChaosCluster> {
    const cli = opts.cli ?? brokerCli;
    const net = await NamespaceNetwork.create(opts.nodes);
    const root = await makeTempDir('chaos');
    const cluster = new ChaosCluster(net, root);
    try {
      const idRun = await runProcess(process.execPath, [cli, 'storage', 'random-uuid'], { timeoutMs: 20_000 });
      if (idRun.code !== 0) throw new Error(formatRunFailure(idRun, 'tributary storage random-uuid'));
      const clusterId = idRun.stdout.trim();
      const voters = net.addresses.map((a, id) => `${id}@${a}:${CONTROLLER_PORT}`).join(',');
      const configs = net.addresses.map((address, id) => {
        const dataDir = path.join(root, `node-${id}`);
        const props: Record<string, string | number> = {
          'process.roles': 'broker,controller',
          'node.id': id,
          'controller.quorum.voters': voters,
          listeners: `PLAINTEXT://${address}:${BROKER_PORT},CONTROLLER://${address}:${CONTROLLER_PORT}`,
          'advertised.listeners': `PLAINTEXT://${address}:${BROKER_PORT}`,
          'controller.listener.names': 'CONTROLLER',
          'inter.broker.listener.name': 'PLAINTEXT',
          'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          'log.dirs': dataDir,
          ...CHAOS_PROPERTIES,
          ...opts.properties,
        };
        const configFile = path.join(root, `node-${id}.properties`);
        fs.writeFileSync(configFile, Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n');
        return { id, address, dataDir, configFile, clusterId };
      });
      for (const c of configs) {
        const format = await runProcess(process.execPath, [cli, 'storage', 'format', '--cluster-id', clusterId, '--config', c.configFile], { timeoutMs: 30_000 });
        if (format.code !== 0) throw new Error(formatRunFailure(format, `tributary storage format (node ${c.id})`));
      }
      const started = await Promise.all(
        configs.map(async (c) => {
          const proc = await BrokerProcess.start({ cli, configFile: c.configFile, logDir: c.dataDir, name: `node-${c.id}`, netns: net.namespaceOf(c.id), readyTimeoutMs: 60_000 });
          return { id: c.id, address: c.address, dataDir: c.dataDir, process: proc };
        }),
      );
      cluster.nodeList.push(...started.sort((a, b) => a.id - b.id));
      await cluster.waitFormed(60_000);
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  node(id: number): ChaosNode {
    const n = this.nodeList[id];
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  private async withConnection<T>(id: number, port: number, fn: (c: BrokerConnection) => Promise<T>): Promise<T> {
    const conn = await BrokerConnection.open(this.node(id).address, port, { requestTimeoutMs: 3000, connectTimeoutMs: 2000 });
    try {
      return await fn(conn);
    } finally {
      conn.close();
    }
  }

  /** Every node lists every node as a live broker. */
  async waitFormed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const n of this.nodeList) {
      for (;;) {
        const seen = await this.withConnection(n.id, BROKER_PORT, (c) => c.send<MetadataResponse>(MetadataApi, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }))
          .then((md) => md.brokers.length)
          .catch(() => -1);
        if (seen === this.nodeList.length) break;
        if (Date.now() > deadline) throw new Error(`node ${n.id} lists ${seen} of ${this.nodeList.length} brokers after ${timeoutMs} ms\n${this.logs()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** A topic's partitions as node `via` sees them (null: it did not answer, or has no such topic). */
  async partitions(topic: string, via: number): Promise<PartitionView[] | null> {
    const got = await partitionStates(`${this.node(via).address}:${BROKER_PORT}`, topic).catch(() => null);
    return got !== null && got.topicError === 0 ? got.partitions : null;
  }

  /** Partition `partition` of `topic` as the first running node that answers sees it (null: none did). */
  async partitionFromAny(topic: string, partition: number): Promise<PartitionView | null> {
    for (const n of this.nodeList) {
      if (!this.responsive(n.id)) continue;
      const view = (await this.partitions(topic, n.id))?.[partition];
      if (view) return view;
    }
    return null;
  }

  /** The active controller as the first answering running voter's DescribeQuorum says (-1: none known). */
  async activeController(): Promise<number> {
    for (const n of this.nodeList) {
      if (!this.responsive(n.id)) continue;
      const leader = await this.withConnection(n.id, CONTROLLER_PORT, (c) =>
        c.send<DescribeQuorumResponse>(DescribeQuorumApi, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }),
      )
        .then((res) => (res.errorCode === 0 && res.topics[0]?.partitions[0]?.errorCode === 0 ? res.topics[0].partitions[0].leaderId : -1))
        .catch(() => -1);
      if (leader >= 0) return leader;
    }
    return -1;
  }

  alive(id: number): boolean {
    return this.node(id).process.alive;
  }

  /**
   * Alive, not paused, not starting: worth asking. A paused node's kernel accepts the connection, then
   * nothing answers; a starting node holds connections until it is ready.
   */
  responsive(id: number): boolean {
    return this.alive(id) && !this.pausedIds.has(id) && !this.starting.has(id);
  }

  async kill(id: number): Promise<void> {
    await this.node(id).process.kill('SIGKILL');
    this.pausedIds.delete(id);
  }

  signal(id: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const p = this.node(id).process;
    if (p.pid !== undefined && p.alive) process.kill(p.pid, signal);
    if (signal === 'SIGSTOP') this.pausedIds.add(id);
    else this.pausedIds.delete(id);
  }

  async restart(id: number): Promise<void> {
    const p = this.node(id).process;
    if (p.alive) await p.kill('SIGKILL');
    this.pausedIds.delete(id);
    await p.restart();
  }

  /**
   * Starts node `id` again (SIGKILLing it first if it runs) and returns once the process is spawned,
   * not ready: a restarted broker is ready only once the controller unfences it, which waits out the
   * old incarnation's session (broker.session.timeout.ms) — seconds in which other faults may run.
   * `settled()` waits for it. `onReady` hears how long it took.
   */
  async beginRestart(id: number, onReady?: (ms: number) => void): Promise<void> {
    if (this.starting.has(id)) throw new Error(`node ${id} is already restarting`);
    const p = this.node(id).process;
    if (p.alive) await p.kill('SIGKILL');
    this.pausedIds.delete(id);
    const begun = Date.now();
    // BrokerProcess.restart spawns before its first await, so the process exists when this returns.
    const ready = p.restart().then(() => onReady?.(Date.now() - begun));
    this.starting.set(id, ready);
    // Kept in `starting` until it settles either way; `settled()` rethrows a failed start.
    ready.then(
      () => this.starting.delete(id),
      () => undefined,
    );
  }

  /** Resolves once every restart begun is ready; rejects (and forgets it) if one failed to start. */
  async settled(): Promise<void> {
    for (const [id, ready] of [...this.starting]) {
      try {
        await ready;
      } finally {
        this.starting.delete(id);
      }
    }
  }

  /** Clean stop (controlled shutdown), for the final on-disk comparison. */
  async stop(id: number): Promise<void> {
    await this.node(id).process.stop(30_000);
  }

  logs(chars = 3000): string {
    return this.nodeList.map((n) => `--- node ${n.id} ---\n${n.process.recentLogs(chars)}`).join('\n');
  }

  async destroy(): Promise<void> {
    for (const n of this.nodeList) this.signal(n.id, 'SIGCONT');
    await Promise.all(this.nodeList.map((n) => n.process.cleanup()));
    // Killed by cleanup, a starting node's restart fails at once: nothing is left running behind.
    await Promise.allSettled([...this.starting.values()]);
    await this.net.destroy();
    await removeTempDir(this.root).catch(() => undefined);
  }
}
