/**
 * `startCluster()`: an N-node KRaft cluster inside the calling process, for tests of clients and of
 * the cluster itself. Every node is a combined broker+controller (ids 0..N-1) with its own data dir
 * and ports, started by the same `startBrokerFromConfig` as `tributary server`.
 *
 * Inter-node traffic — Raft between the controllers and each broker's requests to the active
 * controller — goes to the endpoints in `controller.quorum.voters`. Each node gets its own voters
 * string in which every other node's endpoint is a LinkProxy for that ordered pair (i→j), so cutting
 * the proxies to and from a node partitions it from the others while clients still reach it directly.
 */
import { readdir, rm, unlink, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseBrokerConfig } from '../cluster/config/broker-config.js';
import { LinkProxy } from '../network/link-proxy.js';
import { CLEAN_SHUTDOWN_FILE } from '../storage/fs-util.js';
import { formatStorage, randomClusterId, readMetaProperties } from './broker-identity.js';
import { startBrokerFromConfig, type BrokerHandle } from './broker.js';

const HOST = '127.0.0.1';

export interface StartClusterOptions {
  /** How many nodes. Default 3. */
  nodes?: number;
  /** Parent of the nodes' data dirs (`node-<id>`). Default: a temporary directory, removed by `close()`. */
  dataDir?: string;
  /** Broker properties for every node, by their Kafka names. */
  config?: Record<string, string | number | boolean>;
  /** A pino logger; each node logs through a child with its `nodeId`. */
  logger: Logger;
}

export interface LocalClusterNode {
  readonly nodeId: number;
  readonly host: string;
  /** The client (PLAINTEXT) listener's port; the same across restarts. */
  readonly port: number;
  readonly running: boolean;
}

export interface LocalCluster {
  /** Every node's client listener, `host:port,host:port,…`. */
  readonly bootstrap: string;
  readonly clusterId: string;
  /** Parent of the nodes' data dirs (`node-<id>`). */
  readonly dataDir: string;
  readonly nodes: ReadonlyMap<number, LocalClusterNode>;
  /** Stops a node cleanly (controlled shutdown: the controller moves its leaders first). */
  stop(nodeId: number): Promise<void>;
  /** Stops a node as a crash would: no controlled shutdown, no resignation reaching the quorum, no clean-shutdown markers. */
  kill(nodeId: number): Promise<void>;
  /** Starts a node again on its data dir and ports (stopping it cleanly first if it runs); resolves once it is unfenced. */
  restart(nodeId: number): Promise<void>;
  /** Black-holes every link to and from the node's controller endpoints (clients still reach it). */
  isolate(nodeId: number): void;
  /** Restores every link. */
  heal(): void;
  /** Stops every node (no controlled shutdowns: the whole cluster goes) and the proxies; removes a temporary data dir. */
  close(): Promise<void>;
}

interface NodeState {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly props: Record<string, string>;
  handle: BrokerHandle | null;
  /** A start or stop in progress: operations on one node run one at a time. */
  busy: Promise<void>;
}

/** A TCP port on loopback that was free a moment ago (bound to port 0, read back, released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Removes the clean-shutdown marker of every log in `dir`, so the next open recovers the logs as after a crash. */
async function forgetCleanShutdown(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory()) continue;
    await unlink(join(dir, entry.name, CLEAN_SHUTDOWN_FILE)).catch(() => undefined);
  }
}

export async function startLocalCluster(options: StartClusterOptions): Promise<LocalCluster> {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`nodes must be a positive integer, got ${count}`);
  const tempDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'tributary-cluster-')) : null;
  const root = options.dataDir ?? tempDir!;
  const proxies = new Map<string, LinkProxy>();
  const nodes: NodeState[] = [];
  const isolated = new Set<number>();
  const logger = options.logger;

  const releaseAll = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.handle?.kill().catch((err: unknown) => logger.warn({ err, nodeId: n.nodeId }, 'stopping a node'))));
    for (const n of nodes) n.handle = null;
    await Promise.all([...proxies.values()].map((p) => p.close()));
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };

  try {
    const ports: Array<{ client: number; controller: number }> = [];
    for (let i = 0; i < count; i++) ports.push({ client: await freePort(), controller: await freePort() });
    for (let from = 0; from < count; from++) {
      for (let to = 0; to < count; to++) {
        if (from === to) continue;
        const target = { host: HOST, port: ports[to]!.controller };
        proxies.set(`${from}>${to}`, await LinkProxy.start(HOST, () => target));
      }
    }
    // One cluster id: the one the dirs already have (a reused dataDir), else a new one.
    let clusterId: string | null = null;
    for (let i = 0; i < count; i++) clusterId ??= (await readMetaProperties(join(root, `node-${i}`)).catch(() => null))?.clusterId ?? null;
    clusterId ??= randomClusterId();

    for (let id = 0; id < count; id++) {
      const voters = ports.map((p, j) => `${j}@${HOST}:${j === id ? p.controller : proxies.get(`${id}>${j}`)!.port}`).join(',');
      const dataDir = join(root, `node-${id}`);
      const props: Record<string, string> = {
        'offsets.topic.replication.factor': '1',
      };
      for (const [k, v] of Object.entries(options.config ?? {})) props[k] = String(v);
      // What makes the node a member of this cluster wins over the caller's config.
      Object.assign(props, {
        'process.roles': 'broker,controller',
        'node.id': String(id),
        'controller.quorum.voters': voters,
        listeners: `PLAINTEXT://${HOST}:${ports[id]!.client},CONTROLLER://${HOST}:${ports[id]!.controller}`,
        'advertised.listeners': `PLAINTEXT://${HOST}:${ports[id]!.client}`,
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'log.dirs': dataDir,
      });
      delete props['metadata.log.dir'];
      await formatStorage({ config: parseBrokerConfig(props), clusterId, ignoreFormatted: true });
      nodes.push({ nodeId: id, port: ports[id]!.client, controllerPort: ports[id]!.controller, dataDir, props, handle: null, busy: Promise.resolve() });
    }

    const start = async (n: NodeState): Promise<void> => {
      n.handle = await startBrokerFromConfig(parseBrokerConfig(n.props), { logger: logger.child({ nodeId: n.nodeId }) });
    };
    /** Runs `op` after whatever is in progress on the node. */
    const serial = (n: NodeState, op: () => Promise<void>): Promise<void> => {
      const next = n.busy.then(op);
      n.busy = next.catch(() => undefined);
      return next;
    };
    const node = (id: number): NodeState => {
      const n = nodes[id];
      if (n === undefined) throw new RangeError(`no node ${id} (the cluster has nodes 0..${count - 1})`);
      return n;
    };
    const linkCut = (from: number, to: number): boolean => isolated.has(from) || isolated.has(to);
    const applyLinks = (): void => {
      for (const [key, proxy] of proxies) {
        const [from, to] = key.split('>').map(Number) as [number, number];
        const cut = linkCut(from, to);
        if (cut && !proxy.isCut) proxy.cut();
        else if (!cut && proxy.isCut) proxy.restore();
      }
    };
    const setLinksOf = (id: number, cut: boolean): void => {
      for (const [key, proxy] of proxies) {
        const [from, to] = key.split('>').map(Number) as [number, number];
        if (from !== id && to !== id) continue;
        if (cut && !proxy.isCut) proxy.cut();
      }
      if (!cut) applyLinks();
    };

    // All nodes start together: none is ready before a majority of the quorum runs.
    const started = await Promise.allSettled(nodes.map((n) => start(n)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    const view = new Map<number, LocalClusterNode>(
      nodes.map((n) => [
        n.nodeId,
        {
          nodeId: n.nodeId,
          host: HOST,
          port: n.port,
          get running() {
            return n.handle !== null;
          },
        },
      ]),
    );
    let closing: Promise<void> | null = null;
    const id = clusterId;
    return {
      bootstrap: nodes.map((n) => `${HOST}:${n.port}`).join(','),
      clusterId: id,
      dataDir: root,
      nodes: view,
      stop: (nodeId) => {
        const n = node(nodeId);
        return serial(n, async () => {
          const h = n.handle;
          n.handle = null;
          await h?.close();
        });
      },
      kill: (nodeId) => {
        const n = node(nodeId);
        return serial(n, async () => {
          const h = n.handle;
          if (h === null) return;
          n.handle = null;
          // Its links are cut while it stops: what a clean close still says to the quorum (a leader's
          // EndQuorumEpoch) never arrives, as after a crash.
          setLinksOf(nodeId, true);
          try {
            await h.kill();
          } finally {
            setLinksOf(nodeId, false);
          }
          await forgetCleanShutdown(n.dataDir);
        });
      },
      restart: (nodeId) => {
        const n = node(nodeId);
        return serial(n, async () => {
          const h = n.handle;
          n.handle = null;
          await h?.close();
          await start(n);
        });
      },
      isolate: (nodeId) => {
        node(nodeId);
        isolated.add(nodeId);
        applyLinks();
      },
      heal: () => {
        isolated.clear();
        applyLinks();
      },
      close: () => {
        closing ??= Promise.all(nodes.map((n) => n.busy)).then(releaseAll);
        return closing;
      },
    };
  } catch (err) {
    await releaseAll();
    throw err;
  }
}
