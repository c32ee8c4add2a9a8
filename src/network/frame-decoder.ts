/**
 * Splits a byte stream into Kafka frames (int32 size + payload). The declared size is checked
 * against the limit before anything is allocated for it, so a hostile size costs nothing.
 *
 * Hot path: a frame that lies wholly inside a chunk is handed out as a view of that chunk (no copy).
 * A frame cut by a chunk boundary is assembled in a buffer of its declared size, allocated once and
 * filled as its bytes arrive (one copy, no re-concatenation of what follows it); frames larger than
 * PREALLOCATE_MAX_BYTES keep their chunks until they are complete, so memory grows only with bytes
 * actually received.
 */

export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(size < 0 ? `invalid frame size ${size}` : `frame of ${size} bytes exceeds the limit of ${limit}`);
    this.name = 'FrameTooLargeError';
  }
}

/** Frames up to this size get their buffer as soon as their size is known. */
const PREALLOCATE_MAX_BYTES = 1024 * 1024;

export class FrameDecoder {
  /** Size prefix bytes seen so far when a chunk ended inside one. */
  private readonly sizeBytes = Buffer.alloc(4);
  private sizeBytesHave = 0;
  /** Declared size of the frame being assembled, or -1 between frames. */
  private frameSize = -1;
  /** Preallocated frame being filled (frames up to PREALLOCATE_MAX_BYTES). */
  private target: Buffer | null = null;
  private targetHave = 0;
  /** Chunks of a large frame, joined when it is complete. */
  private parts: Buffer[] = [];
  private partsHave = 0;

  /**
   * `alloc` provides the buffers frames are assembled in (e.g. a FramePool); default
   * Buffer.allocUnsafe. With `transientChunks` the caller reuses each chunk's memory after `feed`
   * returns (a socket reading into one buffer), so no frame or part may stay a view of a chunk:
   * everything is copied out.
   */
  constructor(
    private readonly maxFrameBytes: number,
    private readonly alloc: (size: number) => Buffer = Buffer.allocUnsafe,
    private readonly transientChunks = false,
  ) {}

  /** Feeds bytes; returns the complete frames they finish (payloads without the size prefix). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    this.feed(chunk, (f) => void frames.push(f));
    return frames;
  }

  /**
   * Feeds bytes and calls `onFrame` for each frame they complete, in order. Throws
   * FrameTooLargeError for a bad size (frames before it in the chunk have been delivered).
   */
  feed(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      if (this.frameSize >= 0) {
        // Continue the frame a previous chunk started.
        const have = this.target !== null ? this.targetHave : this.partsHave;
        const n = Math.min(this.frameSize - have, len - pos);
        if (this.target !== null) {
          chunk.copy(this.target, this.targetHave, pos, pos + n);
          this.targetHave += n;
        } else {
          this.parts.push(this.keep(chunk.subarray(pos, pos + n)));
          this.partsHave += n;
        }
        pos += n;
        if (have + n < this.frameSize) return;
        const frame = this.target ?? (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.frameSize));
        this.frameSize = -1;
        this.target = null;
        this.targetHave = 0;
        this.parts = [];
        this.partsHave = 0;
        onFrame(frame);
        continue;
      }
      let size: number;
      if (this.sizeBytesHave === 0 && len - pos >= 4) {
        size = chunk.readInt32BE(pos);
        pos += 4;
      } else {
        const n = Math.min(4 - this.sizeBytesHave, len - pos);
        chunk.copy(this.sizeBytes, this.sizeBytesHave, pos, pos + n);
        this.sizeBytesHave += n;
        pos += n;
        if (this.sizeBytesHave < 4) return;
        this.sizeBytesHave = 0;
        size = this.sizeBytes.readInt32BE(0);
      }
      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
      if (len - pos >= size) {
        onFrame(this.keep(chunk.subarray(pos, pos + size)));
        pos += size;
        continue;
      }
      // The frame goes past this chunk.
      this.frameSize = size;
      const rest = len - pos;
      if (size <= PREALLOCATE_MAX_BYTES) {
        this.target = this.alloc(size);
        chunk.copy(this.target, 0, pos, len);
        this.targetHave = rest;
      } else {
        this.parts.push(this.keep(chunk.subarray(pos)));
        this.partsHave = rest;
      }
      return;
    }
  }

  /** A view of the chunk, or a copy when the chunk's memory is about to be reused. */
  private keep(view: Buffer): Buffer {
    if (!this.transientChunks) return view;
    const copy = this.alloc(view.length);
    view.copy(copy);
    return copy;
  }

  get bufferedBytes(): number {
    return this.sizeBytesHave + (this.target !== null ? this.targetHave : this.partsHave);
  }
}
