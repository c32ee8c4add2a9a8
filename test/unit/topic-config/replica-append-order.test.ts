import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { ReplicaManager } from '../../../src/cluster/replication/replica-manager.js';
import { CompressionType } from '../../../src/protocol/compression/types.js';
import { buildRecordBatch, decodeRecordBatches, iterateBatchHeaders } from '../../../src/protocol/records/index.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { LogManager } from '../../../src/storage/log-manager.js';

test('appends to a recompressing topic reach the log in call order, interleaved with plain ones', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'replica-order-'));
  const logs = new LogManager([dir]);
  await logs.open();
  t.after(async () => {
    await logs.close();
    await rm(dir, { recursive: true, force: true });
  });
  let codec: CompressionType | null = CompressionType.Zstd;
  const replicas = new ReplicaManager(logs, () => ({ ...DEFAULT_LOG_CONFIG }), pino({ level: 'silent' }), { topicCodec: () => codec });
  await replicas.hostPartitions('t', 1, 'AAAAAAAAAAAAAAAAAAAAAQ');
  const appends: Array<Promise<{ baseOffset: number }>> = [];
  for (let i = 0; i < 60; i++) {
    // Big gzip batches take longer to recompress than small ones: a naive implementation reorders them.
    const count = i % 3 === 0 ? 400 : 1;
    const batch = await buildRecordBatch({
      records: Array.from({ length: count }, (_, j) => ({ key: `k${i}`, value: `append ${i} record ${j} `.repeat(i % 3 === 0 ? 20 : 1) })),
      compression: i % 2 === 0 ? CompressionType.Gzip : CompressionType.Zstd,
    });
    if (i === 30) codec = null; // the topic switches to compression.type=producer mid-way
    appends.push(replicas.append('t', 0, batch));
  }
  const results = await Promise.all(appends);
  for (let i = 1; i < results.length; i++) assert.ok(results[i]!.baseOffset > results[i - 1]!.baseOffset, `append ${i} was assigned offsets after append ${i - 1}`);
  const hosted = replicas.get('t', 0);
  const read = await hosted.log.read(0, 64 * 1024 * 1024, { maxOffset: hosted.highWatermark });
  const infos = Array.from(iterateBatchHeaders(read.records));
  assert.equal(infos.length, 60);
  const decoded = await decodeRecordBatches(read.records);
  decoded.forEach((b, i) => {
    assert.equal(b.records[0]!.key!.toString(), `k${i}`, `batch ${i} in order`);
    if (i < 30) assert.equal(b.compression, CompressionType.Zstd, `batch ${i} recompressed to zstd`);
    else assert.equal(b.compression, i % 2 === 0 ? CompressionType.Gzip : CompressionType.Zstd, `batch ${i} kept as produced`);
  });
});
