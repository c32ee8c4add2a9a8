/**
 * Bounded producer memory (`buffer.memory`): bytes are reserved when a record enters the
 * accumulator and released when its batch completes. When full, `reserve` waits (FIFO) — that is
 * the producer's backpressure — for at most `maxBlockMs`.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class BufferPool {
  private availableBytes: number;
  private readonly waiters: Waiter[] = [];

  constructor(readonly totalBytes: number) {
    this.availableBytes = totalBytes;
  }

  get available(): number {
    return this.availableBytes;
  }

  get used(): number {
    return this.totalBytes - this.availableBytes;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Takes `bytes` now if they are free and nobody is queued; false otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || bytes > this.availableBytes) return false;
    this.availableBytes -= bytes;
    return true;
  }

  /** Waits until `bytes` are free (in arrival order), or fails after `maxBlockMs`. */
  reserve(bytes: number, maxBlockMs: number): Promise<void> {
    if (bytes > this.totalBytes) {
      return Promise.reject(
        new KafkaError(ErrorCode.RECORD_LIST_TOO_LARGE, `a record of ${bytes} bytes does not fit in bufferMemory (${this.totalBytes} bytes)`),
      );
    }
    if (this.tryReserve(bytes)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `no room in bufferMemory (${this.totalBytes} bytes) within maxBlockMs ${maxBlockMs}`));
          this.wake();
        }, maxBlockMs),
      };
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.availableBytes += bytes;
    if (this.availableBytes > this.totalBytes) throw new Error(`BufferPool: released more than reserved (${this.availableBytes} > ${this.totalBytes})`);
    this.wake();
  }

  /** Fails every waiter (producer closed). */
  rejectAll(err: Error): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.waiters[0]!.bytes <= this.availableBytes) {
      const w = this.waiters.shift()!;
      clearTimeout(w.timer);
      this.availableBytes -= w.bytes;
      w.resolve();
    }
  }
}
