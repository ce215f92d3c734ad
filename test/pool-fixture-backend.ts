/**
 * A PacketCipherSync for pool tests, loaded in workers through the pool's `cipherModule` option:
 * per-packet node:crypto AES-128-CBC with a zero IV and no padding (wire-reference §A.3), plus
 * fault injection on reserved key slots so tests can make a worker fail in known ways:
 *   slot capacity-1: the worker thread exits; slot capacity-2: a plain TypeError;
 *   an empty slot (generation 0): a typed RtmfpError.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { RtmfpError, type RtmfpErrorCode } from '../src/errors.js';
import type { KeyTable } from '../src/engine/key-table.js';
import type { PacketBatch, PacketCipherSync } from '../src/engine/packet-batch.js';

const IV = new Uint8Array(16);

export function createPacketCipher(keys: KeyTable): PacketCipherSync {
  const run = (batch: PacketBatch, encrypt: boolean): void => {
    for (let i = 0; i < batch.count; i++) {
      const slot = batch.keySlots[i]!;
      if (slot === keys.capacity - 1) process.exit(3);
      if (slot === keys.capacity - 2) throw new TypeError('fixture: injected TypeError');
      if (keys.generation(slot) === 0) // A code outside the library's union on purpose: the pool must carry any worker code through.
        throw new RtmfpError('ERR_FIXTURE_EMPTY_KEY' as RtmfpErrorCode, `fixture: key slot ${slot} is empty`);
      const c = encrypt ? createCipheriv('aes-128-cbc', keys.key(slot), IV) : createDecipheriv('aes-128-cbc', keys.key(slot), IV);
      c.setAutoPadding(false);
      const off = batch.offsets[i]!;
      const len = batch.lengths[i]!;
      const out = c.update(batch.data.subarray(off, off + len));
      c.final();
      batch.data.set(out, off);
    }
  };
  return {
    name: 'fixture-per-packet',
    encryptSync: (b) => run(b, true),
    decryptSync: (b) => run(b, false),
  };
}
