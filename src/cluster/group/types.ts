/**
 * Shared vocabulary of the classic group coordinator: states, time sources, configuration, and the
 * shapes of the calls the request handlers make. Nothing here does work.
 */

/** Kafka's classic group states, spelled as Kafka prints them (DescribeGroups, ListGroups). */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

/** The only group type this coordinator serves (ListGroups v5 `groupType`). */
export const CLASSIC_GROUP_TYPE = 'classic';

/** The protocol type of Kafka consumers; its member metadata follows ConsumerProtocolSubscription. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface Clock {
  now(): number;
}

/** The timer primitive the coordinator schedules on; production passes Node's, tests a fake. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The subset of a pino Logger the coordinator uses. */
export interface GroupLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CoordinatorConfig {
  /** group.initial.rebalance.delay.ms */
  readonly initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms */
  readonly minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  readonly maxSessionTimeoutMs: number;
  /** group.max.size */
  readonly maxSize: number;
  /** offsets.retention.minutes × 60,000 */
  readonly offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  readonly offsetMetadataMaxBytes: number;
  /**
   * How long a brand-new member may wait in a JoinGroup (Kafka's group.new.member.join.timeout,
   * 5 minutes, KIP-394): new members cannot heartbeat yet, so this bounds defunct joins.
   */
  readonly newMemberJoinTimeoutMs: number;
}

export interface ProtocolMetadata {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinGroupParams {
  readonly groupId: string;
  /** "" for a member that does not have an id yet. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly ProtocolMetadata[];
  /** JoinGroup v4+: a dynamic member without an id gets MEMBER_ID_REQUIRED and must rejoin. */
  readonly requireKnownMemberId: boolean;
  /** JoinGroup v9+ (KIP-814): a rejoining static leader may be told to skip the assignment. */
  readonly supportSkippingAssignment: boolean;
  readonly reason: string | null;
}

export interface JoinGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

export interface JoinGroupResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly skipAssignment: boolean;
  readonly memberId: string;
  /** Every member's metadata for the leader; empty for followers. */
  readonly members: readonly JoinGroupMember[];
}

export interface SyncGroupParams {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: ReadonlyArray<{ readonly memberId: string; readonly assignment: Buffer }>;
}

export interface SyncGroupResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export interface HeartbeatParams {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface LeavingMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly reason: string | null;
}

export interface LeaveGroupResult {
  readonly errorCode: number;
  readonly members: ReadonlyArray<{ readonly memberId: string; readonly groupInstanceId: string | null; readonly errorCode: number }>;
}

export interface DescribedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly metadata: Buffer;
  readonly assignment: Buffer;
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: GroupState;
  readonly protocolType: string;
  /** The selected protocol when Stable, "" otherwise (as Kafka). */
  readonly protocolData: string;
  readonly members: readonly DescribedMember[];
}

export interface GroupListing {
  readonly groupId: string;
  readonly protocolType: string;
  readonly state: GroupState;
  readonly groupType: string;
}
