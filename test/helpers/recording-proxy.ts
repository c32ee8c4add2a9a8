import net from 'node:net';

/**
 * A TCP proxy to one broker that records the client→broker byte stream of every connection,
 * split into size-prefixed Kafka request frames (each recorded frame includes its 4-byte size).
 */
export interface RecordedFrame {
  connection: number;
  apiKey: number;
  apiVersion: number;
  /** The whole frame, size prefix included. */
  bytes: Buffer;
}

export interface RecordingProxy {
  host: string;
  port: number;
  frames: RecordedFrame[];
  close(): Promise<void>;
}

export async function startRecordingProxy(targetHost: string, targetPort: number, maxFrameBytes = 8 * 1024 * 1024): Promise<RecordingProxy> {
  const frames: RecordedFrame[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;

  const server = net.createServer((client) => {
    const connection = ++connections;
    const upstream = net.connect({ host: targetHost, port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    let pending: Buffer = Buffer.alloc(0);
    let recording = true;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (!recording) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (size < 8 || size > maxFrameBytes) {
          recording = false; // not a frame stream we understand; keep proxying
          return;
        }
        if (pending.length < 4 + size) break;
        const bytes = Buffer.from(pending.subarray(0, 4 + size));
        frames.push({ connection, apiKey: bytes.readInt16BE(4), apiVersion: bytes.readInt16BE(6), bytes });
        pending = pending.subarray(4 + size);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port: address.port,
    frames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
