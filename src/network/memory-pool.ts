/**
 * A byte budget shared by every connection of a listener: Kafka's MemoryPool (KIP-72,
 * `queued.max.request.bytes`). A connection reserves a request's declared size as soon as it has
 * read the size prefix, before it allocates the frame buffer; when the pool is exhausted the
 * connection stops reading (is muted) and waits here until memory is released.
 *
 * Like Kafka's broker pool it is not strict: a reservation succeeds while any memory is available,
 * even if it is larger than what is left, so one large request cannot be starved by a stream of
 * small ones. The pool can therefore overshoot its capacity by at most one reservation per
 * connection that reserved while memory was left (in practice one `socket.request.max.bytes`).
 *
 * Response bytes the broker holds for slow readers are charged here too (`charge`), because unlike
 * Kafka's zero-copy fetch responses ours live in the process until the socket has taken them.
 *
 * Single-threaded (the event loop); waiters are woken on a later turn, never inside `release`,
 * so a release from deep inside a handler cannot re-enter a connection.
 */

export interface MemoryPoolWaiter {
  /** Called once memory is available again; the waiter may reserve, or wait again. */
  onMemoryAvailable(): void;
}

export class MemoryPool {
  private usedBytes = 0;
  private readonly waiters: MemoryPoolWaiter[] = [];
  private wakeScheduled = false;
  private readonly wakeTick = (): void => this.wake();

  /** `capacityBytes` ≤ 0 or not finite = unbounded (Kafka's -1). */
  constructor(readonly capacityBytes: number) {}

  get unbounded(): boolean {
    return !(this.capacityBytes > 0 && Number.isFinite(this.capacityBytes));
  }

  get used(): number {
    return this.usedBytes;
  }

  /** Bytes left (negative after an overshoot); Infinity when unbounded. */
  get available(): number {
    return this.unbounded ? Infinity : this.capacityBytes - this.usedBytes;
  }

  /** Reserves `sizeBytes` if any memory is left (non-strict, as Kafka's broker pool). */
  tryReserve(sizeBytes: number): boolean {
    if (!this.unbounded && this.usedBytes >= this.capacityBytes) return false;
    this.usedBytes += sizeBytes;
    return true;
  }

  /** Counts bytes that already exist (a computed response); may push the pool over capacity. */
  charge(sizeBytes: number): void {
    this.usedBytes += sizeBytes;
  }

  release(sizeBytes: number): void {
    this.usedBytes -= sizeBytes;
    if (this.usedBytes < 0) throw new Error(`memory pool released more than it lent (used ${this.usedBytes})`);
    if (this.waiters.length > 0 && !this.wakeScheduled && this.usedBytes < this.capacityBytes) {
      this.wakeScheduled = true;
      setImmediate(this.wakeTick);
    }
  }

  /** Registers a muted connection; idempotent. */
  wait(waiter: MemoryPoolWaiter): void {
    if (!this.waiters.includes(waiter)) this.waiters.push(waiter);
  }

  cancel(waiter: MemoryPoolWaiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Wakes waiters in arrival order while memory is left; those that cannot proceed wait again. */
  private wake(): void {
    this.wakeScheduled = false;
    const batch = this.waiters.splice(0, this.waiters.length);
    for (let i = 0; i < batch.length; i++) {
      if (!this.unbounded && this.usedBytes >= this.capacityBytes) {
        // Out of memory again: the rest keep their place at the front.
        this.waiters.unshift(...batch.slice(i));
        return;
      }
      batch[i]!.onMemoryAvailable();
    }
  }
}
