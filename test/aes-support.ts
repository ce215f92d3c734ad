// Shared helpers of the test/aes-*.test.ts files: an independent CBC reference (AES-128-ECB from
// node:crypto, one block at a time, chaining done here) and random batch builders.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { PacketBatch } from '../src/engine/packet-batch.js';
import { xorshift32 } from './support/prng.js';

function ecb(encrypt: boolean, key: Uint8Array): (block: Uint8Array) => Uint8Array {
  const c = encrypt ? createCipheriv('aes-128-ecb', key, null) : createDecipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return (block) => new Uint8Array(c.update(block));
}

/** AES-128-CBC with a zero IV over one packet, chaining written out by hand. */
export function refCbcEncrypt(key: Uint8Array, plain: Uint8Array): Uint8Array {
  const e = ecb(true, key);
  const out = new Uint8Array(plain.length);
  let prev: Uint8Array = new Uint8Array(16);
  for (let o = 0; o < plain.length; o += 16) {
    const x = plain.slice(o, o + 16);
    for (let k = 0; k < 16; k++) x[k]! ^= prev[k]!;
    prev = e(x);
    out.set(prev, o);
  }
  return out;
}

export function refCbcDecrypt(key: Uint8Array, cipher: Uint8Array): Uint8Array {
  const d = ecb(false, key);
  const out = new Uint8Array(cipher.length);
  for (let o = 0; o < cipher.length; o += 16) {
    const x = d(cipher.subarray(o, o + 16));
    for (let k = 0; k < 16; k++) out[o + k] = x[k]! ^ (o === 0 ? 0 : cipher[o - 16 + k]!);
  }
  return out;
}

/** A deterministic PRNG (xorshift32, raw 32-bit outputs) so failures reproduce. */
export function rng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() * 4294967296;
}

export interface BatchOptions {
  count: number;
  slots: number[];
  contiguous: boolean;
  shared: boolean;
  /** Fixed length or random 16..1200 step 16. */
  length?: number;
  seed: number;
}

/** A batch of random packets; gaps of random multiples of 1..5 bytes between them when not contiguous. */
export function randomBatch(o: BatchOptions): PacketBatch {
  const r = rng(o.seed);
  const lengths = new Uint32Array(o.count);
  const offsets = new Uint32Array(o.count);
  const keySlots = new Uint32Array(o.count);
  let pos = o.contiguous ? 0 : 3;
  for (let i = 0; i < o.count; i++) {
    lengths[i] = o.length ?? 16 * (1 + (r() % 75));
    keySlots[i] = o.slots[r() % o.slots.length]!;
    offsets[i] = pos;
    pos += lengths[i]! + (o.contiguous ? 0 : 1 + (r() % 5));
  }
  const buf = o.shared ? new SharedArrayBuffer(pos + 7) : new ArrayBuffer(pos + 7);
  const data = new Uint8Array(buf);
  data.set(randomBytes(data.length));
  return { data, count: o.count, offsets, lengths, keySlots };
}

export function cloneBatch(b: PacketBatch): PacketBatch {
  return { ...b, data: b.data.slice() };
}
