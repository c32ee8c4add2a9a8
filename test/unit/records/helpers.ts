/** Shared bits for the record tests. */
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';

export const isCorrupt = (e: unknown): boolean => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE;

/** Bitwise CRC-32C (reflected polynomial 0x82F63B78), independent of the native one under test. */
export function slowCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Bitwise CRC-32 IEEE (reflected polynomial 0xEDB88320). */
export function slowCrc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}
