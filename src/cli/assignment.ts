/**
 * Reads a consumer group member's assignment (ConsumerProtocolAssignment: int16 version, then an
 * array of {topic, partitions[]}; later versions only append fields) for `group describe`.
 */
import { ByteReader } from '../protocol/bytes.js';

export interface AssignedPartitions {
  topic: string;
  partitions: number[];
}

/** The partitions in an assignment, or null when the bytes are not a consumer assignment. */
export function decodeAssignment(bytes: Buffer): AssignedPartitions[] | null {
  if (bytes.length === 0) return [];
  try {
    const r = new ByteReader(bytes);
    if (r.int16() < 0) return null;
    const topicCount = r.int32();
    if (topicCount < 0 || topicCount > r.remaining) return null;
    const out: AssignedPartitions[] = [];
    for (let i = 0; i < topicCount; i++) {
      const len = r.int16();
      if (len < 0 || len > r.remaining) return null;
      const topic = r.utf8(len);
      const n = r.int32();
      if (n < 0 || n * 4 > r.remaining) return null;
      const partitions: number[] = [];
      for (let j = 0; j < n; j++) partitions.push(r.int32());
      out.push({ topic, partitions: partitions.sort((a, b) => a - b) });
    }
    return out;
  } catch {
    return null;
  }
}
