/**
 * Keeps a producer's transactional batches for one partition in the order their Produce requests
 * arrived while some of them wait for KIP-890 verification.
 *
 * Why: requests of one connection are handled concurrently here (Kafka mutes the connection until each
 * is answered). A batch that must ask the coordinator waits a round trip before it reaches the log; the
 * producer's next batch for the partition, pipelined behind it, may need no verification (an earlier
 * batch opened the transaction meanwhile) and would reach the log first — a sequence gap, answered
 * OUT_OF_ORDER_SEQUENCE_NUMBER, which is fatal to a transactional producer (franz-go's TestTxnEtl found
 * it). So each request takes a turn on every (producer id, partition) it writes before it decides
 * whether to verify, and gives the turns back once its appends are handed to their logs (the logs keep
 * call order from there: storage/append-sequencer.ts), not once they are replicated.
 *
 * A request waits only for turns taken before its own, so waits cannot form a cycle. One per broker,
 * used on the event loop only.
 */
export class ProducerAppendOrder {
  private readonly tails = new Map<string, Promise<void>>();

  /** The key of one producer's batches on one partition. */
  static key(producerId: number, topic: string, partition: number): string {
    return `${producerId}\u0000${topic}\u0000${partition}`;
  }

  /**
   * Takes the turn on each key now (synchronously, in call order) and resolves once every earlier turn on
   * them was given back, with the function that gives these back (idempotent). It must be called.
   */
  async turn(keys: readonly string[]): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const earlier: Array<Promise<void>> = [];
    for (const k of new Set(keys)) {
      const previous = this.tails.get(k);
      if (previous !== undefined) earlier.push(previous);
      this.tails.set(k, mine);
    }
    let released = false;
    const giveBack = (): void => {
      if (released) return;
      released = true;
      release();
      for (const k of keys) if (this.tails.get(k) === mine) this.tails.delete(k);
    };
    if (earlier.length > 0) await Promise.all(earlier);
    return giveBack;
  }

  /** Keys with a turn outstanding (for tests and invariants). */
  get size(): number {
    return this.tails.size;
  }
}
