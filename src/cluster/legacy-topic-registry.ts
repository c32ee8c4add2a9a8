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

/** ConfigResource.Type TOPIC. */
const TOPIC_CONFIG_RESOURCE = 2;

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
 * replica, ISR and leader is this node, in leader epoch 0 (the epoch its batches were written in).
 */
export function legacyBootstrapRecords(topics: readonly LegacyTopic[], nodeId: number): Buffer[] {
  const records: Buffer[] = [];
  for (const t of topics) {
    records.push(encodeRecord(TOPIC_RECORD_TYPE, { name: t.name, topicId: t.topicId }));
    for (let p = 0; p < t.partitions; p++) {
      records.push(
        encodeRecord(PARTITION_RECORD_TYPE, {
          partitionId: p,
          topicId: t.topicId,
          replicas: [nodeId],
          isr: [nodeId],
          removingReplicas: [],
          addingReplicas: [],
          leader: nodeId,
          leaderRecoveryState: 0,
          leaderEpoch: 0,
          partitionEpoch: 0,
          directories: [],
          eligibleLeaderReplicas: null,
          lastKnownElr: null,
        }),
      );
    }
    for (const [name, value] of Object.entries(t.configs)) {
      records.push(encodeRecord(CONFIG_RECORD_TYPE, { resourceType: TOPIC_CONFIG_RESOURCE, resourceName: t.name, name, value }));
    }
  }
  return records;
}
