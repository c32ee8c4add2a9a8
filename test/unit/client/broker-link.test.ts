import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { BrokerLink } from '../../../src/client/cluster/broker-link.js';
import { resolveClientOptions } from '../../../src/client/options.js';
import { FrameDecoder } from '../../../src/network/frame-decoder.js';
import { encodeResponseFrame, peekRequestHeader } from '../../../src/protocol/headers.js';
import { ApiVersionsApi, DescribeClusterApi, IncrementalAlterConfigsApi, MetadataApi } from '../../../src/protocol/messages/index.js';
import type { MetadataResponse } from '../../../src/protocol/messages/metadata.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { pino } from 'pino';

/**
 * A scripted broker that speaks ApiVersions only up to v2 (answering v3 with error 35 in the v0
 * format, as Kafka does), serves Metadata 0-5 and DescribeCluster 0-0, and can be told to stay
 * silent or to drop connections.
 */
class FakeBroker {
  readonly seen: Array<{ apiKey: number; version: number }> = [];
  silentFor = new Set<number>();
  connections = 0;
  private readonly sockets = new Set<net.Socket>();
  private server!: net.Server;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = net.createServer((s) => this.onSocket(s));
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private onSocket(s: net.Socket): void {
    this.connections++;
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    const decoder = new FrameDecoder(1 << 20);
    s.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const h = peekRequestHeader(frame);
        this.seen.push({ apiKey: h.apiKey, version: h.apiVersion });
        if (this.silentFor.has(h.apiKey)) continue;
        for (const c of this.answer(h.apiKey, h.apiVersion, h.correlationId)) s.write(c);
      }
    });
  }

  private answer(apiKey: number, version: number, correlationId: number): Buffer[] {
    if (apiKey === ApiVersionsApi.apiKey) {
      const apiKeys = [
        { apiKey: 18, minVersion: 0, maxVersion: 2 },
        { apiKey: 3, minVersion: 0, maxVersion: 5 },
        { apiKey: 60, minVersion: 0, maxVersion: 0 },
      ];
      if (version > 2) return encodeResponseFrame(ApiVersionsApi, 0, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [apiKeys[0]] });
      return encodeResponseFrame(ApiVersionsApi, version, correlationId, { errorCode: 0, apiKeys, throttleTimeMs: 0 });
    }
    if (apiKey === MetadataApi.apiKey) {
      const body: Partial<MetadataResponse> = { brokers: [{ nodeId: 7, host: '127.0.0.1', port: this.port, rack: null }], clusterId: 'fake', controllerId: 7, topics: [] };
      return encodeResponseFrame(MetadataApi, version, correlationId, body);
    }
    throw new Error(`fake broker: unexpected API ${apiKey}`);
  }
}

function makeLink(port: number, requestTimeoutMs = 2000): BrokerLink {
  const options = resolveClientOptions({ bootstrapServers: `127.0.0.1:${port}`, requestTimeoutMs, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 50 });
  return new BrokerLink(-1, '127.0.0.1', port, options, pino({ level: 'silent' }));
}

test('ApiVersions v3 refused with error 35 → v0; requests use min(our max, broker max)', async (t) => {
  const broker = new FakeBroker();
  await broker.start();
  t.after(() => broker.stop());
  const link = makeLink(broker.port);
  t.after(() => link.close());
  const res = await link.request<MetadataResponse>(MetadataApi, { topics: [], allowAutoTopicCreation: false });
  assert.equal(res.clusterId, 'fake');
  assert.deepEqual(broker.seen.slice(0, 3), [
    { apiKey: 18, version: 3 },
    { apiKey: 18, version: 0 },
    { apiKey: 3, version: 5 },
  ]);
  assert.equal(await link.versionFor(DescribeClusterApi), 0);
});

test('an API the broker does not advertise fails with UNSUPPORTED_VERSION naming it, without sending', async (t) => {
  const broker = new FakeBroker();
  await broker.start();
  t.after(() => broker.stop());
  const link = makeLink(broker.port);
  t.after(() => link.close());
  await assert.rejects(
    link.request(IncrementalAlterConfigsApi, { resources: [], validateOnly: false }),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_VERSION && /IncrementalAlterConfigs \(API key 44\)/.test(e.message),
  );
  assert.ok(!broker.seen.some((s) => s.apiKey === 44));
  assert.equal(await link.supports(IncrementalAlterConfigsApi), false);
});

test('per-request timeout → REQUEST_TIMED_OUT and a fresh connection for the next request', async (t) => {
  const broker = new FakeBroker();
  await broker.start();
  t.after(() => broker.stop());
  const link = makeLink(broker.port, 5000);
  t.after(() => link.close());
  await link.connect();
  broker.silentFor.add(3);
  await assert.rejects(link.request(MetadataApi, { topics: [] }, { timeoutMs: 150 }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.REQUEST_TIMED_OUT && e.retriable);
  broker.silentFor.clear();
  const res = await link.request<MetadataResponse>(MetadataApi, { topics: [] });
  assert.equal(res.controllerId, 7);
  assert.equal(broker.connections, 2);
});

test('a connection dropped by the broker is re-opened on the next request (with backoff when refused)', async (t) => {
  const broker = new FakeBroker();
  await broker.start();
  const link = makeLink(broker.port);
  t.after(() => link.close());
  await link.request(MetadataApi, { topics: [] });
  broker.dropAll();
  await new Promise((r) => setTimeout(r, 50));
  // The socket is already gone before the request is written: it is sent on a new connection.
  const res = await link.request<MetadataResponse>(MetadataApi, { topics: [] });
  assert.equal(res.clusterId, 'fake');
  assert.equal(broker.connections, 2);
  const port = broker.port;
  await broker.stop();
  const refused = (e: unknown): boolean => e instanceof KafkaError && e.code === ErrorCode.NETWORK_EXCEPTION;
  await assert.rejects(link.request(MetadataApi, { topics: [] }), refused);
  await assert.rejects(link.request(MetadataApi, { topics: [] }), refused);
  const started = Date.now();
  await assert.rejects(link.request(MetadataApi, { topics: [] }), refused);
  assert.ok(Date.now() - started >= 8, `a refused reconnect waits for the backoff (waited ${Date.now() - started} ms)`);
  // The broker comes back on the same port: the link recovers by itself.
  const again = new FakeBroker();
  await again.start(port);
  t.after(() => again.stop());
  await new Promise((r) => setTimeout(r, 60));
  const back = await link.request<MetadataResponse>(MetadataApi, { topics: [] });
  assert.equal(back.clusterId, 'fake');
});
