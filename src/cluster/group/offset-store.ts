/**
 * Committed offsets of every group, in memory. The only way to change it is `apply(record)`, so
 * the same code path serves live commits and replay from `__consumer_offsets` (and `unload`, which
 * forgets a group handed to another coordinator without writing anything).
 */
import type { CommittedOffset, GroupRecord } from './group-records.js';

export interface OffsetEntry {
  readonly topic: string;
  readonly partition: number;
  readonly value: CommittedOffset;
}

export class OffsetStore {
  /** group → topic → partition → offset */
  private readonly groups = new Map<string, Map<string, Map<number, CommittedOffset>>>();

  apply(record: GroupRecord): void {
    switch (record.type) {
      case 'offset-commit': {
        let topics = this.groups.get(record.groupId);
        if (!topics) this.groups.set(record.groupId, (topics = new Map()));
        let partitions = topics.get(record.topic);
        if (!partitions) topics.set(record.topic, (partitions = new Map()));
        partitions.set(record.partition, record.value);
        return;
      }
      case 'offset-tombstone': {
        const topics = this.groups.get(record.groupId);
        const partitions = topics?.get(record.topic);
        if (!topics || !partitions) return;
        partitions.delete(record.partition);
        if (partitions.size === 0) topics.delete(record.topic);
        if (topics.size === 0) this.groups.delete(record.groupId);
        return;
      }
      case 'group-tombstone':
        // A deleted group takes its offsets with it (the writer emits offset tombstones too).
        this.groups.delete(record.groupId);
        return;
      case 'group-metadata':
        return;
    }
  }

  /**
   * Forget a group's offsets in memory only: its `__consumer_offsets` partition moved to another
   * coordinator, which reads them back from the log (nothing is deleted there).
   */
  unload(groupId: string): void {
    this.groups.delete(groupId);
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.get(topic)?.get(partition);
  }

  hasOffsets(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  /** All offsets of a group, sorted by topic then partition (stable responses). */
  entries(groupId: string): OffsetEntry[] {
    const topics = this.groups.get(groupId);
    if (!topics) return [];
    const out: OffsetEntry[] = [];
    for (const topic of [...topics.keys()].sort()) {
      const partitions = topics.get(topic)!;
      for (const partition of [...partitions.keys()].sort((a, b) => a - b)) out.push({ topic, partition, value: partitions.get(partition)! });
    }
    return out;
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }
}
