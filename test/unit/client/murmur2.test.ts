import assert from 'node:assert/strict';
import { test } from 'node:test';
import { murmur2, murmur2Partition, toPositive } from '../../../src/client/producer/murmur2.js';
import { DefaultPartitioner, Murmur2RandomPartitioner, RoundRobinPartitioner, type PartitionerInput } from '../../../src/client/producer/partitioners.js';

/**
 * Expected values come from two places, neither of them the code under test:
 * 1. Apache Kafka's published vectors (clients UtilsTest.testMurmur2), signed 32-bit results.
 * 2. An independent reference written here from the published algorithm (Utils.murmur2 in the
 *    Java client; the same function librdkafka's murmur2 partitioners use) with BigInt arithmetic
 *    modulo 2^32, a different technique from the Math.imul implementation.
 */
const KAFKA_VECTORS: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

const MASK = (1n << 32n) - 1n;
function referenceMurmur2(data: Uint8Array): number {
  const m = 0x5bd1e995n;
  let h = (0x9747b28cn ^ BigInt(data.length)) & MASK;
  const full = data.length - (data.length % 4);
  for (let i = 0; i < full; i += 4) {
    let k = BigInt(data[i]!) + (BigInt(data[i + 1]!) << 8n) + (BigInt(data[i + 2]!) << 16n) + (BigInt(data[i + 3]!) << 24n);
    k = (k * m) & MASK;
    k ^= k >> 24n;
    k = (k * m) & MASK;
    h = (h * m) & MASK;
    h ^= k;
  }
  const rest = data.length % 4;
  if (rest >= 3) h ^= BigInt(data[full + 2]!) << 16n;
  if (rest >= 2) h ^= BigInt(data[full + 1]!) << 8n;
  if (rest >= 1) {
    h ^= BigInt(data[full]!);
    h = (h * m) & MASK;
  }
  h ^= h >> 13n;
  h = (h * m) & MASK;
  h ^= h >> 15n;
  return Number(BigInt.asIntN(32, h));
}

function referencePartition(key: Uint8Array, n: number): number {
  // Java: Utils.toPositive(Utils.murmur2(keyBytes)) % numPartitions; toPositive clears the sign bit.
  return Number(BigInt.asUintN(31, BigInt(referenceMurmur2(key)))) % n;
}

test('murmur2 matches Kafka UtilsTest vectors', () => {
  for (const [key, want] of KAFKA_VECTORS) {
    assert.equal(murmur2(Buffer.from(key)), want, key);
    assert.equal(referenceMurmur2(Buffer.from(key)), want, `reference: ${key}`);
  }
});

test('murmur2 matches the independent reference for every tail length and bytes >= 0x80', () => {
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (let len = 0; len < 70; len++) {
    for (let rep = 0; rep < 20; rep++) {
      const key = Buffer.alloc(len);
      for (let i = 0; i < len; i++) key[i] = Math.floor(rnd() * 256);
      assert.equal(murmur2(key), referenceMurmur2(key), key.toString('hex'));
    }
  }
});

test('partition = toPositive(murmur2(key)) % n, as the Java client and librdkafka murmur2 pick', () => {
  assert.equal(toPositive(-790332482), 1357151166);
  assert.equal(murmur2Partition(Buffer.from('foobar'), 50), 1357151166 % 50);
  const keys = ['', 'a', 'user-1', 'user-2', 'order:42', 'ключ', '🙂 emoji', ...KAFKA_VECTORS.map(([k]) => k)];
  for (let i = 0; i < 200; i++) keys.push(`key-${i}`);
  const dflt = new DefaultPartitioner();
  const rdk = new Murmur2RandomPartitioner();
  for (const k of keys) {
    const bytes = Buffer.from(k, 'utf8');
    for (const n of [1, 2, 3, 7, 12, 50, 100]) {
      const want = referencePartition(bytes, n);
      const input: PartitionerInput = { topic: 't', key: bytes, value: null, partitionCount: n, availablePartitions: [] };
      assert.equal(murmur2Partition(bytes, n), want, `${k} % ${n}`);
      assert.equal(dflt.partition(input), want, `default ${k} % ${n}`);
      assert.equal(rdk.partition(input), want, `murmur2_random ${k} % ${n}`);
    }
  }
});

test('default partitioner: keyless records stick to one partition until its batch closes (KIP-480)', () => {
  let r = 0;
  const seq = [0.1, 0.1, 0.6, 0.9, 0.3];
  const p = new DefaultPartitioner(() => seq[r++ % seq.length]!);
  const input: PartitionerInput = { topic: 't', key: null, value: null, partitionCount: 4, availablePartitions: [0, 1, 2, 3] };
  const first = p.partition(input);
  for (let i = 0; i < 10; i++) assert.equal(p.partition(input), first);
  p.onBatchClosed('t', first);
  const second = p.partition(input);
  assert.notEqual(second, first, 'moves to a different partition');
  p.onBatchClosed('other', second);
  assert.equal(p.partition(input), second, 'a batch of another topic does not move it');
  // only partitions with a leader are chosen
  const q = new DefaultPartitioner();
  for (let i = 0; i < 50; i++) {
    q.onBatchClosed('t', q.partition({ ...input, availablePartitions: [2] }));
    assert.equal(q.partition({ ...input, availablePartitions: [2] }), 2);
  }
});

test('murmur2_random spreads keyless records; round-robin cycles', () => {
  const rdk = new Murmur2RandomPartitioner();
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) seen.add(rdk.partition({ topic: 't', key: null, value: null, partitionCount: 5, availablePartitions: [] }));
  assert.equal(seen.size, 5);
  const rr = new RoundRobinPartitioner();
  const got = Array.from({ length: 7 }, () => rr.partition({ topic: 't', key: Buffer.from('k'), value: null, partitionCount: 3, availablePartitions: [0, 1, 2] }));
  assert.deepEqual(got, [0, 1, 2, 0, 1, 2, 0]);
});
