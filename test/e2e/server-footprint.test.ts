import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { makeTempDir, removeTempDir, trackChild } from '../helpers/cleanup.js';
import { brokerCli } from '../helpers/paths.js';

/**
 * What `tributary server` loads: the startup work (docs/performance.md, "Startup and idle memory")
 * keeps client, admin and perf code and the snappy/lz4/zstd addons out of the server process until
 * they are needed. This test starts the server with a module hook that logs every ES module it
 * loads, and reads the native addons it maps from /proc/PID/maps.
 */
test('tributary server loads no client code and no codec addon until a compressed batch arrives', { timeout: 60_000 }, async (t) => {
  const dir = await makeTempDir('tributary-footprint-');
  t.after(() => removeTempDir(dir));
  const logFile = path.join(dir, 'modules.txt');
  writeFileSync(logFile, '');
  const hooks = path.join(dir, 'hooks.mjs');
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { if (url.startsWith('file:')) appendFileSync(${JSON.stringify(logFile)}, url + '\\n'); return next(url, context); }\n`);
  const register = path.join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nimport { pathToFileURL } from 'node:url';\nregister(pathToFileURL(${JSON.stringify(hooks)}));\n`);
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--import', register, brokerCli, 'server', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${path.join(dir, 'data')}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' },
  });
  trackChild(child);
  t.after(() => void child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/ready on \S+:\d+/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before ready: ${out}`)));
  });
  const modules = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.length > 0);
  // The compiled src/ the broker runs from (dist/src in the README's build, wherever else tsc wrote it).
  const srcRoot = pathToFileURL(path.resolve(path.dirname(brokerCli), '..')).href + '/';
  assert.ok(modules.some((m) => m.startsWith(srcRoot + 'server/')), `the hook saw the server load from ${srcRoot}`);
  const clientModules = modules.filter((m) => m.startsWith(srcRoot + 'client/'));
  assert.deepEqual(clientModules, [], 'no client module in the server process');
  const maps = readFileSync(`/proc/${child.pid}/maps`, 'utf8');
  const addons = [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5] ?? '').filter((f) => f.endsWith('.node')))];
  assert.ok(addons.some((a) => /crc32/.test(a)), `the CRC addon is mapped: ${addons.join(', ')}`);
  assert.deepEqual(addons.filter((a) => /snappy|lz4|zstd/.test(a)), [], 'codec addons load on first use');
  t.diagnostic(`${modules.length} ES modules, addons: ${addons.map((a) => path.basename(a)).join(', ')}`);
});
