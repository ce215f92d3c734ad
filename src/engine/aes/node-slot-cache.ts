import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import type { KeyTable } from '../key-table.js';
import { ZERO_IV } from './batch-check.js';

/**
 * One long-lived node:crypto cipher and decipher per key slot, with the CBC chain value each
 * carries from its previous update() call.
 *
 * A long-lived CBC object treats consecutive update() calls as one stream: the "IV" of the next
 * packet is the last ciphertext block of the previous one (C_prev). RFC 7425 wants a zero IV per
 * packet (wire-reference §A.3), so the first block is fixed up:
 * - encrypt: feed P1 ^ C_prev; the cipher computes E(P1 ^ C_prev ^ C_prev) = E(P1).
 * - decrypt: the decipher yields D(C1) ^ C_prev; XOR C_prev back out to get D(C1) = P1.
 *
 * With setAutoPadding(false), node's decipher does NOT hold back a final block (checked on
 * Node 20 / OpenSSL 3: update() of n*16 bytes returns n*16 bytes); callers still verify the
 * returned length and fail loudly if that ever changes.
 */
export class SlotCipher {
  readonly cipher: Cipher;
  readonly decipher: Decipher;
  /** Last ciphertext block the cipher produced (its current chain value). */
  readonly encChain = new Uint8Array(16);
  /** Last ciphertext block fed to the decipher. */
  readonly decChain = new Uint8Array(16);

  constructor(readonly generation: number, key: Uint8Array) {
    this.cipher = createCipheriv('aes-128-cbc', key, ZERO_IV);
    this.cipher.setAutoPadding(false);
    this.decipher = createDecipheriv('aes-128-cbc', key, ZERO_IV);
    this.decipher.setAutoPadding(false);
  }
}

/** Slot -> SlotCipher, rebuilt when the KeyTable generation of the slot moves. */
export class SlotCipherCache {
  private readonly slots = new Map<number, SlotCipher>();

  constructor(private readonly keys: KeyTable) {}

  /** The caller has checked the slot is in range and non-empty (checkPacketBatch). */
  get(slot: number): SlotCipher {
    const gen = this.keys.generation(slot);
    let s = this.slots.get(slot);
    if (s === undefined || s.generation !== gen) {
      s = new SlotCipher(gen, this.keys.key(slot));
      this.slots.set(slot, s);
    }
    return s;
  }

  /** Drops cached ciphers for slots that are now empty or re-keyed (optional housekeeping). */
  prune(): void {
    for (const [slot, s] of this.slots) if (this.keys.generation(slot) !== s.generation) this.slots.delete(slot);
  }
}

/** a[ao..ao+16) ^= b[bo..bo+16) */
export function xorBlock(a: Uint8Array, ao: number, b: Uint8Array, bo: number): void {
  for (let k = 0; k < 16; k++) a[ao + k] ^= b[bo + k];
}
