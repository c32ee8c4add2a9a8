/**
 * The election state a voter must not forget across a crash: the latest epoch it knows, whom it voted
 * for in that epoch, and the leader it knows for it. Written before a vote is granted or an epoch is
 * adopted (Raft's persistent currentTerm/votedFor), so a restarted node never votes twice in an epoch.
 *
 * The file is Kafka's `quorum-state` JSON (data_version 0): {"clusterId","leaderId","leaderEpoch",
 * "votedId","appliedOffset","currentVoters":[{"voterId"}],"data_version":0}, with -1 for "none".
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, isNotFound } from '../../storage/fs-util.js';

export interface ElectionState {
  readonly epoch: number;
  /** Null: no leader known in `epoch`. */
  readonly leaderId: number | null;
  /** Null: no vote cast in `epoch`. */
  readonly votedId: number | null;
}

export const INITIAL_ELECTION_STATE: ElectionState = { epoch: 0, leaderId: null, votedId: null };

export interface QuorumStateStore {
  /** The persisted state, or INITIAL_ELECTION_STATE on first start. */
  read(): Promise<ElectionState>;
  /** Durable when the promise resolves. */
  write(state: ElectionState): Promise<void>;
}

export const QUORUM_STATE_FILE = 'quorum-state';

interface QuorumStateJson {
  clusterId: string;
  leaderId: number;
  leaderEpoch: number;
  votedId: number;
  appliedOffset: number;
  currentVoters: { voterId: number }[];
  data_version: number;
}

export class FileQuorumStateStore implements QuorumStateStore {
  readonly file: string;

  constructor(dir: string, private readonly voterIds: readonly number[], private readonly clusterId = '') {
    this.file = path.join(dir, QUORUM_STATE_FILE);
  }

  async read(): Promise<ElectionState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return INITIAL_ELECTION_STATE;
      throw err;
    }
    const j = JSON.parse(text) as Partial<QuorumStateJson>;
    if (typeof j.leaderEpoch !== 'number' || typeof j.leaderId !== 'number' || typeof j.votedId !== 'number') {
      throw new Error(`${this.file}: malformed quorum state`);
    }
    return { epoch: j.leaderEpoch, leaderId: j.leaderId < 0 ? null : j.leaderId, votedId: j.votedId < 0 ? null : j.votedId };
  }

  write(state: ElectionState): Promise<void> {
    const j: QuorumStateJson = {
      clusterId: this.clusterId,
      leaderId: state.leaderId ?? -1,
      leaderEpoch: state.epoch,
      votedId: state.votedId ?? -1,
      appliedOffset: 0,
      currentVoters: this.voterIds.map((voterId) => ({ voterId })),
      data_version: 0,
    };
    // temp file, fsync, rename, directory fsync.
    return atomicWriteFile(this.file, JSON.stringify(j));
  }
}

/** Survives a simulated crash (the simulator keeps the object, as a disk keeps the file). */
export class MemoryQuorumStateStore implements QuorumStateStore {
  private state: ElectionState = INITIAL_ELECTION_STATE;
  writes = 0;

  read(): Promise<ElectionState> {
    return Promise.resolve(this.state);
  }

  write(state: ElectionState): Promise<void> {
    this.state = state;
    this.writes++;
    return Promise.resolve();
  }

  peek(): ElectionState {
    return this.state;
  }
}
