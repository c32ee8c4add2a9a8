/**
 * A `records` field: stored batches as one buffer when decoded, or several buffers when the broker
 * encodes a fetch response from different reads (written out without concatenation).
 */
export type Records = Buffer | Buffer[];

export function recordsToBuffer(records: Records | null): Buffer | null {
  if (records === null) return null;
  return Array.isArray(records) ? Buffer.concat(records) : records;
}
