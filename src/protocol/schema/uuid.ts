/**
 * Kafka UUIDs (topic ids, directory ids) travel as 16 raw bytes and are shown the way Kafka shows
 * them: URL-safe base64 without padding, 22 characters.
 */
import { randomBytes } from 'node:crypto';

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uuidFromBytes(bytes: Buffer): string {
  return bytes.toString('base64url');
}

export function uuidToBytes(uuid: string): Buffer {
  const b = Buffer.from(uuid, 'base64url');
  if (b.length !== 16) throw new Error(`not a Kafka UUID: ${uuid}`);
  return b;
}

/** A random UUID that is neither zero nor Kafka's reserved METADATA_TOPIC_ID (1) and does not start with '-'. */
export function randomUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40; // version 4, as Java's UUID.randomUUID
    b[8] = (b[8]! & 0x3f) | 0x80;
    const s = uuidFromBytes(b);
    if (!s.startsWith('-')) return s;
  }
}
