/**
 * Splits a byte stream into Kafka frames (int32 size + payload). The declared size is checked
 * against the limit before anything is allocated for it, so a hostile size costs nothing.
 */

export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(size < 0 ? `invalid frame size ${size}` : `frame of ${size} bytes exceeds the limit of ${limit}`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes; returns the complete frames they finish (payloads without the size prefix). */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // A large frame arrives in many chunks: only join them once the whole frame is here.
    if (this.pendingBytes < this.neededBytes()) return [];
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const frames: Buffer[] = [];
    let pos = 0;
    while (buf.length - pos >= 4) {
      const size = buf.readInt32BE(pos);
      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
      if (buf.length - pos - 4 < size) break;
      frames.push(buf.subarray(pos + 4, pos + 4 + size));
      pos += 4 + size;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
    return frames;
  }

  /** Bytes needed before the next frame can be cut: the size prefix, then the declared frame. */
  private neededBytes(): number {
    const first = this.pending[0]!;
    if (first.length >= 4) {
      const size = first.readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) return 0; // let push() raise the error now
      return 4 + size;
    }
    return 4;
  }

  get bufferedBytes(): number {
    return this.pendingBytes;
  }
}
