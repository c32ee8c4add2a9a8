/**
 * `partition.metadata` (Kafka's PartitionMetadataFile): the topic id of the partition directory, so a
 * directory left over from a deleted topic of the same name is told apart. Text format:
 *   version: 0
 *   topic_id: <topic id as base64url, no padding, 22 characters>
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, isNotFound } from './fs-util.js';
import { withTransientFile } from './open-files.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';

const TOPIC_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function isValidTopicId(topicId: string): boolean {
  return TOPIC_ID_PATTERN.test(topicId);
}

export function formatPartitionMetadata(topicId: string): string {
  if (!isValidTopicId(topicId)) throw new Error(`invalid topic id '${topicId}' (expected 22 base64url characters)`);
  return `version: 0\ntopic_id: ${topicId}`;
}

/** Parses the file's text; throws Error when malformed. */
export function parsePartitionMetadata(text: string): string {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([^:]+):\s+(.*)$/.exec(line.trim());
    if (m === null) throw new Error(`malformed partition.metadata line '${line}'`);
    fields.set(m[1]!.trim(), m[2]!.trim());
  }
  if (fields.get('version') !== '0') throw new Error(`unsupported partition.metadata version ${fields.get('version') ?? '(none)'}`);
  const topicId = fields.get('topic_id');
  if (topicId === undefined || !isValidTopicId(topicId)) throw new Error(`invalid topic_id '${topicId ?? ''}'`);
  return topicId;
}

/** The topic id stored in `partitionDir`, or null when there is no partition.metadata. */
export async function readPartitionMetadata(partitionDir: string): Promise<string | null> {
  let text: string;
  try {
    text = await withTransientFile(() => readFile(path.join(partitionDir, PARTITION_METADATA_FILE), 'utf8'));
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  return parsePartitionMetadata(text);
}

export function writePartitionMetadata(partitionDir: string, topicId: string): Promise<void> {
  return atomicWriteFile(path.join(partitionDir, PARTITION_METADATA_FILE), formatPartitionMetadata(topicId));
}
