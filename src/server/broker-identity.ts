/**
 * The `meta.properties` file of each log dir (Kafka's format): it pins the cluster id and node id
 * the directory belongs to, so a directory is never silently reused by another cluster or node.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUuid } from '../protocol/schema/uuid.js';

interface MetaProperties {
  clusterId: string;
  nodeId: number;
}

async function readMeta(dir: string): Promise<MetaProperties | null> {
  let text: string;
  try {
    text = await readFile(join(dir, 'meta.properties'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^#=\s]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) props.set(m[1]!, m[2]!);
  }
  return { clusterId: props.get('cluster.id') ?? '', nodeId: Number(props.get('node.id') ?? -1) };
}

/** Returns the cluster id recorded in the dirs (creating it on first start); refuses mismatches. */
export async function ensureMetaProperties(logDirs: readonly string[], nodeId: number, configuredClusterId: string | null): Promise<string> {
  let clusterId = configuredClusterId;
  const metas = await Promise.all(
    logDirs.map(async (dir) => {
      await mkdir(dir, { recursive: true });
      return { dir, meta: await readMeta(dir) };
    }),
  );
  for (const { dir, meta } of metas) {
    if (!meta) continue;
    if (meta.nodeId !== nodeId) throw new Error(`log dir ${dir} belongs to node ${meta.nodeId}, but this broker is node.id=${nodeId}`);
    if (clusterId !== null && meta.clusterId !== clusterId) {
      throw new Error(`log dir ${dir} belongs to cluster ${meta.clusterId}, not ${clusterId}`);
    }
    clusterId = meta.clusterId;
  }
  clusterId ??= randomUuid();
  for (const { dir, meta } of metas) {
    if (meta) continue;
    await writeFile(join(dir, 'meta.properties'), `#\n#${new Date().toString()}\nversion=1\ncluster.id=${clusterId}\nnode.id=${nodeId}\n`);
  }
  return clusterId;
}
