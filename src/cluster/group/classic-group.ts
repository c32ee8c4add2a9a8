/**
 * The state of one classic group: members (dynamic and static), members that were handed an id
 * but have not joined yet, members that have not synced yet, the leader, the generation and the
 * selected protocol, and the state machine
 *   Empty → PreparingRebalance → CompletingRebalance → Stable (→ PreparingRebalance …) and → Dead.
 * It holds no timers and sends no responses itself: the rebalancer drives it.
 */
import { subscribedTopicsOf } from './consumer-protocol.js';
import type { GroupMember } from './group-member.js';
import { CONSUMER_PROTOCOL_TYPE, type GroupState, type JoinGroupMember, type ProtocolMetadata } from './types.js';

/** Which states a transition may start from (Kafka's ClassicGroupState.validPreviousStates). */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export class ClassicGroup {
  private stateValue: GroupState = 'Empty';
  private previous: GroupState = 'Dead';
  /** When the group entered its current state; offsets of an Empty group expire relative to it. */
  stateTimestampMs: number;
  generationId = 0;
  /** Set by the first member to join; kept while Empty so committed offsets keep their owner type. */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Union of the members' subscriptions (consumer protocol only); null when unknown. */
  subscribedTopics: ReadonlySet<string> | null = null;
  /** A member joined during the initial delayed rebalance, which therefore waits a little longer. */
  newMemberAdded = false;

  /** Insertion order matters: the next leader is the oldest remaining member, as in Kafka. */
  private readonly members = new Map<string, GroupMember>();
  private readonly staticMembers = new Map<string, string>();
  /** Ids handed out with MEMBER_ID_REQUIRED whose owners have not rejoined yet. */
  private readonly pendingJoin = new Set<string>();
  /** Members that got their JoinGroup response but have not sent SyncGroup yet. */
  private readonly pendingSync = new Set<string>();
  /** Protocol name → how many members support it. */
  private readonly protocolSupport = new Map<string, number>();

  constructor(readonly groupId: string, nowMs: number) {
    this.stateTimestampMs = nowMs;
  }

  get state(): GroupState {
    return this.stateValue;
  }

  get previousState(): GroupState {
    return this.previous;
  }

  is(state: GroupState): boolean {
    return this.stateValue === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!VALID_PREVIOUS[state].includes(this.stateValue)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.stateValue} -> ${state}`);
    }
    this.previous = this.stateValue;
    this.stateValue = state;
    this.stateTimestampMs = nowMs;
  }

  /** Stable, CompletingRebalance and Empty groups may start a rebalance. */
  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.stateValue);
  }

  // ------------------------------------------------------------------ members

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): GroupMember | undefined {
    return this.members.get(memberId);
  }

  allMembers(): GroupMember[] {
    return [...this.members.values()];
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: GroupMember): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) throw new Error(`static member ${member.groupInstanceId} is already in group ${this.groupId}`);
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member.protocols, 1);
    this.pendingJoin.delete(member.memberId);
  }

  remove(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      this.countProtocols(member.protocols, -1);
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId);
      }
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingJoin.delete(memberId);
    this.pendingSync.delete(memberId);
    return member;
  }

  /** Replace a member's protocols (a rejoin), keeping the support counts right. */
  updateProtocols(member: GroupMember, protocols: readonly ProtocolMetadata[]): void {
    this.countProtocols(member.protocols, -1);
    member.protocols = protocols;
    this.countProtocols(protocols, 1);
  }

  private countProtocols(protocols: readonly ProtocolMetadata[], delta: number): void {
    // Distinct names: a member listing one protocol twice must count once, or its support would
    // exceed the member count and selectProtocol find no protocol (a crash in a rebalance timer).
    for (const name of new Set(protocols.map((p) => p.name))) {
      const n = (this.protocolSupport.get(name) ?? 0) + delta;
      if (n === 0) this.protocolSupport.delete(name);
      else this.protocolSupport.set(name, n);
    }
  }

  // ------------------------------------------------------------------ static membership

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** A request naming a known instance id with another member id comes from a fenced (stale) instance. */
  isStaticMemberFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /**
   * Give a static member a new member id, keeping its place (and assignment) in the group.
   * The caller first answers whatever the old id had parked with FENCED_INSTANCE_ID.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`group ${this.groupId}: cannot replace unknown member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSync.delete(oldMemberId)) this.pendingSync.add(newMemberId);
    return member;
  }

  // ------------------------------------------------------------------ pending join / sync

  isPendingMember(memberId: string): boolean {
    return this.pendingJoin.has(memberId);
  }

  addPendingMember(memberId: string): void {
    this.pendingJoin.add(memberId);
  }

  removePendingMember(memberId: string): boolean {
    return this.pendingJoin.delete(memberId);
  }

  get pendingMemberCount(): number {
    return this.pendingJoin.size;
  }

  addPendingSync(memberId: string): void {
    this.pendingSync.add(memberId);
  }

  removePendingSync(memberId: string): void {
    this.pendingSync.delete(memberId);
  }

  pendingSyncMembers(): string[] {
    return [...this.pendingSync];
  }

  clearPendingSync(): void {
    this.pendingSync.clear();
  }

  // ------------------------------------------------------------------ join phase

  numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin) n += 1;
    return n;
  }

  /** Every member has rejoined and nobody holding a fresh member id is still expected. */
  hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin() === this.members.size && this.pendingJoin.size === 0;
  }

  notYetRejoined(): GroupMember[] {
    return this.allMembers().filter((m) => m.awaitingJoin === null);
  }

  /**
   * If the leader did not rejoin, hand leadership to a member that did. False when nobody rejoined
   * (or the group has no leader), in which case the join phase cannot complete yet.
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.awaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** The largest rebalance timeout among the members: how long a rebalance waits for rejoins. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  // ------------------------------------------------------------------ protocols

  /**
   * Whether a member with these protocols could join: any non-empty set while Empty; otherwise the
   * same protocol type and at least one protocol every current member supports.
   */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocolNames.length > 0;
    if (this.protocolType !== protocolType) return false;
    return protocolNames.some((name) => this.protocolSupport.get(name) === this.members.size);
  }

  /**
   * Each member votes for its most preferred protocol among those all members support; the most
   * votes wins. Ties go to the protocol voted for first (in member order), which keeps it deterministic.
   */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`group ${this.groupId}: cannot select a protocol without members`);
    const candidates = new Set<string>();
    for (const [name, count] of this.protocolSupport) if (count === this.members.size) candidates.add(name);
    if (candidates.size === 0) throw new Error(`group ${this.groupId}: no protocol is supported by every member`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  /** What the leader's JoinGroup response carries: every member with its metadata for the chosen protocol. */
  joinMembers(): JoinGroupMember[] {
    return this.allMembers().map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(this.protocolName) }));
  }

  /** Advance to the next generation after a join phase: CompletingRebalance, or Empty if nobody is left. */
  initNextGeneration(nowMs: number): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSync.clear();
  }

  /**
   * Rebuild a group from its last GroupMetadata record (loading `__consumer_offsets`): Stable with
   * its generation, leader and assignments when it had members, else Empty. As in Kafka, loaded
   * members keep their place only if they heartbeat within their session timeout.
   */
  restore(stored: {
    protocolType: string | null;
    generationId: number;
    protocolName: string | null;
    leader: string | null;
    stateTimestampMs: number;
    members: readonly GroupMember[];
  }, nowMs: number): void {
    if (this.members.size > 0 || !this.is('Empty')) throw new Error(`group ${this.groupId}: restore needs a fresh group`);
    this.protocolType = stored.protocolType;
    this.generationId = stored.generationId;
    for (const m of stored.members) this.add(m);
    this.protocolName = stored.members.length > 0 ? stored.protocolName : null;
    this.leaderId = stored.members.length > 0 ? (stored.leader ?? this.leaderId) : null;
    this.stateValue = stored.members.length > 0 ? 'Stable' : 'Empty';
    this.previous = 'Dead';
    this.stateTimestampMs = stored.stateTimestampMs >= 0 ? stored.stateTimestampMs : nowMs;
    this.subscribedTopics = this.computeSubscribedTopics();
  }

  /** Topics the consumer members subscribe to; null when not a consumer group or not parseable. */
  private computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const subscribed = subscribedTopicsOf(m.metadata(this.protocolName));
      if (subscribed === null) return null;
      for (const t of subscribed) topics.add(t);
    }
    return topics;
  }

  /**
   * Whether offsets of a topic are in active use. When the subscription is unknown, a consumer
   * group counts as subscribed to everything (safe side), any other group to nothing (as Kafka).
   */
  isSubscribedToTopic(topic: string): boolean {
    if (this.subscribedTopics !== null) return this.subscribedTopics.has(topic);
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }
}
