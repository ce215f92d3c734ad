/**
 * AES-128 keys by slot, in SharedArrayBuffer memory so that worker threads read the same table
 * the main thread writes, without a message per key. Each slot has a generation counter that
 * changes whenever its key changes; backends cache expanded key schedules (or long-lived
 * node:crypto ciphers) by (slot, generation) and rebuild when the generation moves.
 *
 * Generation 0 means "empty slot".
 */
export class KeyTable {
  static readonly KEY_BYTES = 16;
  readonly capacity: number;
  /** capacity * 16 key bytes. */
  readonly keys: Uint8Array;
  /** One generation counter per slot (Atomics-updated). */
  readonly generations: Int32Array;
  private nextGeneration = 1;

  constructor(capacity: number, shared?: { keys: SharedArrayBuffer; generations: SharedArrayBuffer }) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
      throw new RangeError(`KeyTable capacity ${capacity} out of range 1..2^20`);
    }
    this.capacity = capacity;
    const keys = shared?.keys ?? new SharedArrayBuffer(capacity * KeyTable.KEY_BYTES);
    const gens = shared?.generations ?? new SharedArrayBuffer(capacity * 4);
    this.keys = new Uint8Array(keys);
    this.generations = new Int32Array(gens);
  }

  /** The shared buffers, to hand to a worker (structured clone keeps them shared). */
  get shared(): { keys: SharedArrayBuffer; generations: SharedArrayBuffer } {
    return { keys: this.keys.buffer as SharedArrayBuffer, generations: this.generations.buffer as SharedArrayBuffer };
  }

  /** Re-create a view of a table from its shared buffers (inside a worker). */
  static fromShared(shared: { keys: SharedArrayBuffer; generations: SharedArrayBuffer }): KeyTable {
    return new KeyTable(shared.generations.byteLength / 4, shared);
  }

  set(slot: number, key: Uint8Array): void {
    this.check(slot);
    if (key.length !== KeyTable.KEY_BYTES) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
    this.keys.set(key, slot * KeyTable.KEY_BYTES);
    // Generation numbers are only ever compared for equality; wrap within int32 positive range.
    const g = this.nextGeneration;
    this.nextGeneration = g >= 0x7fffffff ? 1 : g + 1;
    Atomics.store(this.generations, slot, g);
  }

  clear(slot: number): void {
    this.check(slot);
    this.keys.fill(0, slot * KeyTable.KEY_BYTES, (slot + 1) * KeyTable.KEY_BYTES);
    Atomics.store(this.generations, slot, 0);
  }

  generation(slot: number): number {
    return Atomics.load(this.generations, slot);
  }

  /** A view of the key in a slot (no copy). */
  key(slot: number): Uint8Array {
    this.check(slot);
    return this.keys.subarray(slot * KeyTable.KEY_BYTES, (slot + 1) * KeyTable.KEY_BYTES);
  }

  private check(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity) {
      throw new RangeError(`key slot ${slot} out of range 0..${this.capacity - 1}`);
    }
  }
}
