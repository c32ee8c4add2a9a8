/**
 * One client connection: frames in, responses out strictly in request order (clients such as
 * kafka-python fail on reordered correlation ids), however the handlers interleave.
 * A malformed or oversized frame closes this connection only.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameDecoder } from '../network/frame-decoder.js';
import type { RequestRouter } from './request-router.js';
import { isMalformedRequest } from './request-router.js';
import type { BrokerServices } from './broker-services.js';

interface Slot {
  done: boolean;
  response: Buffer[] | null;
}

/** Requests a connection may have in flight before we stop reading from its socket. */
const MAX_IN_FLIGHT = 512;

export class ClientConnection {
  private readonly decoder: FrameDecoder;
  private readonly slots: Slot[] = [];
  private paused = false;
  private closed = false;
  private readonly remoteAddress: string;

  constructor(
    private readonly socket: Socket,
    readonly id: number,
    private readonly router: RequestRouter,
    private readonly services: BrokerServices,
    private readonly logger: Logger,
    maxFrameBytes: number,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.reject(err);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.dispatch(frame);
    }
    if (this.slots.length >= MAX_IN_FLIGHT && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, response: null };
    this.slots.push(slot);
    let pending: Promise<Buffer[] | null>;
    try {
      pending = this.router.route(frame, { connectionId: this.id, remoteAddress: this.remoteAddress, services: this.services, logger: this.logger });
    } catch (err) {
      this.reject(err);
      return;
    }
    pending.then(
      (response) => {
        slot.response = response;
        slot.done = true;
        this.flush();
      },
      (err: unknown) => this.reject(err),
    );
  }

  private flush(): void {
    if (this.closed) return;
    if (!this.slots[0]?.done) return;
    this.socket.cork();
    let writable = true;
    while (this.slots[0]?.done) {
      const slot = this.slots.shift()!;
      if (slot.response) for (const chunk of slot.response) writable = this.socket.write(chunk);
    }
    this.socket.uncork();
    if (writable) this.maybeResume();
  }

  private maybeResume(): void {
    if (this.paused && !this.closed && this.slots.length < MAX_IN_FLIGHT / 2 && this.socket.writableLength < 16 * 1024 * 1024) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private reject(err: unknown): void {
    if (this.closed) return;
    const message = err instanceof Error ? err.message : String(err);
    if (isMalformedRequest(err) || (err instanceof Error && err.name === 'FrameTooLargeError')) {
      this.logger.warn({ connection: this.remoteAddress }, `closing connection: ${message}`);
    } else {
      this.logger.error({ err, connection: this.remoteAddress }, 'closing connection after an internal error');
    }
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.slots.length = 0;
    this.socket.destroy();
  }
}
