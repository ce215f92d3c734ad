import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { KeyTable } from '../key-table.js';
import type { PacketBatch, PacketCipherSync } from '../packet-batch.js';
import { checkPacketBatch, ZERO_IV } from './batch-check.js';
import { PacketCipherError } from './errors.js';

/**
 * The naive baseline: a new node:crypto AES-128-CBC cipher (zero IV, no padding, wire-reference
 * §A.3) for every packet, update + final. Most of its cost is object setup, not AES.
 */
export class NodePerPacketCipher implements PacketCipherSync {
  readonly name = 'node-per-packet';

  constructor(private readonly keys: KeyTable) {}

  encryptSync(batch: PacketBatch): void {
    this.run(batch, true);
  }

  decryptSync(batch: PacketBatch): void {
    this.run(batch, false);
  }

  private run(batch: PacketBatch, encrypt: boolean): void {
    checkPacketBatch(batch, this.keys);
    const { data, count, offsets, lengths, keySlots } = batch;
    for (let i = 0; i < count; i++) {
      const off = offsets[i]!;
      const len = lengths[i]!;
      if (len === 0) continue;
      const key = this.keys.key(keySlots[i]!);
      const c = encrypt ? createCipheriv('aes-128-cbc', key, ZERO_IV) : createDecipheriv('aes-128-cbc', key, ZERO_IV);
      c.setAutoPadding(false);
      const out = c.update(data.subarray(off, off + len));
      const tail = c.final();
      if (out.length + tail.length !== len) {
        throw new PacketCipherError('ERR_CIPHER_BACKEND', `packet ${i}: node:crypto returned ${out.length + tail.length} of ${len} bytes`);
      }
      data.set(out, off);
      if (tail.length) data.set(tail, off + out.length);
    }
  }
}
