/**
 * Tributary's public API. `startBroker` runs a complete broker inside the calling process —
 * the same broker `tributary server` runs — for tests and embedded use; `startCluster` runs several
 * nodes of one KRaft cluster in this process, with the faults a test needs (kill, isolate).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { parseBrokerConfig } from './cluster/config/broker-config.js';
import type { BrokerHandle } from './server/broker.js';
import type { LocalCluster } from './server/local-cluster.js';
import type { AlterConfigPolicy, CreateTopicPolicy } from './cluster/policies.js';

export { ConfigError } from './cluster/config/broker-config.js';
export { ErrorCode, KafkaError } from './protocol/errors.js';
export type { BrokerHandle } from './server/broker.js';
export type { LocalCluster, LocalClusterNode } from './server/local-cluster.js';
export type { AlterConfigPolicy, AlterConfigRequestMetadata, CreateTopicPolicy, CreateTopicRequestMetadata } from './cluster/policies.js';

export interface StartBrokerOptions {
  /** Where the logs live. Default: a fresh temporary directory, removed by `close()`. */
  dataDir?: string;
  /** Listener host. Default 127.0.0.1. */
  host?: string;
  /** Listener port. Default 0: a free port, reported in the handle. */
  port?: number;
  /** Any broker property by its Kafka name, e.g. `{ 'num.partitions': 3 }`. */
  config?: Record<string, string | number | boolean>;
  /** A pino logger. Default: warnings and errors to stderr. */
  logger?: Logger;
  /** Refuses topic creations (CreateTopics and auto-creation) by throwing from validate(); see docs/compatibility.md. */
  createTopicPolicy?: CreateTopicPolicy;
  /** Refuses topic config changes (AlterConfigs, IncrementalAlterConfigs) by throwing from validate(). */
  alterConfigPolicy?: AlterConfigPolicy;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const tempDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'tributary-')) : null;
  const props: Record<string, string> = {
    listeners: `PLAINTEXT://${options.host ?? '127.0.0.1'}:${options.port ?? 0}`,
    'log.dirs': options.dataDir ?? tempDir!,
  };
  for (const [k, v] of Object.entries(options.config ?? {})) props[k] = String(v);
  const logger = options.logger ?? pino({ level: process.env['TRIBUTARY_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
  try {
    // The broker (storage, groups, handlers: ~150 modules) is imported on the first start, so an
    // application that only uses the client does not load it.
    const { startBrokerFromConfig } = await import('./server/broker.js');
    const broker = await startBrokerFromConfig(parseBrokerConfig(props), {
      logger,
      ...(options.createTopicPolicy && { createTopicPolicy: options.createTopicPolicy }),
      ...(options.alterConfigPolicy && { alterConfigPolicy: options.alterConfigPolicy }),
    });
    if (!tempDir) return broker;
    return {
      ...broker,
      bootstrap: broker.bootstrap,
      close: async () => {
        await broker.close();
        await rm(tempDir, { recursive: true, force: true });
      },
      kill: async () => {
        await broker.kill();
        await rm(tempDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
}

export interface StartClusterOptions {
  /** How many nodes (ids 0..N-1), each a combined broker+controller. Default 3. */
  nodes?: number;
  /** Parent of the nodes' data dirs (`node-<id>`); an existing one is reused. Default: a temporary directory, removed by `close()`. */
  dataDir?: string;
  /** Any broker property for every node, e.g. `{ 'broker.session.timeout.ms': 3000 }`. The KRaft and listener properties are set by the cluster. */
  config?: Record<string, string | number | boolean>;
  /** A pino logger (each node logs through a child with its nodeId). Default: warnings and errors to stderr. */
  logger?: Logger;
}

/**
 * Starts an N-node KRaft cluster inside this process, every node on loopback ports chosen at run time,
 * and resolves once every node is unfenced. The handle stops, kills, restarts and isolates nodes.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<LocalCluster> {
  const logger = options.logger ?? pino({ level: process.env['TRIBUTARY_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
  const { startLocalCluster } = await import('./server/local-cluster.js');
  return startLocalCluster({
    logger,
    ...(options.nodes !== undefined && { nodes: options.nodes }),
    ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
    ...(options.config !== undefined && { config: options.config }),
  });
}

// The client: producer, admin, serializers, partitioners (docs/client.md).
export * from './client/index.js';
