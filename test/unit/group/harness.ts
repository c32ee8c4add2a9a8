/**
 * Deterministic test bench for the group coordinator: a fake clock whose timers fire only when a
 * test advances time, member ids from a counter, records captured from the journal, and helpers
 * that drive members through JoinGroup / SyncGroup the way clients do.
 */
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../../src/cluster/group/group-coordinator.js';
import { FakeTime } from '../../helpers/fake-time.js';

export { FakeTime };
import type { GroupRecord } from '../../../src/cluster/group/group-records.js';
import type { JoinGroupParams, JoinGroupResult, SyncGroupResult } from '../../../src/cluster/group/types.js';


/** Let resolved promises run their continuations. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}

const PENDING: unique symbol = Symbol('pending');

/** The value of a promise if it has settled, else PENDING (checks without waiting for it). */
export async function peek<T>(p: Promise<T>): Promise<T | typeof PENDING> {
  return Promise.race([p, flush().then((): typeof PENDING => PENDING)]);
}

export function isPending(v: unknown): v is typeof PENDING {
  return v === PENDING;
}

/** ConsumerProtocolSubscription v0 bytes: int16 version, topics, null user data. */
export function subscription(topics: string[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(6);
  head.writeInt16BE(0, 0);
  head.writeInt32BE(topics.length, 2);
  parts.push(head);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t), 0);
    parts.push(len, Buffer.from(t));
  }
  const userData = Buffer.alloc(4);
  userData.writeInt32BE(-1, 0);
  parts.push(userData);
  return Buffer.concat(parts);
}

export const SILENT = { debug: () => undefined, info: () => undefined, warn: () => undefined };

export interface Bench {
  time: FakeTime;
  coordinator: GroupCoordinator;
  records: GroupRecord[];
}

export function bench(overrides: Partial<GroupCoordinatorOptions> = {}): Bench {
  const time = new FakeTime();
  const records: GroupRecord[] = [];
  let n = 0;
  const coordinator = new GroupCoordinator({
    initialRebalanceDelayMs: 3000,
    minSessionTimeoutMs: 6000,
    maxSessionTimeoutMs: 1_800_000,
    maxSize: 100,
    offsetsRetentionMs: 7 * 24 * 3600_000,
    offsetMetadataMaxBytes: 4096,
    clock: time,
    timers: time,
    logger: SILENT,
    journal: { append: (batch) => void records.push(...batch) },
    randomId: () => `id${++n}`,
    ...overrides,
  });
  return { time, coordinator, records };
}

export function joinParams(groupId: string, memberId: string, extra: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId,
    memberId,
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    requireKnownMemberId: true,
    supportSkippingAssignment: false,
    reason: null,
    ...extra,
  };
}

/** JoinGroup as a v4+ client does it: empty id → MEMBER_ID_REQUIRED → join again with the id. Returns the parked join. */
export async function joinWithNewId(b: Bench, groupId: string, extra: Partial<JoinGroupParams> = {}): Promise<{ memberId: string; join: Promise<JoinGroupResult> }> {
  const first = await b.coordinator.joinGroup(joinParams(groupId, '', extra));
  if (first.errorCode !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
  return { memberId: first.memberId, join: b.coordinator.joinGroup(joinParams(groupId, first.memberId, extra)) };
}

export function sync(b: Bench, groupId: string, generationId: number, memberId: string, assignments: Record<string, string> = {}, groupInstanceId: string | null = null): Promise<SyncGroupResult> {
  return b.coordinator.syncGroup({
    groupId,
    generationId,
    memberId,
    groupInstanceId,
    protocolType: null,
    protocolName: null,
    assignments: Object.entries(assignments).map(([id, a]) => ({ memberId: id, assignment: Buffer.from(a) })),
  });
}

/** Two dynamic members through a first rebalance to Stable, with assignments "A" (leader) and "B". */
export async function stableGroupOfTwo(b: Bench, groupId: string, extra: Partial<JoinGroupParams> = {}): Promise<{ leader: string; follower: string; generationId: number }> {
  const a = await joinWithNewId(b, groupId, extra);
  const c = await joinWithNewId(b, groupId, extra);
  // Initial delay 3 s, extended once because the second member arrived during it.
  await b.time.advance(7000);
  const ja = await a.join;
  const jc = await c.join;
  const leader = ja.leader;
  const follower = leader === a.memberId ? c.memberId : a.memberId;
  const generationId = ja.generationId;
  if (jc.generationId !== generationId) throw new Error('generations differ');
  const syncs = [sync(b, groupId, generationId, follower), sync(b, groupId, generationId, leader, { [leader]: 'A', [follower]: 'B' })];
  await Promise.all(syncs);
  return { leader, follower, generationId };
}
