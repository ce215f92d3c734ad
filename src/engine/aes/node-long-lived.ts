import type { KeyTable } from '../key-table.js';
import type { PacketBatch, PacketCipherSync } from '../packet-batch.js';
import { checkPacketBatch } from './batch-check.js';
import { PacketCipherError } from './errors.js';
import { SlotCipherCache, xorBlock } from './node-slot-cache.js';

/**
 * node:crypto with one long-lived cipher and decipher per key slot (rebuilt when the slot's
 * generation changes) and one update() per packet, plus the 16-byte first-block fix-up that
 * turns the carried CBC chain into the zero IV RFC 7425 wants (see SlotCipher).
 */
export class NodeLongLivedCipher implements PacketCipherSync {
  readonly name = 'node-long-lived';
  private readonly cache: SlotCipherCache;
  private readonly saved = new Uint8Array(16);

  constructor(private readonly keys: KeyTable) {
    this.cache = new SlotCipherCache(keys);
  }

  encryptSync(batch: PacketBatch): void {
    checkPacketBatch(batch, this.keys);
    const { data, count, offsets, lengths, keySlots } = batch;
    for (let i = 0; i < count; i++) {
      const off = offsets[i]!;
      const len = lengths[i]!;
      if (len === 0) continue;
      const s = this.cache.get(keySlots[i]!);
      // P1 ^= C_prev in place: the block is about to be overwritten by its ciphertext anyway.
      xorBlock(data, off, s.encChain, 0);
      const out = s.cipher.update(data.subarray(off, off + len));
      if (out.length !== len) throw short(i, out.length, len);
      data.set(out, off);
      s.encChain.set(out.subarray(len - 16));
    }
  }

  decryptSync(batch: PacketBatch): void {
    checkPacketBatch(batch, this.keys);
    const { data, count, offsets, lengths, keySlots } = batch;
    const saved = this.saved;
    for (let i = 0; i < count; i++) {
      const off = offsets[i]!;
      const len = lengths[i]!;
      if (len === 0) continue;
      const s = this.cache.get(keySlots[i]!);
      // The decipher's next chain value is this packet's last ciphertext block; keep it before
      // the plaintext overwrites it.
      saved.set(data.subarray(off + len - 16, off + len));
      const out = s.decipher.update(data.subarray(off, off + len));
      if (out.length !== len) throw short(i, out.length, len);
      xorBlock(out, 0, s.decChain, 0);
      data.set(out, off);
      s.decChain.set(saved);
    }
  }
}

function short(i: number, got: number, want: number): PacketCipherError {
  return new PacketCipherError('ERR_CIPHER_BACKEND', `packet ${i}: node:crypto returned ${got} of ${want} bytes`);
}
