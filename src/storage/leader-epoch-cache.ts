/**
 * Kafka's leader epoch cache (LeaderEpochFileCache): for each leader epoch that wrote to the log, the offset
 * of its first batch. A leader answers OffsetForLeaderEpoch from it, and a follower truncates with it where
 * its log diverged from its leader's. Entries are ascending in both epoch and start offset; `assign` keeps
 * that true by dropping the entries a new one contradicts, as Kafka does.
 *
 * The cache is persisted as `leader-epoch-checkpoint` in the partition directory, Kafka's text format:
 * a version line (0), a count line, then one `<epoch> <startOffset>` line per entry. PartitionLog owns the
 * file (see log-epochs.ts); this module is the data structure and the format only.
 */

/** OffsetForLeaderEpoch's "no such epoch" (Kafka's OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH). */
export const UNDEFINED_EPOCH = -1;
/** OffsetForLeaderEpoch's "no end offset" (UNDEFINED_EPOCH_OFFSET). */
export const UNDEFINED_EPOCH_OFFSET = -1;
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export class LeaderEpochCache {
  private list: EpochEntry[] = [];

  /** Entries are assigned in order, so a file that is not monotonic comes out as Kafka would read it. */
  constructor(entries: readonly EpochEntry[] = []) {
    for (const e of entries) this.assign(e.epoch, e.startOffset);
  }

  /** The entries, oldest first (a live view: do not keep it across changes). */
  entries(): readonly EpochEntry[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  latestEntry(): EpochEntry | undefined {
    return this.list[this.list.length - 1];
  }

  /** The latest epoch that wrote to the log, or null when none is known. */
  latestEpoch(): number | null {
    return this.latestEntry()?.epoch ?? null;
  }

  earliestEntry(): EpochEntry | undefined {
    return this.list[0];
  }

  /**
   * Records that `epoch` starts at `startOffset`; returns true when the cache changed. Kafka's rules: the
   * latest epoch assigned again at or after its start changes nothing (the common case: one comparison per
   * append); anything else removes, from the end, every entry whose epoch is ≥ `epoch` or whose start offset
   * is ≥ `startOffset`, then appends the new entry. So a newer epoch starting earlier than the latest entries
   * replaces them, and an older epoch replaces the newer ones (a log's epochs are never out of order).
   */
  assign(epoch: number, startOffset: number): boolean {
    const last = this.list[this.list.length - 1];
    if (last !== undefined && last.epoch === epoch && startOffset >= last.startOffset) return false;
    if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset) || startOffset < 0) {
      throw new RangeError(`invalid leader epoch entry ${epoch} at ${startOffset}`);
    }
    let keep = this.list.length;
    while (keep > 0 && (this.list[keep - 1]!.epoch >= epoch || this.list[keep - 1]!.startOffset >= startOffset)) keep--;
    this.list = [...this.list.slice(0, keep), { epoch, startOffset }];
    return true;
  }

  /** Removes every entry starting at or after `endOffset` (the log was truncated there); true when changed. */
  truncateFromEnd(endOffset: number): boolean {
    let keep = this.list.length;
    while (keep > 0 && this.list[keep - 1]!.startOffset >= endOffset) keep--;
    if (keep === this.list.length) return false;
    this.list = this.list.slice(0, keep);
    return true;
  }

  /**
   * The log now starts at `startOffset`: entries starting at or before it are removed, except the latest of
   * them, which is kept with its start raised to `startOffset` (it covers the first offset still in the log).
   * An entry starting exactly there is kept as it is. Returns true when the cache changed.
   */
  truncateFromStart(startOffset: number): boolean {
    let covered = 0;
    while (covered < this.list.length && this.list[covered]!.startOffset <= startOffset) covered++;
    if (covered === 0) return false;
    const floor = this.list[covered - 1]!;
    if (covered === 1 && floor.startOffset === startOffset) return false;
    this.list = [{ epoch: floor.epoch, startOffset }, ...this.list.slice(covered)];
    return true;
  }

  /** Removes every entry; true when there was one. */
  clear(): boolean {
    if (this.list.length === 0) return false;
    this.list = [];
    return true;
  }

  /**
   * Kafka's endOffsetFor: the largest epoch ≤ `requestedEpoch` and the end of that epoch, which is the start
   * offset of the next larger epoch, or `logEndOffset` for the latest epoch.
   * - UNDEFINED_EPOCH requested, or an epoch above every known one: {UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET}.
   * - An epoch below the first known one: {requestedEpoch, start of the first epoch}: what came before is no
   *   longer in the log, so a follower replicates from the leader's first epoch on.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    const latest = this.latestEntry();
    if (latest !== undefined && latest.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    let higher = 0;
    while (higher < this.list.length && this.list[higher]!.epoch <= requestedEpoch) higher++;
    if (higher === this.list.length) return undefinedAnswer;
    const next = this.list[higher]!;
    if (higher === 0) return { epoch: requestedEpoch, endOffset: next.startOffset };
    return { epoch: this.list[higher - 1]!.epoch, endOffset: next.startOffset };
  }
}

export function formatEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return ['0', String(entries.length), ...entries.map((e) => `${e.epoch} ${e.startOffset}`)].join('\n') + '\n';
}

/** Parses a leader-epoch-checkpoint; throws EpochCheckpointError when the text is malformed. */
export function parseEpochCheckpoint(text: string): EpochEntry[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2 || lines[0]!.trim() !== '0') throw new EpochCheckpointError('bad version line');
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count !== lines.length - 2) throw new EpochCheckpointError('bad count');
  return lines.slice(2).map((l) => {
    const parts = l.trim().split(/\s+/);
    const [e, o] = parts.map(Number);
    if (parts.length !== 2 || !Number.isSafeInteger(e) || !Number.isSafeInteger(o) || e! < 0 || o! < 0) {
      throw new EpochCheckpointError(`bad line '${l}'`);
    }
    return { epoch: e!, startOffset: o! };
  });
}

/** A leader-epoch-checkpoint that cannot be parsed (the owner rebuilds the cache from the log). */
export class EpochCheckpointError extends Error {
  constructor(reason: string) {
    super(`${LEADER_EPOCH_CHECKPOINT_FILE}: ${reason}`);
    this.name = 'EpochCheckpointError';
  }
}
