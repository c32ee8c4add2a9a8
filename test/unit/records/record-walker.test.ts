/**
 * The record walker: its fast path (short varints, no headers) and its field-by-field path must judge every
 * input alike — same verdict, same error — and whatever they accept, the consumer-side decoder must decode
 * to the same records. Randomized over generated sections and their mutations, replayable from the seed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KafkaError } from '../../../src/protocol/errors.js';
import { startWalk, walkRecords } from '../../../src/protocol/records/record-walker.js';
import { decodeRecordBatchesSync } from '../../../src/protocol/records/index.js';
import { rawBatch, rawRecord } from '../../helpers/hostile-batches.js';
import { Rng } from '../../helpers/fuzz.js';

const BASE_TS = 1_700_000_000_000;

function randomSection(rng: Rng): { section: Buffer; count: number } {
  const count = rng.int(40);
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const valueBytes = rng.pick([0, 1, 5, 63, 64, 100, 8191, 8192, 20_000]);
    const headers: Array<[string, Buffer | null]> = rng.int(4) === 0 ? [['h', Buffer.from('x')], ['n', null]] : [];
    parts.push(
      rawRecord({
        offsetDelta: i,
        timestampDelta: rng.pick([0, 1, -1, 63, 64, 10_000, 2_000_000, -5_000_000_000]),
        key: rng.int(5) === 0 ? null : Buffer.from(`k${i}`.repeat(rng.range(1, 39))),
        value: rng.int(6) === 0 ? null : Buffer.alloc(valueBytes, 0x61 + (i % 26)),
        headers,
      }),
    );
  }
  return { section: Buffer.concat(parts), count };
}

function verdict(section: Buffer, count: number, fastPath: boolean, rules: { requireKeys: boolean; lo?: number; hi?: number }): string {
  const walk = startWalk(0, count, BASE_TS, 0, { sequentialOffsets: true, requireKeys: rules.requireKeys, minTimestamp: rules.lo, maxTimestamp: rules.hi });
  try {
    // Small step budgets exercise pausing and resuming, mid-record included.
    while (!walkRecords(section, section.length, walk, fastPath ? 7 : 3, fastPath));
    return 'ok';
  } catch (err) {
    if (err instanceof KafkaError) return `${err.code} ${err.message}`;
    throw err;
  }
}

test('fast and field-by-field walks agree on random sections and their mutations; the decoder agrees with what they accept', () => {
  const seed = Number(process.env['WALKER_SEED'] ?? 20261202);
  const rng = new Rng(seed);
  let accepted = 0;
  let rejected = 0;
  for (let n = 0; n < 3000; n++) {
    const { section, count } = randomSection(rng);
    let bytes = section;
    let declared = count;
    const mutation = rng.int(5);
    if (mutation === 1 && bytes.length > 0) {
      bytes = Buffer.from(bytes);
      for (let k = rng.range(1, 3); k > 0; k--) bytes[rng.int(bytes.length)] = rng.int(256);
    } else if (mutation === 2 && bytes.length > 0) {
      bytes = bytes.subarray(0, rng.int(bytes.length));
    } else if (mutation === 3) {
      declared = Math.max(0, count + rng.pick([-1, 1, 2]));
    }
    const rules = rng.pick([{ requireKeys: false }, { requireKeys: true }, { requireKeys: false, lo: BASE_TS - 1000, hi: BASE_TS + 100_000 }]);
    const fast = verdict(bytes, declared, true, rules);
    const slow = verdict(bytes, declared, false, rules);
    assert.equal(fast, slow, `seed ${seed} input ${n}: fast and field-by-field walks disagree`);
    if (fast !== 'ok') {
      rejected++;
      continue;
    }
    accepted++;
    if (declared === 0) continue;
    const [decoded] = decodeRecordBatchesSync(rawBatch({ records: bytes, recordsCount: declared, baseTimestamp: BASE_TS }));
    assert.equal(decoded!.records.length, declared, `seed ${seed} input ${n}: decoded count`);
  }
  assert.ok(accepted > 500 && rejected > 500, `both verdicts exercised (${accepted} accepted, ${rejected} rejected)`);
});
