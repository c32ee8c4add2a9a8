/**
 * Reads the subscribed topics out of a consumer's JoinGroup metadata (ConsumerProtocolSubscription).
 * Only the version-0 prefix is read — int16 version, then the topic array — because every later
 * version starts with it; this is also what Kafka does, so the coordinator does not depend on the
 * exact version a client writes (kafkajs, for one, writes a version number with only v0 fields).
 */
import { ByteReader } from '../../protocol/bytes.js';

/** The topics in a consumer subscription, or null when the bytes do not follow the schema. */
export function subscribedTopicsOf(metadata: Buffer): string[] | null {
  try {
    const r = new ByteReader(metadata);
    const version = r.int16();
    if (version < 0) return null;
    const count = r.int32();
    if (count < 0 || count > r.remaining / 2) return null;
    const topics: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const length = r.int16();
      if (length < 0) return null;
      topics.push(r.raw(length).toString('utf8'));
    }
    return topics;
  } catch {
    return null;
  }
}
