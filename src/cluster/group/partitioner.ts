/**
 * Which `__consumer_offsets` partition holds a group, as Kafka computes it:
 * `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions`, with Java's String.hashCode over
 * UTF-16 code units and Utils.abs mapping Integer.MIN_VALUE to 0. The coordinator of a group is the
 * leader of that partition.
 */

/** Java's String.hashCode: s[0]*31^(n-1) + … + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i += 1) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Math.abs, except Integer.MIN_VALUE (whose abs overflows) becomes 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function offsetsPartitionFor(groupId: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount <= 0) throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount;
}
