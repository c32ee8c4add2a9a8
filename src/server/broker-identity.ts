/**
 * Which cluster and node a node's directories belong to: the `meta.properties` of every log dir and
 * of the metadata log dir (Kafka's v1 format: version, cluster.id, node.id, directory.id). As in
 * Kafka, a directory is formatted once (`tributary storage format`, Kafka's `kafka-storage.sh
 * format`) and every start checks that all directories agree with each other and with the config,
 * so a directory is never silently reused by another cluster or node.
 *
 * Tributary's implicit single-node quorum (no `process.roles`) formats an empty directory by itself
 * on first start, so `tributary server` needs no extra step; a configured cluster must be formatted.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrokerConfig, QuorumVoter } from '../cluster/config/broker-config.js';
import { randomUuid, uuidToBytes, ZERO_UUID } from '../protocol/schema/uuid.js';
import {
  decodeMetaProperties,
  encodeMetaProperties,
  META_PROPERTIES_FILE,
  type MetaProperties,
  readMetaProperties as readPropertiesFile,
  writeMetaProperties,
} from '../storage/meta-properties.js';

export type { MetaProperties } from '../storage/meta-properties.js';

/**
 * The metadata.version a freshly formatted cluster starts at (Kafka's name and feature level), as
 * `kafka-storage format` reports it. The controller writes it as the bootstrap FeatureLevelRecord.
 */
export const BOOTSTRAP_METADATA_VERSION = { name: '3.9-IV0', featureLevel: 21 } as const;

/** The initial voters of a dynamic quorum written by `format --standalone` (see {@link readBootstrapVoters}). */
export const BOOTSTRAP_VOTERS_FILE = 'tributary-bootstrap-voters.json';

/** Directories that cannot be used as they are: unformatted, unreadable, or disagreeing. The message says what to do. */
export class StorageFormatError extends Error {
  /** The directory at fault, when one is. */
  readonly dir: string | undefined;

  constructor(message: string, dir?: string) {
    super(message);
    this.name = 'StorageFormatError';
    this.dir = dir;
  }
}

/** A new cluster id: a random Kafka Uuid, 22 base64url characters (as `kafka-storage random-uuid`). */
export function randomClusterId(): string {
  return randomUuid();
}

/** One directory of a node: a data (log) dir, the metadata log dir, or both (the default: the first log dir). */
export interface StorageDir {
  path: string;
  /** True for the dir that holds `__cluster_metadata-0`. */
  metadata: boolean;
}

/** Every directory `meta.properties` must be in: the log dirs and the metadata log dir, each once. */
export function storageDirs(config: Pick<BrokerConfig, 'logDirs' | 'metadataLogDir'>): StorageDir[] {
  const metadataDir = path.resolve(config.metadataLogDir);
  const dirs: StorageDir[] = [];
  for (const d of [...config.logDirs, config.metadataLogDir]) {
    const resolved = path.resolve(d);
    if (!dirs.some((x) => x.path === resolved)) dirs.push({ path: resolved, metadata: resolved === metadataDir });
  }
  return dirs;
}

/** The validated `meta.properties` of `dir`, or null when it has none. Throws StorageFormatError when it is unusable. */
export async function readMetaProperties(dir: string): Promise<MetaProperties | null> {
  let props: Map<string, string> | null;
  try {
    props = await readPropertiesFile(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new StorageFormatError(`${dir} is not a directory; point log.dirs / metadata.log.dir at a directory.`, dir);
    }
    throw new StorageFormatError(`cannot read ${path.join(dir, META_PROPERTIES_FILE)}: ${(err as Error).message}`, dir);
  }
  if (props === null) return null;
  const meta = decodeMetaProperties(props);
  if (typeof meta === 'string') {
    throw new StorageFormatError(`${path.join(dir, META_PROPERTIES_FILE)} is unusable: ${meta}. Move the directory aside and format a new one.`, dir);
  }
  return meta;
}

/** Kafka's rule for a cluster id: a Uuid in base64url, not the zero Uuid. */
export function checkClusterId(clusterId: string): void {
  let ok = /^[A-Za-z0-9_-]{22}$/.test(clusterId);
  if (ok) {
    try {
      uuidToBytes(clusterId);
    } catch {
      ok = false;
    }
  }
  if (!ok || clusterId === ZERO_UUID) {
    throw new StorageFormatError(
      `Cluster ID string ${clusterId} does not appear to be a valid UUID: expected 22 base64url characters (16 bytes). Use \`tributary storage random-uuid\` to make one.`,
    );
  }
}

export interface FormatOptions {
  config: BrokerConfig;
  clusterId: string;
  /** Skip directories that are already formatted instead of refusing (`--ignore-formatted`). */
  ignoreFormatted?: boolean;
  /** Bootstrap a dynamic quorum (KIP-853) with this node as its only voter (`--standalone`). */
  standalone?: boolean;
  /** Receives each line kafka-storage would print ("Formatting metadata directory … with metadata.version …"). */
  print?: (line: string) => void;
}

export interface FormatResult {
  clusterId: string;
  /** Directories given a new meta.properties. */
  formatted: string[];
  /** Already formatted directories left as they were (only with ignoreFormatted). */
  skipped: string[];
  /** With `standalone`: the initial voter set written to the metadata log dir. */
  bootstrapVoters: (QuorumVoter & { directoryId: string })[] | null;
}

/** `tributary storage format`: writes meta.properties into every empty directory of the node. */
export async function formatStorage(options: FormatOptions): Promise<FormatResult> {
  const { config, clusterId } = options;
  const print = options.print ?? (() => {});
  checkClusterId(clusterId);
  const standaloneVoter = options.standalone ? checkStandalone(config) : null;
  const dirs = storageDirs(config);
  const found = await Promise.all(dirs.map(async (d) => ({ ...d, meta: await readMetaProperties(d.path) })));
  const formattedAlready = found.filter((d) => d.meta !== null);
  if (!options.ignoreFormatted && formattedAlready.length > 0) {
    const first = formattedAlready[0]!;
    const other = first.meta!.clusterId !== clusterId ? ` (with cluster.id ${first.meta!.clusterId}, not ${clusterId})` : '';
    throw new StorageFormatError(
      `Log directory ${first.path} is already formatted${other}. Use --ignore-formatted to ignore this directory and format the others.`,
      first.path,
    );
  }
  const empty = found.filter((d) => d.meta === null);
  if (empty.length === 0) {
    print('All of the log directories are already formatted.');
    return { clusterId, formatted: [], skipped: formattedAlready.map((d) => d.path), bootstrapVoters: null };
  }
  const directoryIds = new Set(found.flatMap((d) => (d.meta?.directoryId ? [d.meta.directoryId] : [])));
  let bootstrapVoters: FormatResult['bootstrapVoters'] = null;
  for (const d of empty) {
    let directoryId = randomUuid();
    while (directoryIds.has(directoryId)) directoryId = randomUuid();
    directoryIds.add(directoryId);
    try {
      await mkdir(d.path, { recursive: true });
      await writeMetaProperties(d.path, encodeMetaProperties({ version: 1, clusterId, nodeId: config.nodeId, directoryId }));
      if (d.metadata && standaloneVoter !== null) {
        bootstrapVoters = [{ ...standaloneVoter, directoryId }];
        await writeFile(path.join(d.path, BOOTSTRAP_VOTERS_FILE), JSON.stringify({ version: 1, clusterId, voters: bootstrapVoters }, null, 2) + '\n');
      }
    } catch (err) {
      throw new StorageFormatError(`cannot format ${d.path}: ${(err as Error).message}`, d.path);
    }
    print(`Formatting ${d.metadata ? 'metadata' : 'data'} directory ${d.path} with metadata.version ${BOOTSTRAP_METADATA_VERSION.name}.`);
  }
  return { clusterId, formatted: empty.map((d) => d.path), skipped: formattedAlready.map((d) => d.path), bootstrapVoters };
}

/** Kafka's conditions for `--standalone`: a controller, with a dynamic (bootstrap-servers) quorum. */
function checkStandalone(config: BrokerConfig): QuorumVoter {
  if (!config.processRoles.includes('controller') || config.controllerListener === null) {
    throw new StorageFormatError('--standalone formats the first controller of a quorum, but process.roles does not include controller.');
  }
  if (config.explicitProperties.has('controller.quorum.voters')) {
    throw new StorageFormatError(
      'You cannot specify controller.quorum.voters and format the node with --standalone. If you want to use a dynamic quorum, remove controller.quorum.voters and set controller.quorum.bootstrap.servers instead.',
    );
  }
  const l = config.controllerListener;
  if (l.port === 0 || l.host === '') {
    throw new StorageFormatError(`--standalone records this node's controller address, but listener ${l.name} has ${l.port === 0 ? 'port 0' : 'no host'}; give it a fixed host:port in listeners.`);
  }
  return { id: config.nodeId, host: l.host, port: l.port };
}

/** The initial voters written by `format --standalone`, or null when the dir has none. */
export async function readBootstrapVoters(metadataLogDir: string): Promise<FormatResult['bootstrapVoters']> {
  try {
    const doc = JSON.parse(await readFile(path.join(metadataLogDir, BOOTSTRAP_VOTERS_FILE), 'utf8')) as { voters: NonNullable<FormatResult['bootstrapVoters']> };
    return doc.voters;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StorageFormatError(`cannot read ${path.join(metadataLogDir, BOOTSTRAP_VOTERS_FILE)}: ${(err as Error).message}`, metadataLogDir);
  }
}

/** What `tributary storage info` shows for one directory. */
export interface StorageDirInfo extends StorageDir {
  meta: MetaProperties | null;
  /** Why the directory cannot be read, when it cannot. */
  problem: string | null;
}

/** The meta.properties of each directory of the node, problems included instead of thrown. */
export async function describeStorage(config: BrokerConfig): Promise<StorageDirInfo[]> {
  return Promise.all(
    storageDirs(config).map(async (d) => {
      try {
        return { ...d, meta: await readMetaProperties(d.path), problem: null };
      } catch (err) {
        return { ...d, meta: null, problem: (err as Error).message };
      }
    }),
  );
}

/**
 * Checks, at every start, that the node's directories are formatted for this node and one cluster;
 * returns the cluster id. The implicit single-node quorum formats empty directories itself (with a
 * new cluster id, or `cluster.id` when configured), and accepts the meta.properties the single-node
 * release wrote (no directory.id) as it is. With explicit `process.roles`, every directory must have
 * been formatted with `tributary storage format`.
 */
export type StorageIdentityConfig = Pick<BrokerConfig, 'logDirs' | 'metadataLogDir' | 'nodeId' | 'clusterId' | 'implicitSingleNodeQuorum'>;

export async function ensureFormatted(config: StorageIdentityConfig): Promise<string> {
  const dirs = storageDirs(config);
  const found = await Promise.all(dirs.map(async (d) => ({ ...d, meta: await readMetaProperties(d.path) })));
  let clusterId: string | null = null;
  let clusterIdFrom = '';
  const directoryIds = new Map<string, string>();
  for (const d of found) {
    const meta = d.meta;
    if (meta === null) continue;
    if (meta.nodeId !== config.nodeId) {
      throw new StorageFormatError(
        `${d.path} belongs to node ${meta.nodeId} (its meta.properties says node.id=${meta.nodeId}), but this node is node.id=${config.nodeId}. Fix node.id, or point log.dirs / metadata.log.dir at this node's own directories.`,
        d.path,
      );
    }
    if (clusterId !== null && meta.clusterId !== clusterId) {
      throw new StorageFormatError(`${d.path} belongs to cluster ${meta.clusterId}, but ${clusterIdFrom} belongs to cluster ${clusterId}: the directories of one node must belong to one cluster.`, d.path);
    }
    if (meta.directoryId !== null) {
      const other = directoryIds.get(meta.directoryId);
      if (other !== undefined) {
        throw new StorageFormatError(`${d.path} and ${other} have the same directory.id ${meta.directoryId}; one was copied from the other. Give the copy a new directory.id or remove it.`, d.path);
      }
      directoryIds.set(meta.directoryId, d.path);
    }
    clusterId = meta.clusterId;
    clusterIdFrom = d.path;
  }
  if (config.clusterId !== null && clusterId !== null && config.clusterId !== clusterId) {
    throw new StorageFormatError(`${clusterIdFrom} belongs to cluster ${clusterId}, but the config sets cluster.id=${config.clusterId}.`, clusterIdFrom);
  }
  const missing = found.filter((d) => d.meta === null);
  if (missing.length === 0) return clusterId!;
  if (!config.implicitSingleNodeQuorum) {
    const d = missing[0]!;
    throw new StorageFormatError(
      `No meta.properties found in ${d.path} (have you run \`tributary storage format\` to format the directory?). ` +
        `process.roles is set, so each node's directories are formatted once with the cluster's id: ` +
        `tributary storage format --config <file> --cluster-id ${clusterId ?? '$(tributary storage random-uuid)'}`,
      d.path,
    );
  }
  clusterId ??= config.clusterId ?? randomClusterId();
  for (const d of missing) {
    try {
      await mkdir(d.path, { recursive: true });
      await writeMetaProperties(d.path, encodeMetaProperties({ version: 1, clusterId, nodeId: config.nodeId, directoryId: randomUuid() }));
    } catch (err) {
      throw new StorageFormatError(`cannot write ${path.join(d.path, META_PROPERTIES_FILE)}: ${(err as Error).message}`, d.path);
    }
  }
  return clusterId;
}

/**
 * @deprecated The single-node release's entry point, kept while src/server/broker.ts calls it; use
 * {@link ensureFormatted}(config), which also covers metadata.log.dir and explicit KRaft roles.
 */
export async function ensureMetaProperties(logDirs: readonly string[], nodeId: number, configuredClusterId: string | null): Promise<string> {
  return ensureFormatted({ logDirs, metadataLogDir: logDirs[0]!, nodeId, clusterId: configuredClusterId, implicitSingleNodeQuorum: true });
}
