import net from 'node:net';
import { crc32c } from '@node-rs/crc32';

/**
 * A deliberately tiny, independent Kafka wire client for tests: it does not use the broker's own
 * protocol code, so it can act as an oracle. It speaks only what the tests need: ApiVersions v0/v3
 * (liveness probe), Metadata v1 (partition count) and Fetch v4 (raw record batches, to check
 * compression attributes and CRCs of what is stored).
 *
 * Keep it independent of `src/` on purpose: no imports from the broker (not even its CRC, codecs or
 * record-batch code), so a bug there cannot hide in the check. Tests that want a fetch through the
 * broker's own protocol code use `raw-fetch.ts` instead.
 */

export class WireWriter {
  private parts: Buffer[] = [];
  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  int64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    let n = v >>> 0;
    while (n >= 0x80) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  /** int16-length string (nullable). */
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    this.int16(b.length);
    this.parts.push(b);
    return this;
  }
  compactString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const b = Buffer.from(s, 'utf8');
    this.uvarint(b.length + 1);
    this.parts.push(b);
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export class WireReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`wire: read past end (pos ${this.pos}, need ${n}, size ${this.buf.length})`);
  }
  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error('wire: varint past end');
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error('wire: varint too long');
    }
  }
  string(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  bytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  skipTaggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      const size = this.uvarint();
      this.need(size);
      this.pos += size;
    }
  }
}

/** Encode a request frame (size prefix + header v1 or v2 + body). */
export function encodeRequest(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, opts: { flexibleHeader?: boolean; clientId?: string | null } = {}): Buffer {
  const w = new WireWriter().int16(apiKey).int16(apiVersion).int32(correlationId).string(opts.clientId === undefined ? 'tributary-test' : opts.clientId);
  if (opts.flexibleHeader) w.uvarint(0);
  const payload = w.raw(body).build();
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

/** One connection that sends requests and matches responses by correlation id (in order). */
export class WireConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private readonly pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private closedError: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.failAll(err));
    socket.on('close', () => this.failAll(new Error('connection closed by broker')));
  }

  static connect(host: string, port: number, timeoutMs = 5000): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new WireConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Send a request; resolves with the response payload after the correlation id. */
  request(apiKey: number, apiVersion: number, body: Buffer, opts: { flexibleHeader?: boolean; timeoutMs?: number } = {}): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequest(apiKey, apiVersion, correlationId, body, { flexibleHeader: opts.flexibleHeader ?? false });
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`no response to apiKey ${apiKey} v${apiVersion} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (size < 4 || size > 256 * 1024 * 1024) {
        this.failAll(new Error(`broker sent a frame with invalid size ${size}`));
        this.socket.destroy();
        return;
      }
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const waiter = this.pending.get(correlationId);
      if (!waiter) {
        this.failAll(new Error(`broker sent a response with unexpected correlation id ${correlationId}`));
        this.socket.destroy();
        return;
      }
      this.pending.delete(correlationId);
      clearTimeout(waiter.timer);
      waiter.resolve(frame.subarray(4));
    }
  }

  private failAll(err: Error): void {
    if (!this.closedError) this.closedError = err;
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
      this.pending.delete(id);
    }
  }
}

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResult {
  errorCode: number;
  apiKeys: ApiVersionRange[];
}

/** ApiVersions v0 (header v1, response header v0, non-flexible body). */
export async function apiVersionsV0(conn: WireConnection, timeoutMs = 5000): Promise<ApiVersionsResult> {
  const body = await conn.request(18, 0, Buffer.alloc(0), { timeoutMs });
  const r = new WireReader(body);
  const errorCode = r.int16();
  const n = r.int32();
  if (n < 0 || n > 1000) throw new Error(`ApiVersions v0: bad array length ${n}`);
  const apiKeys: ApiVersionRange[] = [];
  for (let i = 0; i < n; i++) apiKeys.push({ apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() });
  return { errorCode, apiKeys };
}

/** ApiVersions v3 (flexible request header v2; response header v0; flexible body). */
export async function apiVersionsV3(conn: WireConnection, timeoutMs = 5000): Promise<ApiVersionsResult> {
  const req = new WireWriter().compactString('tributary-test').compactString('0.0.1').uvarint(0).build();
  const body = await conn.request(18, 3, req, { flexibleHeader: true, timeoutMs });
  const r = new WireReader(body);
  const errorCode = r.int16();
  const n = r.uvarint() - 1;
  if (n < 0 || n > 1000) throw new Error(`ApiVersions v3: bad compact array length ${n}`);
  const apiKeys: ApiVersionRange[] = [];
  for (let i = 0; i < n; i++) {
    apiKeys.push({ apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() });
    r.skipTaggedFields();
  }
  return { errorCode, apiKeys };
}

/** Open a connection, check ApiVersions v0 answers with error 0 and lists key 18; close. Throws otherwise. */
export async function probeApiVersions(host: string, port: number, timeoutMs = 5000): Promise<ApiVersionsResult> {
  const conn = await WireConnection.connect(host, port, timeoutMs);
  try {
    const result = await apiVersionsV0(conn, timeoutMs);
    if (result.errorCode !== 0) throw new Error(`ApiVersions v0 answered error ${result.errorCode}`);
    if (!result.apiKeys.some((k) => k.apiKey === 18)) throw new Error('ApiVersions v0 response does not list ApiVersions (18)');
    return result;
  } finally {
    conn.close();
  }
}

export interface FetchedPartition {
  errorCode: number;
  highWatermark: bigint;
  records: Buffer;
}

/** Fetch v4 for one partition: returns the raw record bytes the broker sent. */
export async function fetchV4(conn: WireConnection, topic: string, partition: number, offset: bigint, maxBytes = 4 * 1024 * 1024): Promise<FetchedPartition> {
  const req = new WireWriter()
    .int32(-1) // replica id
    .int32(100) // max wait ms
    .int32(0) // min bytes
    .int32(maxBytes)
    .int8(0) // isolation: read uncommitted
    .int32(1)
    .string(topic)
    .int32(1)
    .int32(partition)
    .int64(offset)
    .int32(maxBytes)
    .build();
  const body = await conn.request(1, 4, req, { timeoutMs: 10_000 });
  const r = new WireReader(body);
  r.int32(); // throttle
  const topics = r.int32();
  for (let t = 0; t < topics; t++) {
    const name = r.string();
    const parts = r.int32();
    for (let p = 0; p < parts; p++) {
      const index = r.int32();
      const errorCode = r.int16();
      const highWatermark = r.int64();
      r.int64(); // last stable offset
      const aborted = r.int32();
      for (let a = 0; a < aborted; a++) {
        r.int64();
        r.int64();
      }
      const records = r.bytes() ?? Buffer.alloc(0);
      if (name === topic && index === partition) return { errorCode, highWatermark, records };
    }
  }
  throw new Error(`Fetch v4 response has no entry for ${topic}-${partition}`);
}

export interface BatchInfo {
  baseOffset: bigint;
  lastOffset: bigint;
  batchLength: number;
  magic: number;
  attributes: number;
  /** 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd */
  compression: number;
  recordsCount: number;
  crcOk: boolean;
  storedCrc: number;
  computedCrc: number;
  maxTimestamp: bigint;
}

export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/**
 * Split raw record bytes into v2 batches. A trailing partial batch (allowed in Fetch responses) is
 * reported through `partialTrailingBytes`, not as an error.
 */
export function parseBatches(records: Buffer): { batches: BatchInfo[]; partialTrailingBytes: number } {
  const batches: BatchInfo[] = [];
  let pos = 0;
  while (pos < records.length) {
    if (records.length - pos < 12) break;
    const batchLength = records.readInt32BE(pos + 8);
    const total = 12 + batchLength;
    if (batchLength < 0 || records.length - pos < total) break;
    const b = records.subarray(pos, pos + total);
    const magic = b.readInt8(16);
    if (magic !== 2) throw new Error(`batch at byte ${pos} has magic ${magic}, expected 2`);
    if (total < 61) throw new Error(`batch at byte ${pos} is ${total} bytes, shorter than a v2 header`);
    const storedCrc = b.readUInt32BE(17);
    const computedCrc = crc32c(b.subarray(21)) >>> 0;
    const attributes = b.readInt16BE(21);
    const baseOffset = b.readBigInt64BE(0);
    const lastOffsetDelta = b.readInt32BE(23);
    batches.push({
      baseOffset,
      lastOffset: baseOffset + BigInt(lastOffsetDelta),
      batchLength,
      magic,
      attributes,
      compression: attributes & 0x07,
      recordsCount: b.readInt32BE(57),
      crcOk: storedCrc === computedCrc,
      storedCrc,
      computedCrc,
      maxTimestamp: b.readBigInt64BE(35),
    });
    pos += total;
  }
  return { batches, partialTrailingBytes: records.length - pos };
}

/** Read every batch of a partition from offset 0 to the high watermark with Fetch v4. */
export async function readAllBatches(host: string, port: number, topic: string, partition: number): Promise<{ batches: BatchInfo[]; highWatermark: bigint }> {
  const conn = await WireConnection.connect(host, port);
  try {
    const batches: BatchInfo[] = [];
    let offset = 0n;
    let highWatermark = -1n;
    for (let round = 0; round < 100_000; round++) {
      const res = await fetchV4(conn, topic, partition, offset);
      if (res.errorCode !== 0) throw new Error(`Fetch v4 ${topic}-${partition} offset ${offset}: error code ${res.errorCode}`);
      highWatermark = res.highWatermark;
      const { batches: got } = parseBatches(res.records);
      const fresh = got.filter((b) => b.lastOffset >= offset);
      if (fresh.length === 0) {
        if (offset >= highWatermark) break;
        throw new Error(`Fetch v4 ${topic}-${partition} offset ${offset} (< HW ${highWatermark}) returned no complete batch (${res.records.length} bytes)`);
      }
      batches.push(...fresh);
      offset = fresh[fresh.length - 1]!.lastOffset + 1n;
      if (offset >= highWatermark) break;
    }
    return { batches, highWatermark };
  } finally {
    conn.close();
  }
}

export interface StoredCheckOptions {
  partitions: number;
  /** Every batch must carry this compression codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  compression?: number;
  /**
   * Batches with fewer records than this may be uncompressed instead (librdkafka sends a batch
   * uncompressed when compressing would not make it smaller, e.g. one short record). Larger
   * batches must carry the codec, and at least one batch must.
   */
  codecMinRecords?: number;
  /** Total records expected over all partitions (from batch headers). */
  expectedRecords?: number;
  label: string;
}

/**
 * Read back the stored batches of every partition with an independent Fetch v4 client and check:
 * magic 2, CRC-32C valid, batches contiguous from offset 0 to the high watermark, the expected
 * compression codec on every batch, and the total record count.
 */
export async function checkStoredBatches(host: string, port: number, topic: string, opts: StoredCheckOptions): Promise<{ batches: number; records: number; codecs: Record<string, number> }> {
  const problems: string[] = [];
  let totalRecords = 0;
  let totalBatches = 0;
  const codecs: Record<string, number> = {};
  for (let p = 0; p < opts.partitions; p++) {
    const { batches, highWatermark } = await readAllBatches(host, port, topic, p);
    let expectedBase = 0n;
    for (const b of batches) {
      totalBatches += 1;
      totalRecords += b.recordsCount;
      const codec = COMPRESSION_NAMES[b.compression] ?? `codec-${b.compression}`;
      codecs[codec] = (codecs[codec] ?? 0) + 1;
      if (!b.crcOk) problems.push(`${topic}-${p} batch @${b.baseOffset}: CRC mismatch (stored ${b.storedCrc.toString(16)}, computed ${b.computedCrc.toString(16)})`);
      if (b.baseOffset !== expectedBase) problems.push(`${topic}-${p}: batch starts at offset ${b.baseOffset}, expected ${expectedBase} (gap or overlap)`);
      if (opts.compression !== undefined && b.compression !== opts.compression) {
        const smallAndPlain = b.compression === 0 && b.recordsCount < (opts.codecMinRecords ?? 0);
        if (!smallAndPlain) {
          problems.push(`${topic}-${p} batch @${b.baseOffset} (${b.recordsCount} records): compression ${codec}, expected ${COMPRESSION_NAMES[opts.compression]}`);
        }
      }
      expectedBase = b.lastOffset + 1n;
    }
    if (expectedBase !== highWatermark) problems.push(`${topic}-${p}: batches end at offset ${expectedBase}, high watermark is ${highWatermark}`);
  }
  if (opts.compression !== undefined && (codecs[COMPRESSION_NAMES[opts.compression] ?? ''] ?? 0) === 0) {
    problems.push(`${topic}: no stored batch uses ${COMPRESSION_NAMES[opts.compression]}`);
  }
  if (opts.expectedRecords !== undefined && totalRecords !== opts.expectedRecords) {
    problems.push(`${topic}: batch headers count ${totalRecords} records, expected ${opts.expectedRecords}`);
  }
  if (problems.length > 0) {
    throw new Error(`${opts.label}: stored batches check failed (codecs seen: ${JSON.stringify(codecs)}):\n  - ${problems.slice(0, 20).join('\n  - ')}`);
  }
  return { batches: totalBatches, records: totalRecords, codecs };
}

export interface TopicSummary {
  name: string | null;
  errorCode: number;
  partitions: number;
  /** Partitions whose error code is not 0 or whose leader is -1. */
  leaderless: number;
}

/** Metadata v1 (topics null = all topics): a summary of each topic. */
export async function metadataV1(conn: WireConnection, topics: string[] | null, timeoutMs = 10_000): Promise<{ brokers: number; controllerId: number; topics: TopicSummary[] }> {
  const w = new WireWriter();
  if (topics === null) w.int32(-1);
  else {
    w.int32(topics.length);
    for (const t of topics) w.string(t);
  }
  const body = await conn.request(3, 1, w.build(), { timeoutMs });
  const r = new WireReader(body);
  const brokers = r.int32();
  for (let i = 0; i < brokers; i++) {
    r.int32();
    r.string();
    r.int32();
    r.string();
  }
  const controllerId = r.int32();
  const n = r.int32();
  const out: TopicSummary[] = [];
  for (let i = 0; i < n; i++) {
    const errorCode = r.int16();
    const name = r.string();
    r.int8(); // is_internal
    const parts = r.int32();
    let leaderless = 0;
    for (let p = 0; p < parts; p++) {
      const pErr = r.int16();
      r.int32(); // index
      const leader = r.int32();
      const replicas = r.int32();
      for (let k = 0; k < replicas; k++) r.int32();
      const isr = r.int32();
      for (let k = 0; k < isr; k++) r.int32();
      if (pErr !== 0 || leader < 0) leaderless += 1;
    }
    out.push({ name, errorCode, partitions: parts, leaderless });
  }
  return { brokers, controllerId, topics: out };
}
