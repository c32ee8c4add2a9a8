import { spawnSync } from 'node:child_process';
import { debianPython } from './paths.js';
import type { ConsumedRecord } from './records.js';

/**
 * External tools the end-to-end tests need. A missing tool FAILS the test (it never skips): CI
 * installs all of them through `.ci/run`, so a missing one is a broken environment, not a reason
 * to pass quietly.
 */
export type ToolName = 'kcat' | 'confluent-kafka-python' | 'kafka-python';

const INSTALL =
  'sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends kcat python3-kafka python3-confluent-kafka' +
  ' (or run `bash .ci/run`, which installs them)';

export interface ToolInfo {
  name: ToolName;
  /** Executable to run. */
  command: string;
  version: string;
}

const cache = new Map<ToolName, ToolInfo | Error>();

function probe(name: ToolName): ToolInfo | Error {
  switch (name) {
    case 'kcat': {
      const r = spawnSync('kcat', ['-V'], { encoding: 'utf8', timeout: 10_000 });
      if (r.error || r.status !== 0) {
        return new Error(
          `required tool "kcat" is not usable (${r.error?.message ?? `exit ${r.status}: ${r.stderr}`}).\nInstall it: ${INSTALL}`,
        );
      }
      const version = /kcat - .*?(\d+\.\d+\.\d+)/s.exec(r.stdout)?.[1] ?? r.stdout.split('\n').find((l) => /version/i.test(l)) ?? 'unknown';
      return { name, command: 'kcat', version: version.trim() };
    }
    case 'confluent-kafka-python':
    case 'kafka-python': {
      const module = name === 'kafka-python' ? 'kafka' : 'confluent_kafka';
      const code =
        name === 'kafka-python'
          ? 'import kafka; print(kafka.__version__)'
          : 'import confluent_kafka; print(confluent_kafka.version()[0] + " librdkafka " + confluent_kafka.libversion()[0])';
      const r = spawnSync(debianPython, ['-c', code], { encoding: 'utf8', timeout: 20_000 });
      if (r.error || r.status !== 0) {
        return new Error(
          `required tool "${name}" is not usable: ${debianPython} cannot import ${module} ` +
            `(${r.error?.message ?? `exit ${r.status}: ${r.stderr.trim()}`}).\n` +
            `The tests use the Debian interpreter ${debianPython} (not the first python3 on PATH).\nInstall it: ${INSTALL}`,
        );
      }
      return { name, command: debianPython, version: r.stdout.trim() };
    }
    default: {
      const never: never = name;
      return new Error(`unknown tool ${String(never)}`);
    }
  }
}

/**
 * Returns the tool or throws (failing the calling test) with install instructions.
 * Never skips.
 */
export function requireTool(name: ToolName): ToolInfo {
  let result = cache.get(name);
  if (!result) {
    result = probe(name);
    cache.set(name, result);
  }
  if (result instanceof Error) throw result;
  return result;
}

/** kcat `-f` template for one record per line: partition, offset, timestamp, key, value, headers (tab-separated). */
export const KCAT_RECORD_FORMAT = '%p\\t%o\\t%T\\t%k\\t%s\\t%h\\n';

/** One line printed by kcat with `-f KCAT_RECORD_FORMAT`; throws on a line of another shape. */
export function parseKcatLine(line: string): ConsumedRecord {
  const parts = line.split('\t');
  if (parts.length !== 6) throw new Error(`unexpected kcat output line: ${JSON.stringify(line)}`);
  const [p, o, ts, k, v, h] = parts as [string, string, string, string, string, string];
  const headers: Record<string, string> = {};
  if (h.length > 0) {
    for (const pair of h.split(',')) {
      const eq = pair.indexOf('=');
      headers[eq < 0 ? pair : pair.slice(0, eq)] = eq < 0 ? '' : pair.slice(eq + 1);
    }
  }
  return { partition: Number(p), offset: Number(o), timestamp: Number(ts), key: k, value: v, headers };
}
