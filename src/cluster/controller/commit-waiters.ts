/**
 * Requests waiting for their records to commit: each resolves once the committed offset reaches its
 * batch's last offset, or fails on timeout (REQUEST_TIMED_OUT) or when the controller resigns.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Runtime, TimerHandle } from '../runtime.js';

interface CommitWaiter {
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: TimerHandle;
}

export class CommitWaiters {
  private waiters: CommitWaiter[] = [];

  constructor(private readonly runtime: Runtime) {}

  /** Resolves once `complete(offset')` is called with offset' ≥ `offset`. */
  wait(offset: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = this.runtime.timers.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `metadata offset ${offset} not committed within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ offset, resolve, reject, timer });
    });
  }

  /** Everything up to `committedOffset` is committed. */
  complete(committedOffset: number): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.offset <= committedOffset);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.offset > committedOffset);
    for (const w of ready) {
      this.runtime.timers.clearTimeout(w.timer);
      w.resolve();
    }
  }

  failAll(err: () => Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      this.runtime.timers.clearTimeout(w.timer);
      w.reject(err());
    }
  }

  size(): number {
    return this.waiters.length;
  }
}
