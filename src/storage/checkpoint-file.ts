/**
 * Kafka's offset checkpoint files (`recovery-point-offset-checkpoint`, `replication-offset-checkpoint`,
 * `log-start-offset-checkpoint`): a version line (0), a count line, then `<topic> <partition> <offset>` lines.
 */
import { readFile } from 'node:fs/promises';
import { atomicWriteFile, isNotFound } from './fs-util.js';

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
/** The high watermarks of a log dir's partitions (Kafka's ReplicaManager writes it; LogManager here). */
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

export function formatOffsetCheckpoint(entries: readonly TopicPartitionOffset[]): string {
  const lines = ['0', String(entries.length)];
  for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`);
  return lines.join('\n') + '\n';
}

/** Parses a checkpoint; throws Error with the reason when the text is malformed. */
export function parseOffsetCheckpoint(text: string): TopicPartitionOffset[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new Error('checkpoint is missing its version or count line');
  if (lines[0]!.trim() !== '0') throw new Error(`unsupported checkpoint version ${lines[0]!.trim()}`);
  const count = Number(lines[1]!.trim());
  if (!Number.isSafeInteger(count) || count < 0 || count !== lines.length - 2) {
    throw new Error(`checkpoint says ${lines[1]!.trim()} entries but has ${lines.length - 2}`);
  }
  return lines.slice(2).map((line) => {
    const parts = line.trim().split(/\s+/);
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) {
      throw new Error(`malformed checkpoint line '${line}'`);
    }
    return { topic: parts[0]!, partition, offset };
  });
}

/** Reads a checkpoint file; a missing file is an empty checkpoint. */
export async function readOffsetCheckpoint(file: string): Promise<TopicPartitionOffset[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  return parseOffsetCheckpoint(text);
}

export function writeOffsetCheckpoint(file: string, entries: readonly TopicPartitionOffset[]): Promise<void> {
  return atomicWriteFile(file, formatOffsetCheckpoint(entries));
}
