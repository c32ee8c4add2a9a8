/**
 * Keeps the node's MetadataImage: applies committed batches and snapshots from the Raft client, hands
 * each new image to the publishers, and writes a snapshot every
 * `metadata.log.max.record.bytes.between.snapshots` bytes of committed batches.
 *
 * Concurrency: Raft calls the listener methods on the event loop, in order. The image advances
 * synchronously inside those calls (so `image()` is never behind what was delivered); publishers run
 * one batch at a time, in order, each awaited before the next (a slow publisher delays later
 * publications, never reorders them).
 */
import type { Logger } from 'pino';
import type { Runtime, TimerHandle } from '../runtime.js';
import type { CommittedBatch, LeaderAndEpoch, MetadataLogClient, RaftListener, SnapshotContents } from '../raft/types.js';
import { MetadataDelta, type MetadataChanges } from './metadata-delta.js';
import { MetadataImage } from './metadata-image.js';
import { imageToRecords } from './image-records.js';

export const DEFAULT_MAX_BYTES_BETWEEN_SNAPSHOTS = 20 * 1024 * 1024;

export interface MetadataUpdate {
  readonly changes: MetadataChanges;
  /** The image before this update. */
  readonly previous: MetadataImage;
  /** True when the update is a snapshot load (the state was replaced). */
  readonly isSnapshot: boolean;
}

export interface MetadataPublisher {
  readonly name: string;
  onMetadataUpdate(delta: MetadataUpdate, image: MetadataImage): void | Promise<void>;
}

export interface MetadataLoaderOptions {
  readonly log: MetadataLogClient;
  readonly runtime: Runtime;
  readonly logger?: Logger;
  /** metadata.log.max.record.bytes.between.snapshots */
  readonly maxBytesBetweenSnapshots?: number;
}

interface OffsetWaiter {
  readonly offset: number;
  readonly resolve: (image: MetadataImage) => void;
  readonly reject: (err: Error) => void;
  readonly timer: TimerHandle;
}

export class MetadataLoader implements RaftListener {
  private current = MetadataImage.EMPTY;
  private readonly publishers: MetadataPublisher[] = [];
  private publishQueue: Promise<void> = Promise.resolve();
  private waiters: OffsetWaiter[] = [];
  private bytesSinceSnapshot = 0;
  private snapshotInFlight = false;
  private leader: LeaderAndEpoch = { leaderId: null, epoch: -1 };
  private started = false;
  private readonly maxBytesBetweenSnapshots: number;

  constructor(private readonly options: MetadataLoaderOptions) {
    this.maxBytesBetweenSnapshots = options.maxBytesBetweenSnapshots ?? DEFAULT_MAX_BYTES_BETWEEN_SNAPSHOTS;
    if (!(this.maxBytesBetweenSnapshots > 0)) throw new Error('maxBytesBetweenSnapshots must be positive');
  }

  /** Registers with the Raft client: it replays the latest snapshot and committed batches first. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.options.log.register(this);
  }

  close(): void {
    if (this.started) this.options.log.unregister(this);
    this.started = false;
    for (const w of this.waiters) {
      this.options.runtime.timers.clearTimeout(w.timer);
      w.reject(new Error('metadata loader closed'));
    }
    this.waiters = [];
  }

  image(): MetadataImage {
    return this.current;
  }

  leaderAndEpoch(): LeaderAndEpoch {
    return this.leader;
  }

  /** Publishers added later first receive the current image (as a change from the empty image). */
  addPublisher(publisher: MetadataPublisher): void {
    this.publishers.push(publisher);
    if (this.current.offset >= 0) {
      const image = this.current;
      const delta = new MetadataDelta(MetadataImage.EMPTY, true);
      const update: MetadataUpdate = { changes: delta.changes(image), previous: MetadataImage.EMPTY, isSnapshot: true };
      this.enqueue([publisher], update, image);
    }
  }

  removePublisher(name: string): void {
    const i = this.publishers.findIndex((p) => p.name === name);
    if (i >= 0) this.publishers.splice(i, 1);
  }

  /** Resolves with the image once it includes `offset`; rejects after `timeoutMs`. */
  waitForOffset(offset: number, timeoutMs: number): Promise<MetadataImage> {
    if (this.current.offset >= offset) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const timer = this.options.runtime.timers.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`metadata offset ${offset} not reached within ${timeoutMs} ms (at ${this.current.offset})`));
      }, timeoutMs);
      this.waiters.push({ offset, resolve, reject, timer });
    });
  }

  /** Resolves when every publication enqueued so far has been delivered. */
  async drain(): Promise<void> {
    await this.publishQueue;
  }

  handleCommit(batch: CommittedBatch): void {
    if (batch.lastOffset <= this.current.offset) return; // already covered by a snapshot
    const previous = this.current;
    const delta = new MetadataDelta(previous);
    for (const buf of batch.records) {
      try {
        delta.replayBuffer(buf);
      } catch (err) {
        // A record we cannot apply means this node's view diverges from the log: say so loudly, but
        // keep applying the rest (Kafka raises a metadata fault and carries on likewise).
        this.options.logger?.error({ err, baseOffset: batch.baseOffset }, 'metadata record could not be applied');
      }
    }
    this.advance(delta, previous, delta.apply(batch.lastOffset, batch.epoch), false);
    this.bytesSinceSnapshot += batch.sizeBytes;
    if (this.bytesSinceSnapshot >= this.maxBytesBetweenSnapshots) this.maybeSnapshot(batch.appendTimestampMs);
  }

  handleLoadSnapshot(snapshot: SnapshotContents): void {
    const previous = this.current;
    const delta = new MetadataDelta(previous, true);
    for (const buf of snapshot.records) {
      try {
        delta.replayBuffer(buf);
      } catch (err) {
        this.options.logger?.error({ err, snapshotId: snapshot.id }, 'metadata snapshot record could not be applied');
      }
    }
    this.bytesSinceSnapshot = 0;
    this.advance(delta, previous, delta.apply(snapshot.id.endOffset - 1, snapshot.id.epoch), true);
  }

  handleLeaderChange(leader: LeaderAndEpoch): void {
    this.leader = leader;
  }

  private advance(delta: MetadataDelta, previous: MetadataImage, next: MetadataImage, isSnapshot: boolean): void {
    this.current = next;
    const update: MetadataUpdate = { changes: delta.changes(next), previous, isSnapshot };
    this.enqueue(this.publishers.slice(), update, next);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.offset <= next.offset);
      if (ready.length > 0) {
        this.waiters = this.waiters.filter((w) => w.offset > next.offset);
        for (const w of ready) {
          this.options.runtime.timers.clearTimeout(w.timer);
          w.resolve(next);
        }
      }
    }
  }

  private enqueue(publishers: readonly MetadataPublisher[], update: MetadataUpdate, image: MetadataImage): void {
    if (publishers.length === 0) return;
    this.publishQueue = this.publishQueue.then(async () => {
      for (const p of publishers) {
        try {
          await p.onMetadataUpdate(update, image);
        } catch (err) {
          this.options.logger?.error({ err, publisher: p.name, offset: image.offset }, 'metadata publisher failed');
        }
      }
    });
  }

  private maybeSnapshot(lastContainedLogTimestampMs: number): void {
    if (this.snapshotInFlight) return;
    const image = this.current;
    const latest = this.options.log.latestSnapshotId();
    if (latest && latest.endOffset > image.offset) return;
    this.snapshotInFlight = true;
    this.bytesSinceSnapshot = 0;
    const contents: SnapshotContents = {
      id: { endOffset: image.offset + 1, epoch: image.epoch },
      lastContainedLogTimestampMs,
      records: imageToRecords(image),
    };
    this.options.log.createSnapshot(contents).then(
      () => {
        this.snapshotInFlight = false;
        this.options.logger?.info({ endOffset: contents.id.endOffset, records: contents.records.length }, 'metadata snapshot written');
      },
      (err: unknown) => {
        this.snapshotInFlight = false;
        this.options.logger?.warn({ err, endOffset: contents.id.endOffset }, 'metadata snapshot failed');
      },
    );
  }
}
