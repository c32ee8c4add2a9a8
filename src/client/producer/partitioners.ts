/**
 * Partitioners. A partitioner picks a partition for a record whose `partition` is not set.
 * - `default`: keyed records by murmur2 (the Java client's choice); keyless records stick to one
 *   partition until its batch is closed, then move to another (KIP-480 sticky partitioning).
 * - `murmur2_random`: librdkafka's default — murmur2 for keys, a random partition per keyless record.
 * - `round-robin`: every record to the next partition, keys ignored (Java's RoundRobinPartitioner).
 * - a user-supplied function or object.
 */
import { murmur2Partition } from './murmur2.js';

export interface PartitionerInput {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  partitionCount: number;
  /** Partitions that currently have a leader (may be empty while the leader is unknown). */
  availablePartitions: readonly number[];
}

export interface Partitioner {
  partition(input: PartitionerInput): number;
  /** Called when the batch the producer was filling for (topic, partition) is closed. */
  onBatchClosed?(topic: string, partition: number): void;
}

export type PartitionerFn = (input: PartitionerInput) => number;
export type PartitionerName = 'default' | 'murmur2_random' | 'round-robin';

function randomOf(input: PartitionerInput, random: () => number, exclude = -1): number {
  const avail = input.availablePartitions.length > 0 ? input.availablePartitions : null;
  const n = avail ? avail.length : input.partitionCount;
  if (n === 1) return avail ? avail[0]! : 0;
  if (n === 0) return 0;
  for (;;) {
    const i = Math.floor(random() * n);
    const p = avail ? avail[i]! : i;
    if (p !== exclude) return p;
  }
}

/** Java's default: murmur2 for keys, sticky (KIP-480) for keyless records. */
export class DefaultPartitioner implements Partitioner {
  private readonly sticky = new Map<string, number>();
  /** The partition a topic just left: the next sticky choice avoids it (KIP-480). */
  private readonly previous = new Map<string, number>();
  constructor(private readonly random: () => number = Math.random) {}

  partition(input: PartitionerInput): number {
    if (input.key !== null) return murmur2Partition(input.key, input.partitionCount);
    const current = this.sticky.get(input.topic);
    if (current !== undefined && current < input.partitionCount) return current;
    const p = randomOf(input, this.random, this.previous.get(input.topic) ?? -1);
    this.sticky.set(input.topic, p);
    return p;
  }

  onBatchClosed(topic: string, partition: number): void {
    if (this.sticky.get(topic) !== partition) return;
    this.sticky.delete(topic);
    this.previous.set(topic, partition);
  }
}

/** librdkafka's murmur2_random: murmur2 for keys, uniformly random for keyless records. */
export class Murmur2RandomPartitioner implements Partitioner {
  constructor(private readonly random: () => number = Math.random) {}
  partition(input: PartitionerInput): number {
    if (input.key !== null) return murmur2Partition(input.key, input.partitionCount);
    return randomOf(input, this.random);
  }
}

/** Each record to the next partition of its topic, preferring partitions with a leader. */
export class RoundRobinPartitioner implements Partitioner {
  private readonly counters = new Map<string, number>();
  partition(input: PartitionerInput): number {
    const n = (this.counters.get(input.topic) ?? 0) + 1;
    this.counters.set(input.topic, n);
    const avail = input.availablePartitions;
    if (avail.length > 0) return avail[(n - 1) % avail.length]!;
    return (n - 1) % input.partitionCount;
  }
}

export function createPartitioner(spec: PartitionerName | Partitioner | PartitionerFn | undefined): Partitioner {
  if (spec === undefined || spec === 'default') return new DefaultPartitioner();
  if (spec === 'murmur2_random') return new Murmur2RandomPartitioner();
  if (spec === 'round-robin') return new RoundRobinPartitioner();
  if (typeof spec === 'function') return { partition: spec };
  if (typeof spec === 'object' && typeof spec.partition === 'function') return spec;
  throw new TypeError(`unknown partitioner ${String(spec)}`);
}
