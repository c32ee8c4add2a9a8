/**
 * Keeps a partition's appends in call order when some of them must first be prepared asynchronously
 * (deferred-validation.ts: decompress, walk, recompress). Offsets are assigned when a set is handed to the
 * write queue, so a set may be handed over only after every set called before it: a set that needs no
 * preparation still waits here while an earlier one is being prepared. With nothing pending, callers hand
 * over synchronously and never touch this (the fast path).
 */
export class AppendSequencer {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  /** True when no append is waiting here, so the next one may be handed over at once. */
  get idle(): boolean {
    return this.pending === 0;
  }

  /** Hands `prepared`'s value to `handOver` once every append queued before it has been handed over. */
  async run<P, R>(prepared: Promise<P>, handOver: (value: P) => R): Promise<Awaited<R>> {
    const previous = this.tail;
    let handedOver!: () => void;
    this.tail = new Promise<void>((resolve) => (handedOver = resolve));
    this.pending++;
    let result: R;
    try {
      // Whether it succeeds or fails, this append settles only after the ones before it were handed over.
      const value = await prepared.finally(() => previous);
      result = handOver(value);
    } finally {
      this.pending--;
      handedOver();
    }
    return await result;
  }
}
