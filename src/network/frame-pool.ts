/**
 * Reusable buffers for request frames that span socket chunks.
 *
 * Why: a fresh ArrayBuffer per large frame lives until its bytes are on disk, so it survives a
 * scavenge or two and is promoted; the external memory promoted buffers carry counts against V8's
 * global memory limit, which at hundreds of MB/s started a mark-compact every few tens of
 * milliseconds (measured: 29% of the broker's main thread producing 1 KiB records in 256 KiB
 * batches). Reused buffers stay allocated, so that churn is gone.
 *
 * Buffers come in power-of-two classes from MIN_POOLED_BYTES to MAX_POOLED_BYTES; a frame is a
 * view of the start of its class buffer. Only the owner who knows a frame is no longer referenced
 * releases it (for the broker: a Produce request once its appends are written); a frame never
 * released is simply garbage collected. Free buffers beyond `maxRetainedBytes` are dropped, and
 * all of them after `idleTrimMs` without use, so an idle broker does not keep a burst's memory.
 */

export const MIN_POOLED_BYTES = 16 * 1024;
export const MAX_POOLED_BYTES = 1024 * 1024;

export interface FramePoolOptions {
  /** Free bytes kept for reuse at most. Default 32 MiB. */
  maxRetainedBytes?: number;
  /** Free buffers are dropped when none was taken for this long. Default 30 s. */
  idleTrimMs?: number;
}

function classOf(size: number): number {
  let c = MIN_POOLED_BYTES;
  while (c < size) c *= 2;
  return c;
}

export class FramePool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Buffers handed out and not yet released: a second release of the same frame is ignored. */
  private readonly lent = new WeakSet<ArrayBuffer>();
  private retainedBytes = 0;
  private usedSinceTrim = false;
  private readonly trimTimer: NodeJS.Timeout;
  private readonly maxRetainedBytes: number;

  constructor(options: FramePoolOptions = {}) {
    this.maxRetainedBytes = options.maxRetainedBytes ?? 32 * 1024 * 1024;
    this.trimTimer = setInterval(() => this.trimIfIdle(), options.idleTrimMs ?? 30_000);
    this.trimTimer.unref();
  }

  /** Free bytes held for reuse. */
  get retained(): number {
    return this.retainedBytes;
  }

  /** A buffer of exactly `size` bytes (contents undefined): pooled within the class range. */
  alloc(size: number): Buffer {
    if (size < MIN_POOLED_BYTES || size > MAX_POOLED_BYTES) return Buffer.allocUnsafe(size);
    this.usedSinceTrim = true;
    const cls = classOf(size);
    const list = this.free.get(cls);
    let ab = list?.pop();
    if (ab) this.retainedBytes -= cls;
    else ab = new ArrayBuffer(cls);
    this.lent.add(ab);
    return Buffer.from(ab, 0, size);
  }

  /** Gives back a frame from `alloc`; the caller guarantees nothing references its bytes any more. */
  release(frame: Buffer): void {
    const ab = frame.buffer;
    if (!(ab instanceof ArrayBuffer) || frame.byteOffset !== 0 || !this.lent.delete(ab)) return;
    const cls = ab.byteLength;
    if (this.retainedBytes + cls > this.maxRetainedBytes) return;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(ab);
    this.retainedBytes += cls;
  }

  private trimIfIdle(): void {
    if (!this.usedSinceTrim) {
      this.free.clear();
      this.retainedBytes = 0;
    }
    this.usedSinceTrim = false;
  }

  close(): void {
    clearInterval(this.trimTimer);
    this.free.clear();
    this.retainedBytes = 0;
  }
}
