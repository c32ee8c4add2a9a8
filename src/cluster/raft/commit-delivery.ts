/**
 * Hands committed batches to the registered listeners: each listener has its own cursor (the next offset
 * it has not seen), starts from the latest snapshot, and gets every data batch below the high watermark
 * once, in order. Control batches move the cursor but are not delivered.
 *
 * Leader changes: a listener hears "this node leads epoch E" only once its cursor has passed E's
 * LeaderChangeMessage, i.e. once it has seen everything committed by earlier leaders (what a controller
 * needs before it writes). Other changes are delivered at once.
 */
import type { RaftLog } from './raft-log.js';
import { decodeRaftBatches } from './raft-log.js';
import type { LeaderAndEpoch, RaftListener } from './types.js';

interface ListenerContext {
  readonly listener: RaftListener;
  nextOffset: number;
  lastNotified: LeaderAndEpoch | null;
}

export interface DeliveryView {
  highWatermark(): number | null;
  leaderAndEpoch(): LeaderAndEpoch;
  /** When this node leads: the offset of its epoch's LeaderChangeMessage, else null. */
  leaderEpochStartOffset(): number | null;
  /**
   * Runs a log read in the client's serial chain, so that it never overlaps a truncation or a snapshot
   * install (which reopens the file log).
   */
  withLog<T>(fn: (log: RaftLog) => Promise<T>): Promise<T>;
}

/** Bytes read from the log per step of delivery. */
const READ_BYTES = 1024 * 1024;

export class CommitDelivery {
  private readonly contexts: ListenerContext[] = [];
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly log: RaftLog, private readonly view: DeliveryView, private readonly onError: (err: unknown) => void) {}

  register(listener: RaftListener): void {
    if (this.contexts.some((c) => c.listener === listener)) return;
    this.contexts.push({ listener, nextOffset: 0, lastNotified: null });
    this.kick();
  }

  unregister(listener: RaftListener): void {
    const i = this.contexts.findIndex((c) => c.listener === listener);
    if (i >= 0) this.contexts.splice(i, 1);
  }

  /** Runs delivery until every listener is caught up (coalescing calls made meanwhile). */
  kick(): Promise<void> {
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.again = false;
          for (const ctx of [...this.contexts]) await this.catchUp(ctx);
        } while (this.again);
      } catch (err) {
        this.onError(err);
      }
    };
    // Cleared in a later microtask, after the assignment (a run with nothing to do completes synchronously).
    this.running = run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async catchUp(ctx: ListenerContext): Promise<void> {
    const snapshotId = this.log.latestSnapshotId();
    if (snapshotId !== null && (ctx.nextOffset < this.log.startOffset() || (ctx.nextOffset === 0 && snapshotId.endOffset > 0))) {
      const snapshot = await this.view.withLog((log) => log.readSnapshot(snapshotId));
      if (snapshot === null) throw new Error(`snapshot ${snapshotId.endOffset}-${snapshotId.epoch} vanished`);
      if (!this.contexts.includes(ctx)) return;
      ctx.listener.handleLoadSnapshot(snapshot);
      ctx.nextOffset = snapshotId.endOffset;
    }
    for (;;) {
      this.notifyLeader(ctx);
      const hw = this.view.highWatermark();
      if (hw === null || ctx.nextOffset >= hw || ctx.nextOffset < this.log.startOffset()) return;
      const from = ctx.nextOffset;
      const batches = decodeRaftBatches(await this.view.withLog((log) => log.read(from, READ_BYTES)));
      let progressed = false;
      for (const b of batches) {
        if (b.lastOffset >= hw || !this.contexts.includes(ctx)) break;
        if (b.lastOffset < ctx.nextOffset) continue;
        if (b.baseOffset !== ctx.nextOffset) throw new Error(`commit delivery gap: expected ${ctx.nextOffset}, found batch at ${b.baseOffset}`);
        if (!b.isControl) {
          ctx.listener.handleCommit({
            baseOffset: b.baseOffset,
            lastOffset: b.lastOffset,
            epoch: b.epoch,
            appendTimestampMs: b.appendTimestampMs,
            records: b.records.map((r) => r.value),
            sizeBytes: b.sizeBytes,
          });
        }
        ctx.nextOffset = b.lastOffset + 1;
        progressed = true;
      }
      if (!progressed) return;
    }
  }

  private notifyLeader(ctx: ListenerContext): void {
    const current = this.view.leaderAndEpoch();
    const last = ctx.lastNotified;
    if (last !== null && last.epoch === current.epoch && last.leaderId === current.leaderId) return;
    const start = this.view.leaderEpochStartOffset();
    if (start !== null && ctx.nextOffset <= start) return; // not caught up with the previous leaders yet
    ctx.lastNotified = current;
    ctx.listener.handleLeaderChange(current);
  }
}
