/**
 * An outbound connection to one broker: requests are pipelined, each matched to its response by
 * correlation id; every request has a timeout. Used by the client and by inter-broker calls.
 */
import { connect, type Socket } from 'node:net';
import { decodeResponse, encodeRequestFrame } from '../protocol/headers.js';
import type { ApiSpec } from '../protocol/schema/dsl.js';
import { FrameDecoder } from './frame-decoder.js';

interface Pending {
  api: ApiSpec;
  version: number;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface BrokerConnectionOptions {
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxResponseBytes?: number;
}

export class ConnectionClosedError extends Error {
  constructor(message = 'connection closed') {
    super(message);
    this.name = 'ConnectionClosedError';
  }
}

/** Bytes read from the socket per call into the connection's one read buffer. */
const READ_BUFFER_BYTES = 256 * 1024;

/** Where the socket's reads go once the connection object exists. */
interface ReadRouter {
  target: ((chunk: Buffer) => void) | null;
}

export class BrokerConnection {
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private readonly decoder: FrameDecoder;
  private closedError: Error | null = null;
  private readonly clientId: string;
  private readonly requestTimeoutMs: number;

  private constructor(private readonly socket: Socket, options: BrokerConnectionOptions, reads: ReadRouter) {
    this.clientId = options.clientId ?? 'tributary';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.decoder = new FrameDecoder(options.maxResponseBytes ?? 1024 * 1024 * 1024, undefined, true);
    socket.setNoDelay(true);
    reads.target = (chunk) => this.onData(chunk);
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new ConnectionClosedError()));
  }

  static open(host: string, port: number, options: BrokerConnectionOptions = {}): Promise<BrokerConnection> {
    return new Promise((resolve, reject) => {
      // Reads land in one buffer per connection (Node's `onread`), not a fresh 64 KiB buffer per
      // read: at a consumer's 1 GB/s those buffers alone drove V8 into a mark-compact every few
      // tens of ms. The frame decoder copies every frame out, so nothing keeps a view of it.
      const reads: ReadRouter = { target: null };
      const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      const socket = connect({
        host,
        port,
        onread: {
          buffer: readBuffer,
          callback: (n: number, buf: Uint8Array): boolean => {
            reads.target?.(Buffer.from(buf.buffer, buf.byteOffset, n));
            return true; // keep reading
          },
        },
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect to ${host}:${port} within ${options.connectTimeoutMs ?? 10_000} ms`));
      }, options.connectTimeoutMs ?? 10_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        resolve(new BrokerConnection(socket, options, reads));
      });
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
    });
  }

  /** Sends a request; resolves with the decoded response body. */
  send<Res>(api: ApiSpec, version: number, body: object): Promise<Res> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    const frame = encodeRequestFrame(api, version, correlationId, this.clientId, body);
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`${api.name} v${version} timed out after ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(correlationId, { api, version, resolve: resolve as (b: unknown) => void, reject, timer });
      this.socket.cork();
      for (const chunk of frame) this.socket.write(chunk);
      this.socket.uncork();
    });
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendNoResponse(api: ApiSpec, version: number, body: object): void {
    if (this.closedError) throw this.closedError;
    const frame = encodeRequestFrame(api, version, this.nextCorrelationId++ & 0x7fffffff, this.clientId, body);
    for (const chunk of frame) this.socket.write(chunk);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err as Error);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      const correlationId = frame.readInt32BE(0);
      const p = this.pending.get(correlationId);
      if (!p) continue;
      this.pending.delete(correlationId);
      clearTimeout(p.timer);
      try {
        p.resolve(decodeResponse(p.api, p.version, frame).body);
      } catch (err) {
        p.reject(err as Error);
      }
    }
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  close(): void {
    this.fail(new ConnectionClosedError('connection closed by the client'));
    this.socket.destroy();
  }
}
