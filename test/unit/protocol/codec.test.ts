import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader, ByteWriter } from '../../../src/protocol/bytes.js';
import { decodeMessage, encodeMessage, isFlexible } from '../../../src/protocol/schema/codec.js';
import { inRange, type FieldSpec, type MessageSpec } from '../../../src/protocol/schema/dsl.js';
import { API_BY_KEY } from '../../../src/protocol/messages/index.js';
import { decodeRequest, decodeResponse, encodeRequestFrame, encodeResponseFrame } from '../../../src/protocol/headers.js';
import { randomUuid } from '../../../src/protocol/schema/uuid.js';

/** A tiny seeded PRNG so failures replay. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomValue(f: FieldSpec, version: number, rand: () => number, depth: number): unknown {
  if (inRange(f.nullable, version) && rand() < 0.2) return null;
  const one = (): unknown => {
    switch (f.type) {
      case 'bool': return rand() < 0.5;
      case 'int8': return Math.floor(rand() * 256) - 128;
      case 'int16': return Math.floor(rand() * 65536) - 32768;
      case 'int32': return Math.floor(rand() * 4294967296) - 2147483648;
      case 'int64': return Math.floor((rand() - 0.5) * 2 ** 52);
      case 'uint16': return Math.floor(rand() * 65536);
      case 'uint32': return Math.floor(rand() * 4294967296);
      case 'float64': return rand() * 1000;
      case 'string': return `s${Math.floor(rand() * 1e6)}-é`;
      case 'bytes': return Buffer.from([1, 2, 3, Math.floor(rand() * 256)]);
      case 'records': return Buffer.alloc(Math.floor(rand() * 10), 7);
      case 'uuid': return randomUuid();
      case 'struct': return randomStruct(f.fields, version, rand, depth + 1);
    }
  };
  if (f.array) {
    const n = depth > 3 ? 0 : Math.floor(rand() * 3);
    return Array.from({ length: n }, one);
  }
  return one();
}

function randomStruct(fields: readonly FieldSpec[], version: number, rand: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (inRange(f.versions, version)) out[f.name] = randomValue(f, version, rand, depth);
  return out;
}

function roundTrip(spec: MessageSpec, version: number, data: object): Record<string, unknown> {
  const w = new ByteWriter(16);
  encodeMessage(spec, version, data, w);
  const buf = w.toBuffer();
  const r = new ByteReader(buf);
  const out = decodeMessage<Record<string, unknown>>(spec, version, r);
  assert.equal(r.remaining, 0, `${spec.name} v${version}: trailing bytes`);
  return out;
}

/** Compares the fields the random data set; absent fields decode to defaults. */
function assertSubset(actual: unknown, expected: unknown, path: string): void {
  if (Buffer.isBuffer(expected)) {
    assert.ok(Buffer.isBuffer(actual) && actual.equals(expected), path);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), path);
    assert.equal(actual.length, expected.length, path);
    expected.forEach((e, i) => assertSubset(actual[i], e, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else if (typeof expected === 'number' && !Number.isInteger(expected)) {
    assert.ok(Math.abs((actual as number) - expected) < 1e-9, path);
  } else {
    assert.deepEqual(actual, expected, path);
  }
}

test('every declared API round-trips requests and responses at every version', () => {
  const rand = rng(42);
  let cases = 0;
  for (const spec of API_BY_KEY.values()) {
    for (const msg of [spec.request, spec.response]) {
      for (let v = msg.validVersions.min; v <= msg.validVersions.max; v++) {
        for (let i = 0; i < 5; i++) {
          const data = randomStruct(msg.fields, v, rand, 0);
          const decoded = roundTrip(msg, v, data);
          assertSubset(decoded, data, `${msg.name} v${v}`);
          assert.deepEqual(roundTrip(msg, v, decoded), decoded);
          cases++;
        }
      }
    }
  }
  assert.ok(cases > 1000);
});

test('ApiVersions v3 request matches the bytes librdkafka sends', () => {
  const api = API_BY_KEY.get(18)!;
  const frame = Buffer.concat(encodeRequestFrame(api, 3, 1, 'rdkafka', { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' }));
  const expected = Buffer.concat([
    Buffer.from([0, 0, 0, 36]), // size: 40 bytes minus the prefix
    Buffer.from([0, 18, 0, 3, 0, 0, 0, 1]), // key, version, correlation id
    Buffer.from([0, 7]), Buffer.from('rdkafka'), Buffer.from([0]), // clientId (int16 length) + header tags
    Buffer.from([11]), Buffer.from('librdkafka'), Buffer.from([6]), Buffer.from('2.0.2'), Buffer.from([0]),
  ]);
  assert.deepEqual(frame, expected);
  const { header, body } = decodeRequest<{ clientSoftwareName: string }>(frame.subarray(4));
  assert.equal(header.clientId, 'rdkafka');
  assert.equal(body.clientSoftwareName, 'librdkafka');
});

test('ApiVersions responses use header v0 even when the body is flexible', () => {
  const api = API_BY_KEY.get(18)!;
  assert.ok(isFlexible(api.response, 3));
  const frame = Buffer.concat(encodeResponseFrame(api, 3, 7, { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }], throttleTimeMs: 0 }));
  // size, correlation id, then directly the error code (no header tag byte)
  assert.equal(frame.readInt32BE(4), 7);
  assert.equal(frame.readInt16BE(8), 0);
  assert.equal(frame[10], 2); // compact array of 1
  const { body } = decodeResponse<{ apiKeys: Array<{ maxVersion: number }> }>(api, 3, frame.subarray(4));
  assert.equal(body.apiKeys[0]!.maxVersion, 11);
});

test('tagged fields: non-default values are written, unknown tags are skipped', () => {
  const api = API_BY_KEY.get(0)!; // Produce: currentLeader is tagged in v10+
  const data = {
    responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 6, baseOffset: -1, currentLeader: { leaderId: 3, leaderEpoch: 9 } }] }],
  };
  const out = roundTrip(api.response, 10, data) as { responses: Array<{ partitionResponses: Array<{ currentLeader: { leaderId: number } }> }> };
  assert.equal(out.responses[0]!.partitionResponses[0]!.currentLeader.leaderId, 3);
  const plain = roundTrip(api.response, 10, { responses: [{ name: 't', partitionResponses: [{ index: 0 }] }] }) as typeof out;
  assert.equal(plain.responses[0]!.partitionResponses[0]!.currentLeader.leaderId, -1);
});

test('truncated input fails with a decode error, never a crash or a hang', () => {
  const api = API_BY_KEY.get(3)!;
  const w = new ByteWriter();
  encodeMessage(api.request, 12, { topics: [{ topicId: randomUuid(), name: 'abc' }], allowAutoTopicCreation: true }, w);
  const buf = w.toBuffer();
  for (let cut = 0; cut < buf.length; cut++) {
    assert.throws(() => decodeMessage(api.request, 12, new ByteReader(buf.subarray(0, cut))));
  }
});
