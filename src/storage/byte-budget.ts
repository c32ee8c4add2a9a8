/**
 * A shared allowance of bytes, taken before a large transient buffer is made and given back after: what
 * bounds how much memory decompressing client batches may hold at once, however many requests arrive.
 * Waiters are served in arrival order, so a large request is not starved by a stream of small ones.
 */
export class ByteBudget {
  private available: number;
  private readonly waiters: Array<{ bytes: number; resolve: () => void }> = [];

  constructor(readonly capacityBytes: number) {
    this.available = capacityBytes;
  }

  get availableBytes(): number {
    return this.available;
  }

  /** Waits until `bytes` (at most the capacity) are free, takes them and returns the function that gives them back. */
  async acquire(bytes: number): Promise<() => void> {
    const n = Math.min(Math.max(0, bytes), this.capacityBytes);
    if (this.waiters.length > 0 || n > this.available) {
      await new Promise<void>((resolve) => this.waiters.push({ bytes: n, resolve }));
    } else {
      this.available -= n;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.available += n;
      this.wake();
    };
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.waiters[0]!.bytes <= this.available) {
      const w = this.waiters.shift()!;
      this.available -= w.bytes;
      w.resolve();
    }
  }
}
