/**
 * Cursor-based readers and writers for Kafka's primitive types (big-endian ints, zigzag varints,
 * unsigned varints, strings, bytes). No I/O. Both the message codec and the record-batch codec use these.
 */

/** Raised when a buffer ends before a value does or a length is out of range; maps to a malformed request. */
export class ProtocolDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolDecodeError';
  }
}

const TWO_POW_32 = 4294967296;

export class ByteReader {
  pos: number;
  readonly end: number;

  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new ProtocolDecodeError(`need ${n} bytes at ${this.pos}, have ${this.end - this.pos}`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** int64 as a JS number: exact within ±2^53, which covers offsets, timestamps and producer ids in practice. */
  int64(): number {
    this.need(8);
    const v = this.buf.readInt32BE(this.pos) * TWO_POW_32 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    return this.uint8() !== 0;
  }

  /** Unsigned LEB128 varint (up to 32 bits), used for compact lengths and tags. */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw new ProtocolDecodeError('varint is too long');
  }

  /** Zigzag-encoded signed varint (32 bits), used inside records. */
  varint(): number {
    const n = this.uvarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** Zigzag-encoded signed varlong (64 bits, precise within ±2^53). */
  varlong(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      mul *= 128;
    }
    throw new ProtocolDecodeError('varlong is too long');
  }

  /** A view of the next n bytes (no copy). */
  raw(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  uuid(): Buffer {
    return this.raw(16);
  }

  utf8(n: number): string {
    this.need(n);
    const v = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

/**
 * A growable writer. Small values go into a reusable scratch buffer; large byte blobs (record sets)
 * can be appended as separate chunks so that they are never copied (see `chunks()`).
 */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly done: Buffer[] = [];
  private doneBytes = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.doneBytes + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: number): this {
    this.ensure(8);
    const hi = Math.floor(v / TWO_POW_32);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * TWO_POW_32, this.pos + 4);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.uint8(v ? 1 : 0);
  }

  uvarint(v: number): this {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  utf8(s: string): this {
    const n = Buffer.byteLength(s);
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
    return this;
  }

  /** Append a large buffer without copying it; it becomes its own chunk. */
  chunk(b: Buffer): this {
    if (b.length < 4096) return this.raw(b);
    this.flushScratch();
    this.done.push(b);
    this.doneBytes += b.length;
    return this;
  }

  private flushScratch(): void {
    if (this.pos === 0) return;
    this.done.push(this.buf.subarray(0, this.pos));
    this.doneBytes += this.pos;
    this.buf = Buffer.allocUnsafe(Math.max(256, this.buf.length - this.pos));
    this.pos = 0;
  }

  /** The written bytes as a list of buffers, for `socket.write` of each or a gathered write. */
  chunks(): Buffer[] {
    this.flushScratch();
    return this.done;
  }

  /** The written bytes as one buffer (copies only when there are several chunks). */
  toBuffer(): Buffer {
    const parts = this.chunks();
    if (parts.length === 1) return parts[0]!;
    return Buffer.concat(parts, this.doneBytes);
  }
}
