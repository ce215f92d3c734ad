/**
 * AES-128 keys by slot, in SharedArrayBuffer memory so that worker threads read the same table
 * the main thread writes, without a message per key. Each slot has a generation counter that
 * changes whenever its key changes; backends cache expanded key schedules (or long-lived
 * node:crypto ciphers) by (slot, generation) and rebuild when the generation moves.
 *
 * Generation 0 means "empty slot".
 *
 * The buffers are growable SharedArrayBuffers: `capacity` bounds them, but they start with a few
 * slots and double when a higher slot is set, so an endpoint allowed thousands of sessions pays
 * for the ones it has. Growth is visible to workers holding the same buffers (their views track
 * the length), and a slot is always set before any batch naming it is handed to a worker.
 */
export class KeyTable {
  static readonly KEY_BYTES = 16;
  /** Slots a fresh table starts with. */
  static readonly INITIAL_SLOTS = 64;
  /** Most slots (the buffers never grow past it). */
  readonly capacity: number;
  /** Key bytes of the slots allocated so far (16 per slot); tracks growth. */
  readonly keys: Uint8Array;
  /** One generation counter per allocated slot (Atomics-updated); tracks growth. */
  readonly generations: Int32Array;
  private nextGeneration = 1;

  constructor(capacity: number, shared?: { keys: SharedArrayBuffer; generations: SharedArrayBuffer }) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
      throw new RangeError(`KeyTable capacity ${capacity} out of range 1..2^20`);
    }
    this.capacity = capacity;
    const initial = Math.min(capacity, KeyTable.INITIAL_SLOTS);
    const keys = shared?.keys ?? new GrowableSab(initial * KeyTable.KEY_BYTES, { maxByteLength: capacity * KeyTable.KEY_BYTES });
    const gens = shared?.generations ?? new GrowableSab(initial * 4, { maxByteLength: capacity * 4 });
    this.keys = new Uint8Array(keys);
    this.generations = new Int32Array(gens);
  }

  /** The shared buffers, to hand to a worker (structured clone keeps them shared). */
  get shared(): { keys: SharedArrayBuffer; generations: SharedArrayBuffer } {
    return { keys: this.keys.buffer as SharedArrayBuffer, generations: this.generations.buffer as SharedArrayBuffer };
  }

  /** Re-create a view of a table from its shared buffers (inside a worker). */
  static fromShared(shared: { keys: SharedArrayBuffer; generations: SharedArrayBuffer }): KeyTable {
    const g = shared.generations as SharedArrayBuffer & { growable?: boolean; maxByteLength?: number };
    return new KeyTable((g.growable ? g.maxByteLength! : g.byteLength) / 4, shared);
  }

  /** Slots allocated so far (grows up to capacity). */
  get allocated(): number {
    return this.generations.length;
  }

  set(slot: number, key: Uint8Array): void {
    this.check(slot);
    if (key.length !== KeyTable.KEY_BYTES) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
    if (slot >= this.generations.length) this.grow(slot + 1);
    this.keys.set(key, slot * KeyTable.KEY_BYTES);
    // Generation numbers are only ever compared for equality; wrap within int32 positive range.
    const g = this.nextGeneration;
    this.nextGeneration = g >= 0x7fffffff ? 1 : g + 1;
    Atomics.store(this.generations, slot, g);
  }

  clear(slot: number): void {
    this.check(slot);
    if (slot >= this.generations.length) return; // never set
    this.keys.fill(0, slot * KeyTable.KEY_BYTES, (slot + 1) * KeyTable.KEY_BYTES);
    Atomics.store(this.generations, slot, 0);
  }

  generation(slot: number): number {
    return slot < this.generations.length ? Atomics.load(this.generations, slot) : 0;
  }

  /** A view of the key in a slot (no copy). */
  key(slot: number): Uint8Array {
    this.check(slot);
    if (slot >= this.generations.length) this.grow(slot + 1);
    return this.keys.subarray(slot * KeyTable.KEY_BYTES, (slot + 1) * KeyTable.KEY_BYTES);
  }

  /** Doubles the buffers until `slots` fit (at most capacity). */
  private grow(slots: number): void {
    let n = Math.max(1, this.generations.length);
    while (n < slots) n *= 2;
    n = Math.min(n, this.capacity);
    (this.keys.buffer as GrowableSharedArrayBuffer).grow(n * KeyTable.KEY_BYTES);
    (this.generations.buffer as GrowableSharedArrayBuffer).grow(n * 4);
  }

  private check(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity) {
      throw new RangeError(`key slot ${slot} out of range 0..${this.capacity - 1}`);
    }
  }
}

/** Growable SharedArrayBuffer (ES2024; Node 20 has it, the ES2023 lib does not declare it). */
interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  grow(byteLength: number): void;
}
const GrowableSab = SharedArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => GrowableSharedArrayBuffer;
