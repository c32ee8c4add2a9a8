/**
 * `meta.properties` of a log dir, in Kafka's Java-properties form (`version=1`, `cluster.id=...`,
 * `node.id=...`, optionally `directory.id=...`). The storage layer only reads and writes the file; which
 * values belong there and what a mismatch means is the broker's decision.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, isNotFound } from './fs-util.js';

export const META_PROPERTIES_FILE = 'meta.properties';

export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m !== null) props.set(m[1]!, m[2]!);
  }
  return props;
}

export function formatProperties(props: ReadonlyMap<string, string> | Record<string, string>, comment?: string): string {
  const entries = props instanceof Map ? [...props.entries()] : Object.entries(props);
  const lines = comment === undefined ? [] : [`#${comment}`];
  for (const [k, v] of entries) lines.push(`${k}=${v}`);
  return lines.join('\n') + '\n';
}

/** The properties in `<logDir>/meta.properties`, or null when the file does not exist. */
export async function readMetaProperties(logDir: string): Promise<Map<string, string> | null> {
  try {
    return parseProperties(await readFile(path.join(logDir, META_PROPERTIES_FILE), 'utf8'));
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** Writes `<logDir>/meta.properties` atomically. */
export function writeMetaProperties(logDir: string, props: ReadonlyMap<string, string> | Record<string, string>): Promise<void> {
  return atomicWriteFile(path.join(logDir, META_PROPERTIES_FILE), formatProperties(props, 'Written by Tributary'));
}

/**
 * The contents of a v1 `meta.properties` (Kafka's KRaft format). `directoryId` (Kafka 3.7+, KIP-858)
 * is absent from files written before it existed, including Tributary's single-node release.
 */
export interface MetaProperties {
  version: 1;
  clusterId: string;
  nodeId: number;
  directoryId: string | null;
}

/**
 * Reads the typed fields of a parsed `meta.properties`, or returns why they are unusable (one
 * sentence, without the path: the caller knows which file it read).
 */
export function decodeMetaProperties(props: ReadonlyMap<string, string>): MetaProperties | string {
  const version = props.get('version');
  if (version === undefined) return 'it has no version';
  if (version === '0') {
    return 'it is version 0, written by a ZooKeeper-mode Kafka broker (broker.id); Tributary reads only KRaft (version=1) directories';
  }
  if (version !== '1') return `its version is ${version}; only version 1 is known`;
  const clusterId = props.get('cluster.id') ?? '';
  if (clusterId === '') return 'it has no cluster.id';
  const rawNodeId = props.get('node.id');
  if (rawNodeId === undefined || !/^\d+$/.test(rawNodeId)) return `its node.id is ${rawNodeId === undefined ? 'missing' : `'${rawNodeId}'`}, not a non-negative integer`;
  const directoryId = props.get('directory.id') ?? null;
  if (directoryId !== null && !/^[A-Za-z0-9_-]{22}$/.test(directoryId)) return `its directory.id '${directoryId}' is not a 22-character base64url id`;
  return { version: 1, clusterId, nodeId: Number(rawNodeId), directoryId };
}

/** The properties to write for `meta`, in Kafka's names (directory.id omitted when null). */
export function encodeMetaProperties(meta: MetaProperties): Record<string, string> {
  const props: Record<string, string> = { version: '1', 'cluster.id': meta.clusterId, 'node.id': String(meta.nodeId) };
  if (meta.directoryId !== null) props['directory.id'] = meta.directoryId;
  return props;
}
