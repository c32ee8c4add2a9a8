import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { makeTempDir, removeTempDir, trackChild } from '../helpers/cleanup.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { brokerCli } from '../helpers/paths.js';

/**
 * `tributary dev cluster`: three node processes, a ready line with the bootstrap and each node's
 * pid; kafkajs sees three brokers; SIGINT stops every node and exits 0; run again on the same dir,
 * the same cluster (ports, cluster id) comes back.
 */

interface Started {
  child: ChildProcess;
  bootstrap: string;
  pids: number[];
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDevCluster(dir: string): Promise<Started> {
  const child = spawn(process.execPath, [brokerCli, 'dev', 'cluster', '--nodes', '3', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 40 s\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`)), 40_000);
    void exited.then(({ code }) => reject(new Error(`exited with ${code} before it was ready\n${stderr.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      const pids = stdout.flatMap((l) => /^ {2}node \d+: pid (\d+),/.exec(l)?.[1] ?? []).map(Number);
      const ready = /^Tributary dev cluster ready: bootstrap (\S+)$/.exec(stdout[0] ?? '');
      if (ready && pids.length === 3) {
        clearTimeout(timer);
        resolve({ child, bootstrap: ready[1]!, pids, stdout, stderr, exited });
      }
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function interruptAndCheck(s: Started): Promise<void> {
  const t0 = Date.now();
  s.child.kill('SIGINT');
  const timeout = new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`not exited within 15 s\n${s.stderr.join('\n')}`)), 15_000).unref());
  const { code } = await Promise.race([s.exited, timeout]);
  assert.equal(code, 0, s.stderr.join('\n'));
  assert.ok(Date.now() - t0 < 15_000);
  for (const pid of s.pids) assert.equal(alive(pid), false, `node process ${pid} is gone`);
}

test('tributary dev cluster: 3 node processes, 3 brokers listed, SIGINT stops them all, the same cluster again on the same dir', { timeout: 60_000 }, async (t) => {
  const dir = await makeTempDir('dev-cluster');
  const running: Started[] = [];
  t.after(async () => {
    for (const s of running) {
      s.child.kill('SIGKILL');
      for (const pid of s.pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await removeTempDir(dir);
  });

  const first = await startDevCluster(dir);
  running.push(first);
  assert.equal(first.bootstrap.split(',').length, 3);
  assert.equal(new Set(first.pids).size, 3);
  assert.ok(first.pids.every(alive));
  assert.ok(!first.pids.includes(first.child.pid!));
  assert.equal(first.stdout.length, 4, `only the ready lines on stdout:\n${first.stdout.join('\n')}`);

  const { kafka } = makeKafka(first.bootstrap, 'dev-cluster-test');
  const admin = kafka.admin();
  await admin.connect();
  try {
    let brokers = 0;
    for (const deadline = Date.now() + 15_000; brokers !== 3 && Date.now() < deadline; ) {
      brokers = (await admin.describeCluster()).brokers.length;
      if (brokers !== 3) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(brokers, 3);
  } finally {
    await admin.disconnect();
  }
  const recorded = readFileSync(`${dir}/cluster.json`, 'utf8');
  await interruptAndCheck(first);

  const second = await startDevCluster(dir);
  running.push(second);
  assert.equal(second.bootstrap, first.bootstrap, 'the same ports');
  assert.equal(readFileSync(`${dir}/cluster.json`, 'utf8'), recorded, 'the same cluster.json');
  const clusterId = (JSON.parse(recorded) as { clusterId: string }).clusterId;
  assert.match(readFileSync(`${dir}/node-0/meta.properties`, 'utf8'), new RegExp(`cluster\\.id=${clusterId}`));
  await interruptAndCheck(second);
});
