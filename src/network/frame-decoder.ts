/**
 * Splits a byte stream into Kafka frames (int32 size + payload). The declared size is checked
 * against the limit before anything is allocated for it, so a hostile size costs nothing.
 *
 * Hot path: a frame that lies wholly inside a chunk is handed out as a view of that chunk (no copy).
 * A frame cut by a chunk boundary is assembled in a buffer of its declared size, allocated once and
 * filled as its bytes arrive (one copy, no re-concatenation of what follows it); frames larger than
 * PREALLOCATE_MAX_BYTES keep their chunks until they are complete, so memory grows only with bytes
 * actually received.
 *
 * With a `reserve` function (the broker's MemoryPool, KIP-72) the declared size is reserved as soon
 * as the size prefix is read, and the frame's buffer is then allocated whole, as Kafka does; when
 * the reservation is refused the decoder stalls: it keeps the unread rest of the chunk and `feed`
 * returns false until `resume` succeeds. The caller stops reading the socket meanwhile.
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
  /** While stalled: the declared size waiting for its reservation and the bytes after its prefix. */
  private stalledSize = -1;
  private stalledRest: Buffer | null = null;

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
    private readonly reserve: ((sizeBytes: number) => boolean) | null = null,
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
   * Returns false when a reservation was refused: the rest is kept, feed no more until `resume`.
   */
  feed(chunk: Buffer, onFrame: (frame: Buffer) => void): boolean {
    if (this.stalledRest !== null) throw new Error('FrameDecoder.feed while stalled: call resume first');
    return this.run(chunk, 0, onFrame);
  }

  /** True while a frame waits for its reservation. */
  get stalled(): boolean {
    return this.stalledRest !== null;
  }

  /** Retries the refused reservation and goes on with the kept bytes; false if refused again. */
  resume(onFrame: (frame: Buffer) => void): boolean {
    const rest = this.stalledRest;
    if (rest === null) return true;
    const size = this.stalledSize;
    if (!this.reserve!(size)) return false;
    this.stalledRest = null;
    this.stalledSize = -1;
    const pos = this.begin(rest, 0, size, onFrame);
    return this.run(rest, pos, onFrame);
  }

  /**
   * Bytes reserved for the frame being assembled (released by whoever owns the decoder when the
   * connection closes mid-frame); 0 without a reserve function.
   */
  get reservedBytes(): number {
    return this.reserve !== null && this.frameSize >= 0 ? this.frameSize : 0;
  }

  /** Forgets a half-read or stalled frame (the connection is closing; its reservation was released). */
  abandon(): void {
    this.frameSize = -1;
    this.target = null;
    this.targetHave = 0;
    this.parts = [];
    this.partsHave = 0;
    this.stalledRest = null;
    this.stalledSize = -1;
  }

  private run(chunk: Buffer, start: number, onFrame: (frame: Buffer) => void): boolean {
    const len = chunk.length;
    let pos = start;
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
        if (have + n < this.frameSize) return true;
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
        if (this.sizeBytesHave < 4) return true;
        this.sizeBytesHave = 0;
        size = this.sizeBytes.readInt32BE(0);
      }
      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
      if (this.reserve !== null && !this.reserve(size)) {
        this.stalledSize = size;
        this.stalledRest = this.keep(chunk.subarray(pos));
        return false;
      }
      pos = this.begin(chunk, pos, size, onFrame);
    }
    return true;
  }

  /** A frame of `size` starts at `pos` (its reservation, if any, is made): deliver it or start assembling it. */
  private begin(chunk: Buffer, pos: number, size: number, onFrame: (frame: Buffer) => void): number {
    const len = chunk.length;
    if (len - pos >= size) {
      onFrame(this.keep(chunk.subarray(pos, pos + size)));
      return pos + size;
    }
    // The frame goes past this chunk. Reserved frames get their whole buffer now (the pool bounds
    // them; untouched pages of a large allocation cost no RSS until bytes arrive).
    this.frameSize = size;
    const rest = len - pos;
    if (size <= PREALLOCATE_MAX_BYTES || this.reserve !== null) {
      this.target = this.alloc(size);
      chunk.copy(this.target, 0, pos, len);
      this.targetHave = rest;
    } else {
      this.parts.push(this.keep(chunk.subarray(pos)));
      this.partsHave = rest;
    }
    return len;
  }

  /** A view of the chunk, or a copy when the chunk's memory is about to be reused. */
  private keep(view: Buffer): Buffer {
    if (!this.transientChunks) return view;
    const copy = this.alloc(view.length);
    view.copy(copy);
    return copy;
  }

  get bufferedBytes(): number {
    return this.sizeBytesHave + (this.target !== null ? this.targetHave : this.partsHave) + (this.stalledRest?.length ?? 0);
  }
}
