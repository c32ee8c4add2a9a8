/** Codec ids as stored in bits 0-2 of the batch (and legacy message) attributes. */
export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export function isCompressionType(id: number): id is CompressionType {
  return Number.isInteger(id) && id >= CompressionType.None && id <= CompressionType.Zstd;
}

/** One codec: async variants run in the libuv/napi thread pool, sync variants on the caller's thread. */
export interface Codec {
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
  compressSync(data: Buffer): Buffer;
  decompressSync(data: Buffer): Buffer;
}
