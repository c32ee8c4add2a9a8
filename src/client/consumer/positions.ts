/**
 * Finds positions for partitions that have none: the committed offset (OffsetFetch) when the
 * consumer has a group, else — or when nothing is committed — the reset policy (ListOffsets
 * earliest / latest). 'none' fails the partition with NoOffset-style OFFSET_OUT_OF_RANGE until
 * the application seeks. One lookup runs at a time; triggers meanwhile cause one more round.
 * A lookup is discarded for a partition whose position was moved (seek) while it ran.
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import { isRetriableError } from '../errors.js';
import { fetchCommitted, listOffsets } from './offsets.js';
import type { ResolvedConsumerOptions } from './options.js';
import type { Assignment, PartitionState } from './partition-state.js';
import { formatTp } from './types.js';

export interface PositionHooks {
  resolved(): void;
  error(err: Error): void;
}

export class PositionResolver {
  private running = false;
  private again = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly assignment: Assignment,
    private readonly opts: ResolvedConsumerOptions,
    private readonly log: Logger,
    private readonly hooks: PositionHooks,
  ) {}

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  trigger(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
    });
  }

  /** Resolves when no lookup is running or pending (for tests and `position()` callers). */
  async settle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.running || [...this.assignment.states()].some((s) => s.need !== null && !s.failed)) && Date.now() < deadline && !this.closed) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      const pending = [...this.assignment.states()].filter((s) => s.need !== null && !s.resolving && !s.failed);
      if (pending.length === 0) continue;
      for (const s of pending) s.resolving = true;
      const epochs = new Map<PartitionState, number>(pending.map((s) => [s, s.epoch]));
      const current = (s: PartitionState): boolean => s.assigned && s.epoch === epochs.get(s);
      try {
        await this.resolve(pending, current);
      } catch (err) {
        if (this.closed) return;
        if (isRetriableError(err)) {
          this.log.debug({ err: (err as Error).message }, 'position lookup failed; retrying');
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = null;
            this.trigger();
          }, Math.max(100, this.opts.retryBackoffMs));
          this.retryTimer.unref();
        } else {
          this.hooks.error(err as Error);
        }
      } finally {
        for (const s of pending) s.resolving = false;
      }
      this.hooks.resolved();
    } while (this.again && !this.closed);
  }

  private async resolve(pending: readonly PartitionState[], current: (s: PartitionState) => boolean): Promise<void> {
    const policy = this.opts.autoOffsetReset;
    const wantCommitted = pending.filter((s) => s.need === 'committed');
    if (wantCommitted.length > 0) {
      if (this.opts.groupId === null) {
        for (const s of wantCommitted) s.need = policy;
      } else {
        const committed = await fetchCommitted(this.cluster, this.opts.groupId, wantCommitted.map((s) => s.tp), this.opts.isolationLevel === 1);
        for (const s of wantCommitted) {
          if (!current(s) || s.need !== 'committed') continue;
          const c = committed.get(s.key);
          if (c && c.offset >= 0) {
            s.moveTo(c.offset);
            s.committed = c.offset;
            this.log.debug({ partition: formatTp(s), offset: c.offset }, 'position from committed offset');
          } else {
            s.need = policy;
          }
        }
      }
    }
    for (const [need, timestamp] of [['earliest', -2], ['latest', -1]] as const) {
      const list = pending.filter((s) => current(s) && s.need === need);
      if (list.length === 0) continue;
      const offsets = await listOffsets(this.cluster, list.map((s) => s.tp), timestamp, this.opts.isolationLevel);
      for (const s of list) {
        const o = offsets.get(s.key);
        if (o === undefined || !current(s) || s.need !== need) continue;
        s.moveTo(o);
        this.log.debug({ partition: formatTp(s), offset: o, reset: need }, 'position reset');
      }
    }
    const none = pending.filter((s) => current(s) && s.need === 'none');
    if (none.length > 0) {
      for (const s of none) s.failed = true;
      this.hooks.error(
        new KafkaError(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          `no committed offset for ${none.map(formatTp).join(', ')} and autoOffsetReset is 'none'; seek() to an offset or use 'earliest' / 'latest'`,
        ),
      );
    }
  }
}
