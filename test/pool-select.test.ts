import { createCipheriv, randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyTable } from '../src/engine/key-table.js';
import type { PacketBatch } from '../src/engine/packet-batch.js';
import { EngineError } from '../src/engine/pool/errors.js';
import { MEASURED_PACKET_CIPHER_WINNER, selectPacketCipher, type PacketCipherChoice } from '../src/engine/select.js';

const keys = new KeyTable(4);
for (let s = 0; s < 4; s++) keys.set(s, randomBytes(16));

function batch(shared: boolean): PacketBatch {
  const count = 9;
  const data = new Uint8Array(shared ? new SharedArrayBuffer(count * 48) : new ArrayBuffer(count * 48));
  data.set(randomBytes(data.length));
  return {
    data,
    count,
    offsets: Uint32Array.from({ length: count }, (_, i) => i * 48),
    lengths: new Uint32Array(count).fill(48),
    keySlots: Uint32Array.from({ length: count }, (_, i) => i % 4),
  };
}

function expectedEncrypt(b: PacketBatch): Uint8Array {
  const out = Uint8Array.from(b.data);
  for (let i = 0; i < b.count; i++) {
    const c = createCipheriv('aes-128-cbc', keys.key(b.keySlots[i]!), new Uint8Array(16));
    c.setAutoPadding(false);
    out.set(c.update(b.data.subarray(b.offsets[i]!, b.offsets[i]! + b.lengths[i]!)), b.offsets[i]!);
  }
  return out;
}

const choices: PacketCipherChoice[] = ['auto', 'node', 'node-long-lived', 'node-per-packet', 'wasm', 'pool-node', 'pool-wasm'];

test('every choice builds a cipher that matches node:crypto and says what it is', async () => {
  for (const choice of choices) {
    const selected = selectPacketCipher(keys, { choice, pool: { threads: 1 } });
    try {
      assert.is(selected.requested, choice);
      assert.is(selected.choice, choice === 'auto' ? MEASURED_PACKET_CIPHER_WINNER.choice : choice);
      assert.is(selected.cipher.placement, selected.choice.startsWith('pool-') ? 'pool' : 'inline');
      assert.match(selected.describe(), selected.cipher.name);
      if (choice === 'auto') assert.match(selected.describe(), /measured winner/);
      for (const shared of [false, true]) {
        const b = batch(shared);
        const plain = Uint8Array.from(b.data);
        const expected = expectedEncrypt(b);
        await selected.cipher.encrypt(b);
        assert.equal(Array.from(b.data), Array.from(expected), `${choice} encrypt`);
        await selected.cipher.decrypt(b);
        assert.equal(Array.from(b.data), Array.from(plain), `${choice} decrypt`);
      }
    } finally {
      await selected.cipher.close();
    }
  }
});

test('unknown choice is a typed error', () => {
  try {
    selectPacketCipher(keys, { choice: 'quantum' as PacketCipherChoice });
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, EngineError);
    assert.is((e as EngineError).code, 'ERR_ENGINE_BACKEND');
  }
});

test.run();
