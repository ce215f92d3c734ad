import type { KeyTable } from '../key-table.js';
import { validatePacketBatch, type PacketBatch } from '../packet-batch.js';
import { PacketCipherError } from './errors.js';

/**
 * Every backend calls this before touching a byte, so that a bad batch fails as a whole:
 * shape errors are RangeErrors (validatePacketBatch), an empty key slot (generation 0) is a
 * PacketCipherError. Nothing is half-processed on these errors.
 */
export function checkPacketBatch(batch: PacketBatch, keys: KeyTable): void {
  validatePacketBatch(batch, keys.capacity);
  const { count, keySlots } = batch;
  for (let i = 0; i < count; i++) {
    const slot = keySlots[i]!;
    if (keys.generation(slot) === 0) {
      throw new PacketCipherError('ERR_CIPHER_KEY_EMPTY', `packet ${i}: key slot ${slot} is empty`);
    }
  }
}

/** RFC 7425 packets use CBC with an all-zero IV, fresh for every packet (wire-reference §A.3). */
export const ZERO_IV: Uint8Array = new Uint8Array(16);
