/** gzip (RFC 1952), as Java's GZIPOutputStream writes it. Async zlib calls run in the libuv pool. */
import type { InputType } from 'node:zlib';
import { lazyRequire } from './lazy-require.js';
import type { Codec } from './types.js';

/** node:zlib, loaded on the first gzip call (lazy-require.ts says why). */
export const zlibLib = lazyRequire<typeof import('node:zlib')>('node:zlib');

type ZlibCallback = (err: Error | null, result: Buffer) => void;

function promised(run: (data: InputType, cb: ZlibCallback) => void, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => run(data, (err, out) => (err ? reject(err) : resolve(out))));
}

export const gzipCodec: Codec = {
  compress: (data) => promised(zlibLib().gzip, data),
  decompress: (data) => promised(zlibLib().gunzip, data),
  compressSync: (data) => zlibLib().gzipSync(data),
  decompressSync: (data) => zlibLib().gunzipSync(data),
};
