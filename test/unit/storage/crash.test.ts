import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { splitBatches, withTempDir } from './helpers.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.js');

interface Ack {
  baseOffset: number;
  lastOffset: number;
  crc: number;
}

/** Runs the child until it has acknowledged `acks` appends, then SIGKILLs it. */
function runAndKill(dir: string, round: number, acks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, `r${round}`], {
      env: { ...process.env, TRIBUTARY_CRASH_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const got: Ack[] = [];
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, a, b, c] = line.split(' ');
        if (kind === 'ack') got.push({ baseOffset: Number(a), lastOffset: Number(b), crc: Number(c) });
      }
      if (got.length >= acks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolve(got);
    });
  });
}

test('acknowledged appends survive SIGKILL of the writing process, round after round', () =>
  withTempDir(async (dir) => {
    const acked: Ack[] = [];
    for (let round = 0; round < 4; round++) {
      const acks = await runAndKill(dir, round, 300 + round * 250);
      assert.ok(acks.length >= 300);
      acked.push(...acks);
      const log = await PartitionLog.open(dir, { segmentBytes: 64 * 1024, indexIntervalBytes: 512 });
      const maxAcked = Math.max(...acked.map((a) => a.lastOffset));
      assert.ok(log.logEndOffset > maxAcked, `round ${round}: log end ${log.logEndOffset} ≤ acked ${maxAcked}`);
      const stored = new Map(splitBatches((await log.read(0, 1 << 30)).records).map((b) => [b.baseOffset, b]));
      for (const a of acked) {
        const b = stored.get(a.baseOffset);
        assert.ok(b !== undefined, `round ${round}: acked batch at ${a.baseOffset} is missing`);
        assert.equal(b.lastOffset, a.lastOffset);
        assert.equal(b.bytes.readUInt32BE(17), a.crc, `round ${round}: batch at ${a.baseOffset} differs`);
      }
      await log.close();
      // Leave the next round an unclean log again half the time.
      if (round % 2 === 0) await unlink(path.join(dir, '.kafka_cleanshutdown'));
    }
  }));
