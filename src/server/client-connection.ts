/**
 * One client connection: frames in, responses out strictly in request order (clients such as
 * kafka-python fail on reordered correlation ids), however the handlers interleave.
 * A malformed or oversized frame closes this connection only.
 *
 * Hot path and fairness:
 * - frames are cut from socket chunks by FrameDecoder.feed (views, no per-chunk arrays);
 * - responses that complete in the same tick are written together: the socket is corked on the
 *   first and uncorked once on the next tick, so they leave in one writev;
 * - each connection may dispatch at most DISPATCH_BUDGET_BYTES of requests per event-loop turn;
 *   frames beyond that wait in a backlog (socket paused) until the next turn, so a connection that
 *   delivers megabytes per read cannot keep the loop from serving the others;
 * - reading pauses beyond MAX_IN_FLIGHT requests or MAX_IN_FLIGHT_BYTES of request bytes in flight;
 * - frames cut by a chunk boundary are assembled in FramePool buffers, and a Produce frame goes
 *   back to the pool once its handler has settled: the produce handler resolves only after every
 *   append is written (acks=0 included), and nothing downstream keeps the request bytes. Other
 *   requests are never released (group state, for one, keeps views of JoinGroup metadata).
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameDecoder } from '../network/frame-decoder.js';
import type { FramePool } from '../network/frame-pool.js';
import { ProduceApi } from '../protocol/messages/index.js';
import type { RequestRouter } from './request-router.js';
import { isMalformedRequest } from './request-router.js';
import type { BrokerServices } from './broker-services.js';
import type { RequestContext } from './request-context.js';

interface Slot {
  done: boolean;
  bytes: number;
  response: Buffer[] | null;
}

/** Requests a connection may have in flight before we stop reading from its socket. */
const MAX_IN_FLIGHT = 512;
/** Request bytes a connection may have in flight before we stop reading from its socket. */
const MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;
/** Request bytes one connection may dispatch per event-loop turn (at least one frame is always dispatched). */
const DISPATCH_BUDGET_BYTES = 1024 * 1024;
/** Written bytes queued on the socket beyond which we stop reading more requests. */
const MAX_WRITE_BACKLOG_BYTES = 16 * 1024 * 1024;

/** Event-loop turns, advanced by one shared setImmediate while any connection is busy. */
let turn = 0;
let turnScheduled = false;
function currentTurn(): number {
  if (!turnScheduled) {
    turnScheduled = true;
    setImmediate(() => {
      turn++;
      turnScheduled = false;
    });
  }
  return turn;
}

export class ClientConnection {
  private readonly decoder: FrameDecoder;
  /** In-flight requests in arrival order; slots[head..] are live (a ring would not pay here). */
  private slots: Slot[] = [];
  private head = 0;
  private inFlightBytes = 0;
  private readonly backlog: Buffer[] = [];
  private backlogHead = 0;
  private backlogScheduled = false;
  private budgetTurn = -1;
  private budgetBytes = 0;
  private flushScheduled = false;
  private paused = false;
  private closed = false;
  private readonly remoteAddress: string;
  private readonly baseContext: Omit<RequestContext, 'header' | 'apiVersion'>;
  private readonly onFrame = (frame: Buffer): void => this.accept(frame);
  private readonly flushTick = (): void => this.flush();
  private readonly drainBacklog = (): void => this.runBacklog();

  constructor(
    private readonly socket: Socket,
    readonly id: number,
    private readonly router: RequestRouter,
    services: BrokerServices,
    private readonly logger: Logger,
    maxFrameBytes: number,
    private readonly framePool: FramePool | null = null,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes, framePool ? (n) => framePool.alloc(n) : undefined);
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.baseContext = { connectionId: id, remoteAddress: this.remoteAddress, services, logger };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.feed(chunk, this.onFrame);
    } catch (err) {
      this.reject(err);
      return;
    }
    this.maybePause();
  }

  /** A complete frame: dispatch now if this turn's budget allows, else queue it for the next turn. */
  private accept(frame: Buffer): void {
    if (this.closed) return;
    if (this.backlogHead < this.backlog.length) {
      this.backlog.push(frame);
      return;
    }
    const t = currentTurn();
    if (t !== this.budgetTurn) {
      this.budgetTurn = t;
      this.budgetBytes = DISPATCH_BUDGET_BYTES;
    }
    if (this.budgetBytes <= 0) {
      this.backlog.push(frame);
      this.scheduleBacklog();
      return;
    }
    this.budgetBytes -= frame.length;
    this.dispatch(frame);
  }

  private scheduleBacklog(): void {
    if (this.backlogScheduled) return;
    this.backlogScheduled = true;
    setImmediate(this.drainBacklog);
  }

  private runBacklog(): void {
    this.backlogScheduled = false;
    if (this.closed) return;
    this.budgetTurn = currentTurn();
    let budget = DISPATCH_BUDGET_BYTES;
    while (this.backlogHead < this.backlog.length && budget > 0 && !this.closed) {
      const frame = this.backlog[this.backlogHead]!;
      this.backlog[this.backlogHead++] = undefined as unknown as Buffer;
      budget -= frame.length;
      this.dispatch(frame);
    }
    this.budgetBytes = budget;
    if (this.backlogHead < this.backlog.length) {
      this.scheduleBacklog();
    } else {
      this.backlog.length = 0;
      this.backlogHead = 0;
    }
    this.maybePause();
    this.maybeResume();
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, bytes: frame.length, response: null };
    this.slots.push(slot);
    this.inFlightBytes += frame.length;
    let pending: Promise<Buffer[] | null>;
    try {
      pending = this.router.route(frame, this.baseContext);
    } catch (err) {
      this.reject(err);
      return;
    }
    const reusable = this.framePool !== null && frame.length >= 2 && frame.readInt16BE(0) === ProduceApi.apiKey;
    pending.then(
      (response) => {
        if (reusable) this.framePool!.release(frame);
        slot.response = response;
        slot.done = true;
        this.scheduleFlush();
      },
      (err: unknown) => {
        if (reusable) this.framePool!.release(frame);
        this.reject(err);
      },
    );
  }

  /** Responses finished in this tick go out together on the next one (one writev). */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    process.nextTick(this.flushTick);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    const slots = this.slots;
    if (!slots[this.head]?.done) return;
    this.socket.cork();
    while (this.head < slots.length && slots[this.head]!.done) {
      const slot = slots[this.head]!;
      slots[this.head++] = undefined as unknown as Slot;
      this.inFlightBytes -= slot.bytes;
      const response = slot.response;
      if (response) for (let i = 0; i < response.length; i++) this.socket.write(response[i]!);
    }
    if (this.head === slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.slots = slots.slice(this.head);
      this.head = 0;
    }
    this.socket.uncork();
    this.maybeResume();
  }

  private get inFlight(): number {
    return this.slots.length - this.head + (this.backlog.length - this.backlogHead);
  }

  private maybePause(): void {
    if (this.paused || this.closed) return;
    if (this.inFlight >= MAX_IN_FLIGHT || this.inFlightBytes >= MAX_IN_FLIGHT_BYTES || this.backlogHead < this.backlog.length) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (
      this.paused &&
      !this.closed &&
      this.backlogHead === this.backlog.length &&
      this.inFlight < MAX_IN_FLIGHT / 2 &&
      this.inFlightBytes < MAX_IN_FLIGHT_BYTES / 2 &&
      this.socket.writableLength < MAX_WRITE_BACKLOG_BYTES
    ) {
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
    this.slots = [];
    this.head = 0;
    this.backlog.length = 0;
    this.backlogHead = 0;
    this.socket.destroy();
  }
}
