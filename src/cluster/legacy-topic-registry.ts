/**
 * The topic registry of single-node releases before the cluster (`<metadata.log.dir>/tributary-topics.json`:
 * name, topic id, partition count and config overrides of every topic). It is read once, when such a
 * data dir first starts under a release with a metadata log: the controller writes its topics into the
 * log (same ids, every partition on this node), and the file is then renamed
 * `tributary-topics.json.migrated` so it is never imported twice.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_RECORD_TYPE, PARTITION_RECORD_TYPE, TOPIC_RECORD_TYPE } from './metadata/records/index.js';
import { encodeRecord } from './metadata/record-serde.js';
import { ConfigResourceType, MetadataImage } from './metadata/metadata-image.js';
import { newPartitionRecord } from './controller/topic-control.js';

export interface LegacyTopic {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

export const LEGACY_REGISTRY_FILE = 'tributary-topics.json';

/** The topics of a legacy registry in `dir`, or null when there is none. */
export async function readLegacyTopics(dir: string): Promise<LegacyTopic[] | null> {
  let text: string;
  try {
    text = await readFile(join(dir, LEGACY_REGISTRY_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const doc = JSON.parse(text) as { topics?: LegacyTopic[] };
  if (!Array.isArray(doc.topics)) throw new Error(`${join(dir, LEGACY_REGISTRY_FILE)} is not a topic registry (no "topics" array)`);
  return doc.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions, configs: { ...t.configs } }));
}

/** Marks the legacy registry as imported (the metadata log has its topics now). */
export async function retireLegacyTopics(dir: string): Promise<void> {
  await rename(join(dir, LEGACY_REGISTRY_FILE), join(dir, `${LEGACY_REGISTRY_FILE}.migrated`));
}

/**
 * The metadata records that bring legacy topics into a new metadata log, written with the first
 * batch the controller writes (after metadata.version): each topic keeps its id; every partition's one
 * replica is this node (no broker is registered yet, so the partitions start leaderless and this node
 * becomes their leader when it is unfenced, as after any restart).
 */
export function legacyBootstrapRecords(topics: readonly LegacyTopic[], nodeId: number): Buffer[] {
  const records: Buffer[] = [];
  for (const t of topics) {
    records.push(encodeRecord(TOPIC_RECORD_TYPE, { name: t.name, topicId: t.topicId }));
    for (let p = 0; p < t.partitions; p++) records.push(encodeRecord(PARTITION_RECORD_TYPE, newPartitionRecord(MetadataImage.EMPTY, t.topicId, p, [nodeId])));
    for (const [name, value] of Object.entries(t.configs)) {
      records.push(encodeRecord(CONFIG_RECORD_TYPE, { resourceType: ConfigResourceType.TOPIC, resourceName: t.name, name, value }));
    }
  }
  return records;
}
