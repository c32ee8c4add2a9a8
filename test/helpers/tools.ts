import { spawnSync } from 'node:child_process';
import { debianPython } from './paths.js';

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
