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
