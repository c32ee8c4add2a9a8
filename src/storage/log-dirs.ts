/**
 * What a log dir holds and how it is named: Kafka's topic-name rules, `<topic>-<partition>` directory names,
 * and discovery of the partition directories of one log dir at open (removing leftovers of deletions).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { StorageLogger } from './logger.js';
import type { PartitionLog } from './partition-log.js';

export interface HostedLog {
  topic: string;
  partition: number;
  /** The log dir (one of log.dirs) holding the partition. */
  logDir: string;
  /** The partition's own directory. */
  dir: string;
  topicId: string | undefined;
  log: PartitionLog;
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
const MAX_TOPIC_LENGTH = 249;

/**
 * Kafka's topic name rules (Topic.validate), with its messages. The name becomes a directory name, so
 * this is also the path-safety check; topic creation in `cluster/` uses the same function.
 */
export function validateTopicName(topic: string): void {
  const fail = (why: string): never => {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, why);
  };
  if (topic.length === 0) fail("Topic name is illegal, it can't be empty");
  if (topic === '.' || topic === '..') fail('Topic name cannot be "." or ".."');
  if (topic.length > MAX_TOPIC_LENGTH) fail(`Topic name is illegal, it can't be longer than ${MAX_TOPIC_LENGTH} characters, topic name: ${topic}`);
  if (!LEGAL_TOPIC.test(topic)) fail(`Topic name "${topic}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
}

/** `<topic>-<partition>` → parts; the partition follows the LAST '-'. Null for other names. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const topic = name.slice(0, dash);
  const digits = name.slice(dash + 1);
  if (!/^\d{1,10}$/.test(digits)) return null;
  const partition = Number(digits);
  if (partition > 0x7fffffff || String(partition) !== digits) return null;
  if (topic.length > MAX_TOPIC_LENGTH || topic === '.' || topic === '..' || !LEGAL_TOPIC.test(topic)) return null;
  return { topic, partition };
}

/** The key of a partition in LogManager's maps and in checkpoints: also its directory name. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export interface PartitionDir {
  topic: string;
  partition: number;
  dir: string;
}

/**
 * Creates `logDir` when missing, removes leftovers of deletions (`*-delete`) and lists its partition
 * directories; `ignoredDirNames` and names that are not `<topic>-<partition>` are skipped.
 */
export async function discoverPartitionDirs(
  logDir: string,
  ignoredDirNames: readonly string[],
  logger: StorageLogger,
): Promise<PartitionDir[]> {
  await mkdir(logDir, { recursive: true });
  const found: PartitionDir[] = [];
  for (const entry of await readdir(logDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(logDir, entry.name);
    if (entry.name.endsWith('-delete')) {
      logger.info({ dir }, 'removing partially deleted log');
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    if (ignoredDirNames.includes(entry.name)) continue;
    const tp = parsePartitionDirName(entry.name);
    if (tp === null) {
      logger.debug({ dir }, 'ignoring directory that is not a partition log');
      continue;
    }
    found.push({ ...tp, dir });
  }
  return found;
}

/**
 * Runs `jobs` with at most `limit` in flight; rejects with the first failure after all started ones settle.
 * A failure stops starting new jobs, unless `all` (every job runs whatever happens, e.g. closing logs).
 */
export async function runLimited(jobs: Array<() => Promise<void>>, limit: number, opts: { all?: boolean } = {}): Promise<void> {
  let next = 0;
  let firstError: unknown = null;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && (firstError === null || opts.all === true)) {
      const job = jobs[next++]!;
      try {
        await job();
      } catch (err) {
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  if (firstError !== null) throw firstError;
}
