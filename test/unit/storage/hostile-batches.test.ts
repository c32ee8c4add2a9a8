/**
 * The validator against every lying batch of the "Hostile input" issue (test/helpers/hostile-batches.ts):
 * each is refused with the code Kafka answers, on plain and compacted topics, and with a topic codec that
 * would pass the batch through or rebuild it. Bombs are refused without inflating them (memory checked).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { CompressionType } from '../../../src/protocol/compression/types.js';
import { Decoder } from '@toondepauw/node-zstd';
import { prepareBatches } from '../../../src/storage/deferred-validation.js';
import { ByteBudget } from '../../../src/storage/byte-budget.js';
import { SYNC_DECOMPRESS_MAX_BYTES, validateBatches } from '../../../src/storage/log-validator.js';
import { HOSTILE_CASES, goodRecords, rawBatch, zstdZeros } from '../../helpers/hostile-batches.js';
import { assertRejects } from './helpers.js';

const MAX_MESSAGE_BYTES = 1_048_588;

async function check(batch: Buffer, opts: { requireKeys?: boolean; recompressTo?: CompressionType | null }): Promise<void> {
  const validate = { maxMessageBytes: MAX_MESSAGE_BYTES, requireKeys: opts.requireKeys };
  const v = validateBatches(batch, validate);
  await prepareBatches(batch, v, { validate, recompressTo: opts.recompressTo ?? null, budget: new ByteBudget(256 << 20) });
}

test('every lying batch is refused with Kafka’s code: plain, compacted, gzip and zstd topics', async () => {
  const rssBefore = process.memoryUsage().rss;
  for (const c of HOSTILE_CASES) {
    const batch = await c.build();
    for (const opts of [{}, { requireKeys: true }, { recompressTo: CompressionType.Gzip }, { recompressTo: CompressionType.Zstd }]) {
      await assertRejects(check(batch, opts), c.code, /record batch at byte 0|decompress|gzip|zstd/);
    }
  }
  // The bombs were refused from their framing or stopped at the bound: nothing near 1 GiB was inflated.
  const grownBytes = process.memoryUsage().rss - rssBefore;
  assert.ok(grownBytes < 400 * 1024 * 1024, `RSS grew by ${grownBytes} bytes`);
});

test('the zstd bomb is a real zstd frame: a small one inflates to its zeros', () => {
  const out = new Decoder().decodeSync(zstdZeros(1_000_000));
  assert.equal(out.length, 1_000_000);
  assert.ok(out.every((b) => b === 0));
});

test('honest batches pass: every codec, with headers and null values, and a rebuild keeps the records', async () => {
  const section = goodRecords(200, 'ok');
  const batch = rawBatch({ records: section, recordsCount: 200 });
  await check(batch, { requireKeys: true });
  for (const target of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd, CompressionType.None]) {
    const validate = { maxMessageBytes: MAX_MESSAGE_BYTES };
    const rebuilt = await prepareBatches(batch, validateBatches(batch, validate), { validate, recompressTo: target, budget: new ByteBudget(64 << 20) });
    // The rebuilt batch is itself a valid client batch holding the same records section.
    const again = validateBatches(rebuilt, validate);
    await prepareBatches(rebuilt, again, { validate, recompressTo: CompressionType.None, budget: new ByteBudget(64 << 20) }).then((plain) => {
      assert.deepEqual(plain.subarray(61), section, `records kept through ${CompressionType[target]}`);
    });
  }
});

test('a batch may decompress to the bound but not past it', async () => {
  const { gzipSync } = await import('node:zlib');
  // Larger than SYNC_DECOMPRESS_MAX_BYTES once inflated, so it takes the bounded asynchronous path.
  const section = goodRecords(120_000);
  assert.ok(section.length > SYNC_DECOMPRESS_MAX_BYTES);
  const batch = rawBatch({ records: gzipSync(section), recordsCount: 120_000, attributes: 1 });
  const validate = { maxMessageBytes: MAX_MESSAGE_BYTES };
  const v = validateBatches(batch, validate);
  await prepareBatches(batch, v, { validate, recompressTo: null, budget: new ByteBudget(section.length) });
  // A budget smaller than the topic's bound caps the bound: one byte short, the same batch is over it.
  const short = section.length - 1;
  await assertRejects(prepareBatches(batch, v, { validate, recompressTo: null, budget: new ByteBudget(short) }), ErrorCode.INVALID_RECORD, new RegExp(`decompress to more than ${short} bytes`));
});
