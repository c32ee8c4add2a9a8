/**
 * Child process of crash.test.ts: appends to the log in argv[2] as fast as it can and prints one line per
 * acknowledged append ("ack <baseOffset> <lastOffset> <crc>"), until it is SIGKILLed. Does nothing unless
 * TRIBUTARY_CRASH_CHILD=1, so a test runner that picks this file up runs nothing.
 */
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { valuesBatch } from './helpers.js';

async function main(dir: string, round: string): Promise<void> {
  const log = await PartitionLog.open(dir, { segmentBytes: 64 * 1024, indexIntervalBytes: 512 });
  process.stdout.write(`open ${log.logEndOffset}\n`);
  let i = 0;
  const inflight = new Set<Promise<void>>();
  for (;;) {
    const b = valuesBatch((i % 4) + 1, `${round}-${i}`, 1000 + i, 40);
    i++;
    const p = log.append(b).then((r) => {
      process.stdout.write(`ack ${r.baseOffset} ${r.lastOffset} ${b.readUInt32BE(17)}\n`);
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= 16) await Promise.race(inflight);
  }
}

if (process.env['TRIBUTARY_CRASH_CHILD'] === '1') {
  main(process.argv[2]!, process.argv[3] ?? 'r').catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
