/**
 * Legacy message layout (magic 0 and 1, pre-KIP-98). Positions are from the start of an entry:
 * offset int64, size int32, crc uint32 (CRC-32 IEEE over magic..end), magic int8, attributes int8,
 * timestamp int64 (magic 1 only), key (int32 length + bytes), value (int32 length + bytes).
 */
export const LEGACY_CRC = 12;
export const LEGACY_MAGIC = 16;
export const LEGACY_ATTRIBUTES = 17;
export const LEGACY_TIMESTAMP = 18;
/** Bytes after the size field: crc, magic, attributes, key length, value length. */
export const LEGACY_RECORD_OVERHEAD_V0 = 14;
/** Magic 1 adds the timestamp. */
export const LEGACY_RECORD_OVERHEAD_V1 = 22;
/** Bit 3, magic 1 only: LogAppendTime. */
export const LEGACY_ATTR_TIMESTAMP_TYPE = 0x08;
export const LEGACY_COMPRESSION_MASK = 0x07;
