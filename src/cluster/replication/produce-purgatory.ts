/**
 * acks=all Produce requests waiting for the ISR (Kafka's DelayedProduce in its purgatory): each waits,
 * per partition, until the high watermark passes its last offset, then answers NONE — or
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR had shrunk below min.insync.replicas by then. Leadership
 * lost: NOT_LEADER_OR_FOLLOWER. The request's timeout: REQUEST_TIMED_OUT.
 *
 * Waiters of one partition are kept in append order, so a high watermark move completes a prefix.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { TimerHandle, Timers } from '../runtime.js';

interface Waiter {
  /** The high watermark that acknowledges it: its last offset + 1. */
  readonly requiredOffset: number;
  readonly resolve: () => void;
  readonly reject: (err: KafkaError) => void;
  timer: TimerHandle | null;
}

export class ProducePurgatory {
  private readonly waiting = new Map<string, Waiter[]>();

  constructor(private readonly timers: Timers) {}

  /** Resolves once `check(highWatermark)` passes for a high watermark at or past `requiredOffset`. */
  wait(key: string, requiredOffset: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { requiredOffset, resolve, reject, timer: null };
      let list = this.waiting.get(key);
      if (!list) this.waiting.set(key, (list = []));
      list.push(waiter);
      waiter.timer = this.timers.setTimeout(() => {
        const l = this.waiting.get(key);
        const i = l?.indexOf(waiter) ?? -1;
        if (i >= 0) l!.splice(i, 1);
        if (l?.length === 0) this.waiting.delete(key);
        reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the in-sync replicas did not acknowledge the write within ${timeoutMs} ms`));
      }, Math.max(0, timeoutMs));
    });
  }

  /**
   * The partition's high watermark is now `highWatermark`: waiters it covers complete — with
   * `afterAppendError` (NOT_ENOUGH_REPLICAS_AFTER_APPEND) when given.
   */
  complete(key: string, highWatermark: number, afterAppendError: KafkaError | null): void {
    const list = this.waiting.get(key);
    if (!list) return;
    let n = 0;
    while (n < list.length && list[n]!.requiredOffset <= highWatermark) n++;
    if (n === 0) return;
    const done = list.splice(0, n);
    if (list.length === 0) this.waiting.delete(key);
    for (const w of done) {
      this.timers.clearTimeout(w.timer);
      if (afterAppendError) w.reject(afterAppendError);
      else w.resolve();
    }
  }

  /** Every waiter of the partition fails with `err` (leadership lost, replica stopped). */
  failAll(key: string, err: KafkaError): void {
    const list = this.waiting.get(key);
    if (!list) return;
    this.waiting.delete(key);
    for (const w of list) {
      this.timers.clearTimeout(w.timer);
      w.reject(err);
    }
  }

  size(): number {
    let n = 0;
    for (const l of this.waiting.values()) n += l.length;
    return n;
  }

  close(err: KafkaError): void {
    for (const key of [...this.waiting.keys()]) this.failAll(key, err);
  }
}
