/**
 * One member of a classic group: who it is, what it supports, what it was assigned, and the
 * JoinGroup / SyncGroup requests it has parked with the coordinator (as resolve callbacks).
 */
import type { JoinGroupResult, ProtocolMetadata, SyncGroupResult } from './types.js';

export type JoinCallback = (result: JoinGroupResult) => void;
export type SyncCallback = (result: SyncGroupResult) => void;

const EMPTY = Buffer.alloc(0);

export class GroupMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  readonly protocolType: string;
  protocols: readonly ProtocolMetadata[];
  assignment: Buffer = EMPTY;
  /**
   * True from the first join until that join completes. A new member cannot heartbeat yet, so its
   * join is bounded by the new-member join timeout instead of the session timeout.
   */
  isNew = false;
  awaitingJoin: JoinCallback | null = null;
  awaitingSync: SyncCallback | null = null;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocolType: string;
    protocols: readonly ProtocolMetadata[];
    assignment?: Buffer;
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
    if (init.assignment) this.assignment = init.assignment;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /** The member's metadata for a protocol (empty if it does not support it). */
  metadata(protocolName: string | null): Buffer {
    if (protocolName === null) return EMPTY;
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY;
  }

  /** Same protocols, same order, same bytes: rejoining with these changes nothing (Kafka `matches`). */
  matches(protocols: readonly ProtocolMetadata[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The member's most preferred protocol among the candidates (its vote). */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} does not support any of the candidate protocols`);
    return choice.name;
  }

  /**
   * Whether an expiring session timer should spare this member: a member parked in a join or sync
   * cannot heartbeat, so it satisfies the session — unless it is new (KIP-394).
   */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.awaitingJoin !== null || this.awaitingSync !== null;
  }

  /** Answer a parked JoinGroup, if any. Returns whether one was waiting. */
  completeJoin(result: JoinGroupResult): boolean {
    const cb = this.awaitingJoin;
    if (!cb) return false;
    this.awaitingJoin = null;
    cb(result);
    return true;
  }

  /** Answer a parked SyncGroup, if any. Returns whether one was waiting. */
  completeSync(result: SyncGroupResult): boolean {
    const cb = this.awaitingSync;
    if (!cb) return false;
    this.awaitingSync = null;
    cb(result);
    return true;
  }
}
