/**
 * Offsets committed inside a transaction (TxnOffsetCommit, KIP-98; Kafka's
 * GroupMetadata.pendingTransactionalOffsetCommits): written to `__consumer_offsets` in a transactional
 * batch of the producer, but invisible — OffsetFetch answers the previous offset, or with
 * requireStable UNSTABLE_OFFSET_COMMIT — until the transaction's marker reaches that partition: COMMIT
 * makes them the group's committed offsets, ABORT drops them. Keyed by producer id, as the markers are.
 */
import type { GroupRecord } from './group-records.js';

type OffsetCommitRecord = Extract<GroupRecord, { type: 'offset-commit' }>;

export class TransactionalOffsets {
  /** producer id → group → `topic\0partition` → the pending commit (the latest per partition wins). */
  private readonly pending = new Map<number, Map<string, Map<string, OffsetCommitRecord>>>();

  stage(producerId: number, records: readonly OffsetCommitRecord[]): void {
    let groups = this.pending.get(producerId);
    if (!groups) this.pending.set(producerId, (groups = new Map()));
    for (const r of records) {
      let parts = groups.get(r.groupId);
      if (!parts) groups.set(r.groupId, (parts = new Map()));
      parts.set(`${r.topic}\0${r.partition}`, r);
    }
  }

  /**
   * The producer's transaction ended on the `__consumer_offsets` partition `offsetsPartition`: its pending
   * commits of the groups living there are removed and returned (to apply when `commit`).
   */
  complete(producerId: number, inPartition: (groupId: string) => boolean): OffsetCommitRecord[] {
    const groups = this.pending.get(producerId);
    if (!groups) return [];
    const out: OffsetCommitRecord[] = [];
    for (const [groupId, parts] of [...groups]) {
      if (!inPartition(groupId)) continue;
      out.push(...parts.values());
      groups.delete(groupId);
    }
    if (groups.size === 0) this.pending.delete(producerId);
    return out;
  }

  /** Whether some open transaction holds a commit for the group's partition (requireStable). */
  hasPending(groupId: string, topic: string, partition: number): boolean {
    const key = `${topic}\0${partition}`;
    for (const groups of this.pending.values()) if (groups.get(groupId)?.has(key)) return true;
    return false;
  }

  /** Forgets the pending commits of the groups leaving this coordinator. */
  unload(matches: (groupId: string) => boolean): void {
    for (const [producerId, groups] of [...this.pending]) {
      for (const groupId of [...groups.keys()]) if (matches(groupId)) groups.delete(groupId);
      if (groups.size === 0) this.pending.delete(producerId);
    }
  }
}
