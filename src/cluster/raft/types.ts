/**
 * The seam between the Raft quorum (`raft/`) and what runs on top of the metadata log (the metadata
 * loader and the controller, `metadata/` and `controller/`). Offsets are log offsets of
 * `__cluster_metadata-0`; records are the values of the log's data records, each one metadata record
 * framed as Kafka's ApiMessageAndVersion (see `metadata/record-serde.ts`). Control records
 * (LeaderChangeMessage, snapshot header/footer) never reach a listener.
 */

export interface LeaderAndEpoch {
  /** The leader of `epoch`, or null while an election is on (or the leader is not known yet). */
  readonly leaderId: number | null;
  readonly epoch: number;
}

/** One committed batch of data records, delivered once, in offset order. */
export interface CommittedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The leader epoch the batch was written in. */
  readonly epoch: number;
  readonly appendTimestampMs: number;
  /** Each record's value: one framed metadata record. */
  readonly records: readonly Buffer[];
  /** Bytes of the batch in the log (what `metadata.log.max.record.bytes.between.snapshots` counts). */
  readonly sizeBytes: number;
}

export interface SnapshotId {
  /** Exclusive: the snapshot holds the state of every record below this offset. */
  readonly endOffset: number;
  /** The epoch of the last record it contains. */
  readonly epoch: number;
}

export interface SnapshotContents {
  readonly id: SnapshotId;
  readonly lastContainedLogTimestampMs: number;
  readonly records: readonly Buffer[];
}

export interface RaftListener {
  /** Committed data batches, in order, each once. Called on the event loop; must not throw. */
  handleCommit(batch: CommittedBatch): void;
  /**
   * The state as of a snapshot: called instead of the batches it covers (at start when the log begins
   * with a snapshot, or when a follower fetched one from the leader). The listener replaces its state.
   */
  handleLoadSnapshot(snapshot: SnapshotContents): void;
  /** The leader or epoch changed (including to "no leader known" at the start of an election). */
  handleLeaderChange(leader: LeaderAndEpoch): void;
}

/** What the metadata loader and the controller use of the Raft client. */
export interface MetadataLogClient {
  readonly nodeId: number;
  /**
   * Adds a listener. It is first brought up to date (the latest snapshot, then every committed batch
   * after it) and then called for each new commit, as Kafka's RaftClient.register does.
   */
  register(listener: RaftListener): void;
  unregister(listener: RaftListener): void;
  leaderAndEpoch(): LeaderAndEpoch;
  /** The high watermark (exclusive: offsets below it are committed), or null until it is known. */
  highWatermark(): number | null;
  /**
   * Appends `records` as one batch in `epoch` on the leader. Resolves with the batch's last offset
   * once it is in the leader's log (commitment is seen through handleCommit). Rejects with
   * NotLeaderError when this node is not the leader of `epoch`.
   */
  append(epoch: number, records: readonly Buffer[]): Promise<number>;
  /** Writes a snapshot of the state below `contents.id.endOffset` (which must be committed). */
  createSnapshot(contents: SnapshotContents): Promise<void>;
  latestSnapshotId(): SnapshotId | null;
}

export class NotLeaderError extends Error {
  constructor(readonly leader: LeaderAndEpoch, message = `not the leader (leader ${leader.leaderId ?? 'unknown'} in epoch ${leader.epoch})`) {
    super(message);
    this.name = 'NotLeaderError';
  }
}
