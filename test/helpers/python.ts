import path from 'node:path';
import { clientsDir, debianPython } from './paths.js';
import { formatRunFailure, runProcess, startProcess, type RunningProcess, type RunResult } from './proc.js';
import type { ConsumedRecord } from './records.js';

/** The python client scripts in test/e2e/clients/ (run with the Debian /usr/bin/python3). */
export type PythonScript = 'confluent_client.py' | 'kafka_python_client.py' | 'acked_producer.py' | 'txn_producer.py' | 'ctp_transformer.py';

const pythonEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' });

export function runPython(script: PythonScript, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return runProcess(debianPython, [path.join(clientsDir, script), ...args], { timeoutMs, env: pythonEnv(), cwd: clientsDir });
}

export function startPython(script: PythonScript, args: readonly string[], timeoutMs: number, onStdoutLine?: (line: string) => void): RunningProcess {
  return startProcess(debianPython, [path.join(clientsDir, script), ...args], { timeoutMs, env: pythonEnv(), cwd: clientsDir, onStdoutLine });
}

/** Run and throw (with stderr) unless exit 0. */
export async function runPythonChecked(script: PythonScript, args: readonly string[], timeoutMs: number, what: string): Promise<RunResult> {
  const result = await runPython(script, args, timeoutMs);
  if (result.code !== 0 || result.timedOut) throw new Error(formatRunFailure(result, what));
  return result;
}

export function parseJsonLines<T = Record<string, unknown>>(stdout: string): T[] {
  const out: T[] = [];
  for (const line of stdout.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.length === 0) continue;
    out.push(JSON.parse(trimmed) as T);
  }
  return out;
}

export interface PyRecordLine {
  p: number;
  o: number;
  k: string | null;
  v: string | null;
  h?: Record<string, string>;
  ts: number;
  tt?: number | null;
  error?: string;
  code?: number;
}

/** Split script output into consumed records and reported client errors. */
export function parseConsumed(stdout: string): { records: ConsumedRecord[]; errors: string[] } {
  const records: ConsumedRecord[] = [];
  const errors: string[] = [];
  for (const line of parseJsonLines<PyRecordLine>(stdout)) {
    if (line.error !== undefined) {
      errors.push(`${line.error}${line.p !== undefined ? ` (partition ${line.p})` : ''}`);
      continue;
    }
    records.push({
      partition: line.p,
      offset: line.o,
      key: line.k,
      value: line.v,
      headers: line.h ?? {},
      timestamp: line.ts,
      timestampType: line.tt ?? null,
    });
  }
  return { records, errors };
}
