/**
 * What the coordinator's parts share: configuration, time, the group table, the offset store and
 * the record journal. Every state change that must survive a restart goes through `record`.
 */
import type { ClassicGroup } from './classic-group.js';
import type { GroupJournal, GroupRecord } from './group-records.js';
import type { KeyedTimers } from './keyed-timers.js';
import type { OffsetStore } from './offset-store.js';
import type { Clock, CoordinatorConfig, GroupLogger, JoinGroupResult, SyncGroupResult } from './types.js';

export interface GroupContext {
  readonly config: CoordinatorConfig;
  readonly clock: Clock;
  readonly timers: KeyedTimers;
  readonly logger: GroupLogger;
  readonly groups: Map<string, ClassicGroup>;
  readonly offsets: OffsetStore;
  /** A fresh member id: `${prefix}-${uuid}` (prefix = client id, or group instance id for static members). */
  newMemberId(prefix: string): string;
  /**
   * Apply records to in-memory state and hand them to the journal. Resolves when the journal has
   * them durably; rejects when it failed (state changes that need no answer may ignore it, the
   * journal's owner logs failures).
   */
  record(records: readonly GroupRecord[]): Promise<void>;
}

export function createContext(parts: Omit<GroupContext, 'record'> & { journal: GroupJournal }): GroupContext {
  const { journal, ...rest } = parts;
  return {
    ...rest,
    record(records) {
      if (records.length === 0) return Promise.resolve();
      for (const r of records) rest.offsets.apply(r);
      let written: Promise<void>;
      try {
        written = Promise.resolve(journal.append(records));
      } catch (err) {
        written = Promise.reject(err);
      }
      // Handled here, so callers that do not wait for durability never leave a rejection unhandled.
      written.catch((err: unknown) => rest.logger.warn({ err: String(err), records: records.length }, 'writing group records failed'));
      return written;
    },
  };
}

// Timer keys; NUL cannot clash with a separator inside a group or member id that is valid UTF-8 text.
export const joinTimerKey = (groupId: string): string => `join\u0000${groupId}`;
export const syncTimerKey = (groupId: string): string => `sync\u0000${groupId}`;
export const heartbeatTimerKey = (groupId: string, memberId: string): string => `heartbeat\u0000${groupId}\u0000${memberId}`;
/** Whether a timer key is one of `groupId`'s (its join, sync, or a member's session timer). */
export const isTimerOfGroup = (key: string, groupId: string): boolean =>
  key === joinTimerKey(groupId) || key === syncTimerKey(groupId) || key.startsWith(`heartbeat\u0000${groupId}\u0000`);

const EMPTY = Buffer.alloc(0);

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}
