/** Small file helpers shared by the storage layer: exact reads and writes, directory fsync, atomic replace. */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { withTransientFile } from './open-files.js';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
/** The aborted-transaction index (producer-state/transaction-index.ts); present only once a segment has an aborted transaction. */
export const TXN_INDEX_FILE_SUFFIX = '.txnindex';
/** Written by a clean close of one partition log; its presence lets the next open skip recovery. */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

/** Kafka's file naming: the base offset zero-padded to 20 digits. */
export function offsetFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** Base offset from a segment file name, or null when the name is not `<20 digits><suffix>`. */
export function parseOffsetFileName(name: string, suffix: string): number | null {
  if (!name.endsWith(suffix)) return null;
  const stem = name.slice(0, name.length - suffix.length);
  if (!/^\d{20}$/.test(stem)) return null;
  const n = Number(stem);
  return Number.isSafeInteger(n) ? n : null;
}

/** Linux caps one writev at IOV_MAX (1024) buffers. */
const MAX_IOV = 1024;

/** Writes every byte of `bufs` at `position`, retrying short writes. */
export async function writeFully(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let pending = bufs.filter((b) => b.length > 0);
  let pos = position;
  while (pending.length > 0) {
    const slice = pending.length > MAX_IOV ? pending.slice(0, MAX_IOV) : pending;
    const { bytesWritten } = await fh.writev(slice, pos);
    pos += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (let i = 0; i < pending.length; i++) {
      const b = pending[i]!;
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    if (bytesWritten === 0 && rest.length > 0) throw new Error('write made no progress');
    pending = rest;
  }
}

/** Reads up to `length` bytes at `position`; the result is shorter only at end of file. */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Makes a directory's entries (created, renamed, deleted files) durable. */
export function fsyncDir(dir: string): Promise<void> {
  return withTransientFile(async () => {
    let fh: FileHandle | undefined;
    try {
      fh = await open(dir, constants.O_RDONLY);
      await fh.sync();
    } catch (err) {
      // Some platforms (Windows) cannot open or fsync a directory; Kafka ignores that too.
      if ((err as NodeJS.ErrnoException).code !== 'EISDIR' && (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    } finally {
      await fh?.close();
    }
  });
}

/** Replaces `file` atomically: write `file.tmp`, fsync, rename over `file`, fsync the directory. */
export async function atomicWriteFile(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  await withTransientFile(async () => {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/** unlink that ignores a missing file. */
export async function unlinkIfExists(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
