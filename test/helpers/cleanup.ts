import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Last-resort cleanup for everything the test helpers start: child processes are SIGKILLed and
 * temp directories removed when the test process exits, even if a test forgot (or failed before)
 * its own cleanup. Normal cleanup is still done per test through `t.after` / try-finally.
 */

const liveChildren = new Set<ChildProcess>();
const liveTempDirs = new Set<string>();
let installed = false;

function killAllNow(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  liveChildren.clear();
  for (const dir of liveTempDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  liveTempDirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Track a child so that it is killed when the test process exits. */
export function trackChild(child: ChildProcess): void {
  install();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** Create a fresh temp directory that is removed at exit unless removed earlier with `removeTempDir`. */
export async function makeTempDir(prefix: string): Promise<string> {
  install();
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `tributary-${prefix}-`));
  liveTempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  liveTempDirs.delete(dir);
  await fs.promises.rm(dir, { recursive: true, force: true });
}
