/**
 * One client connection: frames in, responses out strictly in request order (clients such as
 * kafka-python fail on reordered correlation ids), however the handlers interleave.
 *
 * Memory the broker holds for a client is bounded, as Kafka's SocketServer bounds it by muting a
 * channel (here: pausing the socket, so no new frame is even decoded):
 * - a frame's declared size is reserved from the listener's MemoryPool (`queued.max.request.bytes`)
 *   once its size prefix is read; when the pool is exhausted the connection is muted until memory
 *   is released (the reservation is released when the request's handler settles);
 * - at most `queued.max.requests` requests are in flight (decoded, dispatched or waiting);
 * - nothing is dispatched while the connection's unsent responses (computed but waiting for an
 *   earlier one, plus what the socket has not taken) exceed `maxUnsentResponseBytes`;
 * - one Fetch at a time: a Fetch is dispatched only when no other Fetch of this connection is being
 *   computed and the pool has memory left; its response bytes are charged to the pool until the
 *   socket has taken them. So a client that pipelines fetches and never reads holds at most one
 *   fetch response (≤ fetch.max.bytes) plus the bound above.
 *
 * A malformed or oversized frame (or an internal error) closes this connection only, but
 * gracefully: the requests before it are answered first (a Produce that was appended gets its
 * acknowledgement, so a retrying client does not duplicate it), nothing after it is dispatched.
 *
 * Hot path and fairness:
 * - frames are cut from socket chunks by FrameDecoder.feed (views, no per-chunk arrays);
 * - responses that complete in the same tick are written together: the socket is corked on the
 *   first and uncorked once on the next tick, so they leave in one writev;
 * - each connection may dispatch at most DISPATCH_BUDGET_BYTES of requests per event-loop turn;
 *   frames beyond that wait in a backlog (socket paused) until the next turn, so a connection that
 *   delivers megabytes per read cannot keep the loop from serving the others;
 * - frames cut by a chunk boundary are assembled in FramePool buffers, and a Produce frame goes
 *   back to the pool once its handler has settled: the produce handler resolves only after every
 *   append is written (acks=0 included), and nothing downstream keeps the request bytes. Other
 *   requests are never released (group state, for one, keeps views of JoinGroup metadata).
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameDecoder } from '../network/frame-decoder.js';
import type { FramePool } from '../network/frame-pool.js';
import type { MemoryPool, MemoryPoolWaiter } from '../network/memory-pool.js';
import { FetchApi, ProduceApi } from '../protocol/messages/index.js';
import type { RequestRouter } from './request-router.js';
import { isMalformedRequest } from './request-router.js';
import type { BrokerServices } from './broker-services.js';
import type { RequestContext } from './request-context.js';

interface Slot {
  done: boolean;
  /** The handler failed: no response; the connection closes once the slots before it are answered. */
  failed: boolean;
  fetch: boolean;
  bytes: number;
  response: Buffer[] | null;
  responseBytes: number;
}

export interface ConnectionLimits {
  /** `socket.request.max.bytes`. */
  maxFrameBytes: number;
  /** `queued.max.requests`: requests in flight on one connection before it is muted. */
  maxInFlightRequests: number;
  /** Unsent response bytes (waiting + socket backlog) beyond which nothing more is dispatched. */
  maxUnsentResponseBytes: number;
}

/** Request bytes a connection may have in flight before we stop reading from its socket. */
const MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;
/** Request bytes one connection may dispatch per event-loop turn (at least one frame is always dispatched). */
const DISPATCH_BUDGET_BYTES = 1024 * 1024;

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

function isApi(frame: Buffer, apiKey: number): boolean {
  return frame.length >= 2 && frame.readInt16BE(0) === apiKey;
}

export class ClientConnection<S = BrokerServices> implements MemoryPoolWaiter {
  private readonly decoder: FrameDecoder;
  /** Dispatched requests in arrival order; slots[head..] are live (a ring would not pay here). */
  private slots: Slot[] = [];
  private head = 0;
  private inFlightBytes = 0;
  /** Decoded frames not yet dispatched (budget, a Fetch in progress, a response backlog, no memory). */
  private readonly backlog: Buffer[] = [];
  private backlogHead = 0;
  private backlogScheduled = false;
  private budgetTurn = -1;
  private budgetBytes = 0;
  private flushScheduled = false;
  private paused = false;
  private closed = false;
  /** After a bad frame: answer what was dispatched, dispatch nothing more, then close. */
  private closing = false;
  /** Fetches dispatched and not yet computed (at most one). */
  private fetchesComputing = 0;
  /** Bytes of computed responses waiting for an earlier slot. */
  private unsentBytes = 0;
  /** Fetch response bytes charged to the pool: waiting, or written and not yet taken by the socket. */
  private chargedBytes = 0;
  /** Sizes of charged responses handed to the socket, released in order by its write callbacks. */
  private writtenCharges: number[] = [];
  private writtenChargesHead = 0;
  private waitingForMemory = false;
  /** Last time bytes were read or a response was written (for connections.max.idle.ms). */
  lastActiveMs = Date.now();
  /** socket.writableLength at the last idle check: a change means the peer is reading. */
  lastWritableLength = 0;
  readonly remoteIp: string;
  private readonly remoteAddress: string;
  private readonly baseContext: Omit<RequestContext<S>, 'header' | 'apiVersion'>;
  private readonly onFrame = (frame: Buffer): void => this.accept(frame);
  private readonly flushTick = (): void => this.flush();
  private readonly drainBacklog = (): void => this.runBacklog();
  private readonly onChargedWritten = (): void => this.releaseWrittenCharge();
  private readonly reserveFrame: (sizeBytes: number) => boolean;

  constructor(
    private readonly socket: Socket,
    readonly id: number,
    private readonly router: RequestRouter<S>,
    services: S,
    private readonly logger: Logger,
    private readonly limits: ConnectionLimits,
    private readonly memory: MemoryPool,
    private readonly framePool: FramePool | null = null,
  ) {
    this.reserveFrame = (sizeBytes) => memory.tryReserve(sizeBytes);
    this.decoder = new FrameDecoder(limits.maxFrameBytes, framePool ? (n) => framePool.alloc(n) : undefined, false, this.reserveFrame);
    this.remoteIp = socket.remoteAddress ?? '';
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.baseContext = { connectionId: id, remoteAddress: this.remoteAddress, services, logger };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.pump());
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** True while the broker runs a handler for this connection (it is not idle then). */
  get busy(): boolean {
    return this.slots.length - this.head > 0 && !this.closing;
  }

  /** True while this connection waits for the memory pool (muted by us, not idle by choice). */
  get mutedForMemory(): boolean {
    return this.waitingForMemory;
  }

  get socketWritableLength(): number {
    return this.socket.writableLength;
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.closing) return;
    this.lastActiveMs = Date.now();
    let complete: boolean;
    try {
      complete = this.decoder.feed(chunk, this.onFrame);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!complete) this.waitForMemory();
    this.updateReading();
  }

  /** MemoryPoolWaiter: memory was released; go on with a stalled frame or a waiting Fetch. */
  onMemoryAvailable(): void {
    this.waitingForMemory = false;
    if (this.closed || this.closing) return;
    if (this.decoder.stalled) {
      let complete: boolean;
      try {
        complete = this.decoder.resume(this.onFrame);
      } catch (err) {
        this.fail(err);
        return;
      }
      if (!complete) this.waitForMemory();
    }
    this.pump();
  }

  private waitForMemory(): void {
    if (this.waitingForMemory || this.closed) return;
    this.waitingForMemory = true;
    this.memory.wait(this);
  }

  /** A complete frame: dispatch now if nothing holds it back, else queue it. */
  private accept(frame: Buffer): void {
    if (this.closed || this.closing) {
      this.memory.release(frame.length);
      return;
    }
    if (this.backlogHead < this.backlog.length || !this.mayDispatch(frame)) {
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

  /** Whether `frame` may be dispatched now (budget aside). Registers for memory when that is what is missing. */
  private mayDispatch(frame: Buffer): boolean {
    if (this.slots.length - this.head >= this.limits.maxInFlightRequests) return false;
    if (this.unsentBytes + this.socket.writableLength >= this.limits.maxUnsentResponseBytes) return false;
    if (isApi(frame, FetchApi.apiKey)) {
      if (this.fetchesComputing > 0) return false;
      if (this.memory.available <= 0) {
        this.waitForMemory();
        return false;
      }
    }
    return true;
  }

  private scheduleBacklog(): void {
    if (this.backlogScheduled) return;
    this.backlogScheduled = true;
    setImmediate(this.drainBacklog);
  }

  /** Something that held the backlog back may have changed: dispatch what may go now. */
  private pump(): void {
    if (this.closed) return;
    if (this.backlogHead < this.backlog.length) this.runBacklog(true);
    else this.updateReading();
  }

  private runBacklog(fromPump = false): void {
    if (!fromPump) this.backlogScheduled = false;
    if (this.closed || this.closing) return;
    const t = currentTurn();
    if (t !== this.budgetTurn) {
      this.budgetTurn = t;
      this.budgetBytes = DISPATCH_BUDGET_BYTES;
    }
    while (this.backlogHead < this.backlog.length && this.budgetBytes > 0 && !this.closed && !this.closing) {
      const frame = this.backlog[this.backlogHead]!;
      if (!this.mayDispatch(frame)) break;
      this.backlog[this.backlogHead++] = undefined as unknown as Buffer;
      this.budgetBytes -= frame.length;
      this.dispatch(frame);
    }
    if (this.backlogHead === this.backlog.length) {
      this.backlog.length = 0;
      this.backlogHead = 0;
    } else if (this.budgetBytes <= 0) {
      this.scheduleBacklog();
    }
    this.updateReading();
  }

  private dispatch(frame: Buffer): void {
    const fetch = isApi(frame, FetchApi.apiKey);
    const slot: Slot = { done: false, failed: false, fetch, bytes: frame.length, response: null, responseBytes: 0 };
    this.slots.push(slot);
    this.inFlightBytes += frame.length;
    if (fetch) this.fetchesComputing++;
    const reusable = this.framePool !== null && isApi(frame, ProduceApi.apiKey);
    this.router.route(frame, this.baseContext).then(
      (response) => {
        this.memory.release(frame.length);
        if (reusable) this.framePool!.release(frame);
        if (fetch) this.fetchesComputing--;
        slot.done = true;
        if (this.closed) return;
        if (response) {
          let n = 0;
          for (let i = 0; i < response.length; i++) n += response[i]!.length;
          slot.response = response;
          slot.responseBytes = n;
          this.unsentBytes += n;
          if (fetch) {
            this.memory.charge(n);
            this.chargedBytes += n;
          }
        }
        this.scheduleFlush();
        if (fetch) this.pump();
      },
      (err: unknown) => {
        this.memory.release(frame.length);
        if (reusable) this.framePool!.release(frame);
        if (fetch) this.fetchesComputing--;
        slot.done = true;
        slot.failed = true;
        this.fail(err);
        this.scheduleFlush();
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
    if (slots[this.head]?.done) {
      this.socket.cork();
      while (this.head < slots.length && slots[this.head]!.done) {
        const slot = slots[this.head]!;
        slots[this.head++] = undefined as unknown as Slot;
        this.inFlightBytes -= slot.bytes;
        const response = slot.response;
        if (!response) continue;
        this.unsentBytes -= slot.responseBytes;
        const last = response.length - 1;
        for (let i = 0; i < last; i++) this.socket.write(response[i]!);
        if (slot.fetch) {
          this.writtenCharges.push(slot.responseBytes);
          this.socket.write(response[last]!, this.onChargedWritten);
        } else {
          this.socket.write(response[last]!);
        }
      }
      if (this.head === slots.length) {
        this.slots = [];
        this.head = 0;
      } else if (this.head > 1024) {
        this.slots = slots.slice(this.head);
        this.head = 0;
      }
      this.socket.uncork();
      this.lastActiveMs = Date.now();
    }
    if (this.closing && this.head === this.slots.length) {
      this.finishClosing();
      return;
    }
    this.pump();
  }

  /** A charged Fetch response has left for the kernel (callbacks run in write order). */
  private releaseWrittenCharge(): void {
    if (this.closed || this.writtenChargesHead >= this.writtenCharges.length) return;
    const n = this.writtenCharges[this.writtenChargesHead++]!;
    if (this.writtenChargesHead === this.writtenCharges.length) {
      this.writtenCharges.length = 0;
      this.writtenChargesHead = 0;
    }
    this.chargedBytes -= n;
    this.memory.release(n);
  }

  private get inFlight(): number {
    return this.slots.length - this.head + (this.backlog.length - this.backlogHead);
  }

  /** Mute or unmute the socket: read only while nothing above holds requests back. */
  private updateReading(): void {
    if (this.closed) return;
    const max = this.limits.maxInFlightRequests;
    const unsent = this.unsentBytes + this.socket.writableLength;
    const hold =
      this.closing ||
      this.decoder.stalled ||
      this.backlogHead < this.backlog.length ||
      (this.paused
        ? this.inFlight > max / 2 || this.inFlightBytes >= MAX_IN_FLIGHT_BYTES / 2 || unsent >= this.limits.maxUnsentResponseBytes / 2
        : this.inFlight >= max || this.inFlightBytes >= MAX_IN_FLIGHT_BYTES || unsent >= this.limits.maxUnsentResponseBytes);
    if (hold && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!hold && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** A bad frame or a failed handler: stop reading, answer what came before it, then close. */
  private fail(err: unknown): void {
    if (this.closed || this.closing) return;
    const message = err instanceof Error ? err.message : String(err);
    if (isMalformedRequest(err) || (err instanceof Error && err.name === 'FrameTooLargeError')) {
      this.logger.warn({ connection: this.remoteAddress }, `closing connection: ${message}`);
    } else {
      this.logger.error({ err, connection: this.remoteAddress }, 'closing connection after an internal error');
    }
    this.closing = true;
    this.dropQueued();
    this.updateReading();
    if (this.head === this.slots.length) this.finishClosing();
  }

  /** Everything before the bad frame is answered: half-close so those bytes still leave. */
  private finishClosing(): void {
    if (this.closed) return;
    if (this.socket.writableLength === 0) {
      this.close();
      return;
    }
    this.socket.end();
    this.socket.once('finish', () => this.close());
  }

  /** Frames read but not dispatched, a stalled or half-read frame: give their memory back. */
  private dropQueued(): void {
    for (let i = this.backlogHead; i < this.backlog.length; i++) this.memory.release(this.backlog[i]!.length);
    this.backlog.length = 0;
    this.backlogHead = 0;
    if (this.waitingForMemory) {
      this.memory.cancel(this);
      this.waitingForMemory = false;
    }
    const reserved = this.decoder.reservedBytes;
    if (reserved > 0) {
      this.memory.release(reserved);
      this.decoder.abandon();
    }
  }

  /** Closes at once (shutdown, idle expiry, limits, a socket error); handlers in flight release their memory as they settle. */
  close(): void {
    if (this.closed) return;
    this.dropQueued();
    this.closed = true;
    this.slots = [];
    this.head = 0;
    this.unsentBytes = 0;
    if (this.chargedBytes > 0) this.memory.release(this.chargedBytes);
    this.chargedBytes = 0;
    this.writtenCharges = [];
    this.writtenChargesHead = 0;
    this.socket.destroy();
  }
}
