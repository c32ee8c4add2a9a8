import { createServer, connect, type Server, type Socket } from 'node:net';
import { mulberry32 } from './fuzz.js';

/**
 * A loopback proxy in front of one broker that loses Produce responses: the request reaches the
 * broker and is written, then the connection is reset before its answer gets back — the fault after
 * which a producer retries a batch the log already has. Frames are followed in both directions
 * (int32 size prefix; requests carry api key and correlation id in their header, responses the
 * correlation id), and each Produce response is dropped with probability `dropRate`, drawn from a
 * seeded generator so a failing run can be replayed.
 */
export interface ResponseDroppingProxy {
  readonly port: number;
  /** Produce responses dropped (each with its connection) so far. */
  readonly dropped: number;
  /** Produce responses forwarded so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

const PRODUCE_API_KEY = 0;

/** Splits a byte stream into whole frames (size prefix included). */
class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + size) break;
      frames.push(this.pending.subarray(0, 4 + size));
      this.pending = this.pending.subarray(4 + size);
    }
    return frames;
  }
}

export async function startResponseDroppingProxy(target: () => { host: string; port: number }, opts: { dropRate: number; seed: number }): Promise<ResponseDroppingProxy> {
  const random = mulberry32(opts.seed);
  const sockets = new Set<Socket>();
  let dropped = 0;
  let forwarded = 0;
  const server: Server = createServer((client) => {
    const t = target();
    const upstream = connect(t.port, t.host);
    sockets.add(client);
    sockets.add(upstream);
    const produceCorrelations = new Set<number>();
    const fromClient = new FrameSplitter();
    const fromBroker = new FrameSplitter();
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      for (const f of fromClient.push(chunk)) {
        // Request header: api key int16, api version int16, correlation id int32.
        if (f.length >= 12 && f.readInt16BE(4) === PRODUCE_API_KEY) produceCorrelations.add(f.readInt32BE(8));
        upstream.write(f);
      }
    });
    upstream.on('data', (chunk) => {
      for (const f of fromBroker.push(chunk)) {
        const correlationId = f.length >= 8 ? f.readInt32BE(4) : -1;
        if (produceCorrelations.delete(correlationId)) {
          if (random() < opts.dropRate) {
            dropped += 1;
            closeBoth();
            return;
          }
          forwarded += 1;
        }
        client.write(f);
      }
    });
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        closeBoth();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    get dropped() {
      return dropped;
    },
    get forwarded() {
      return forwarded;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
