/**
 * The cleaner's bounded map from key to the offset of its latest record (Kafka's SkimpyOffsetMap): keys are
 * stored as their 16-byte MD5 digest, so memory is fixed by the slot count whatever the key sizes, and a
 * collision (which would drop a record) is as unlikely as in Kafka. Open addressing with linear probing.
 */
import { createHash } from 'node:crypto';

const HASH_BYTES = 16;
/** Bytes per slot: the digest plus an 8-byte offset. */
export const OFFSET_MAP_SLOT_BYTES = HASH_BYTES + 8;

export class OffsetMap {
  readonly slots: number;
  /** Entries the map accepts before it reports full (log.cleaner.io.buffer.load.factor). */
  readonly maxEntries: number;
  private readonly hashes: Buffer;
  /** -1 marks a free slot. */
  private readonly offsets: Float64Array;
  private count = 0;
  private latest = -1;

  /** `memoryBytes` is the budget (log.cleaner.dedupe.buffer.size); at least 2 slots are kept. */
  constructor(memoryBytes: number, loadFactor = 0.9) {
    if (!(loadFactor > 0 && loadFactor <= 1)) throw new RangeError(`load factor ${loadFactor} not in (0, 1]`);
    this.slots = Math.max(2, Math.floor(memoryBytes / OFFSET_MAP_SLOT_BYTES));
    this.maxEntries = Math.max(1, Math.floor(this.slots * loadFactor));
    this.hashes = Buffer.alloc(this.slots * HASH_BYTES);
    this.offsets = new Float64Array(this.slots).fill(-1);
  }

  get size(): number {
    return this.count;
  }

  /** Largest offset put since the last clear, -1 when none. */
  get latestOffset(): number {
    return this.latest;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  /** Free entries left before `isFull`. */
  get remaining(): number {
    return this.maxEntries - this.count;
  }

  clear(): void {
    this.offsets.fill(-1);
    this.count = 0;
    this.latest = -1;
  }

  /** Records `offset` as the latest for `key` (callers put in offset order). Throws when the map is full. */
  put(key: Buffer, offset: number): void {
    const digest = hashKey(key);
    const slot = this.find(digest);
    if (this.offsets[slot] === -1) {
      if (this.isFull) throw new RangeError('offset map is full');
      digest.copy(this.hashes, slot * HASH_BYTES);
      this.count++;
    }
    this.offsets[slot] = offset;
    if (offset > this.latest) this.latest = offset;
  }

  /** The latest offset recorded for `key`, -1 when none. */
  get(key: Buffer): number {
    return this.offsets[this.find(hashKey(key))]!;
  }

  /** The slot holding `digest`, or the free slot where it would go (the map is never completely full). */
  private find(digest: Buffer): number {
    let slot = digest.readUInt32BE(0) % this.slots;
    for (;;) {
      if (this.offsets[slot] === -1) return slot;
      if (this.hashes.compare(digest, 0, HASH_BYTES, slot * HASH_BYTES, (slot + 1) * HASH_BYTES) === 0) return slot;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
    }
  }
}

function hashKey(key: Buffer): Buffer {
  return createHash('md5').update(key).digest();
}
