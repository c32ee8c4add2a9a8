/** gzip (RFC 1952), as Java's GZIPOutputStream writes it. Async zlib calls run in the libuv pool. */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Codec } from './types.js';

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

export const gzipCodec: Codec = {
  compress: (data) => gzipAsync(data),
  decompress: (data) => gunzipAsync(data),
  compressSync: (data) => zlib.gzipSync(data),
  decompressSync: (data) => zlib.gunzipSync(data),
};
