import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyTable } from '../src/engine/key-table.js';
import { NodeBatchedCipher } from '../src/engine/aes/node-batched.js';
import { NodeLongLivedCipher } from '../src/engine/aes/node-long-lived.js';
import { NodePerPacketCipher } from '../src/engine/aes/node-per-packet.js';
import { InlinePacketCipher } from '../src/engine/aes/inline.js';
import { PacketCipherError } from '../src/engine/aes/errors.js';
import { hex, toHex } from './support/vectors.js';
import { refCbcDecrypt, refCbcEncrypt } from './aes-support.js';
import { runBackendSuite } from './aes-backend-suite.js';

// The reference itself, on NIST SP 800-38A F.2.1 (CBC-AES128.Encrypt). Its IV is not zero, so
// fold the IV into the first plaintext block: CBC(IV, P) == CBC(0, P1^IV || P2 ...).
test('reference CBC matches NIST SP 800-38A F.2.1', () => {
  const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
  const iv = hex('000102030405060708090a0b0c0d0e0f');
  const plain = hex(
    '6bc1bee22e409f96e93d7e117393172a' + 'ae2d8a571e03ac9c9eb76fac45af8e51' +
      '30c81c46a35ce411e5fbc1191a0a52ef' + 'f69f2445df4f9b17ad2b417be66c3710',
  );
  const want =
    '7649abac8119b246cee98e9b12e9197d' + '5086cb9b507219ee95db113a917678b2' +
    '73bed6b8e3c1743b7116e69e22229516' + '3ff1caa1681fac09120eca307586e1a7';
  const p = plain.slice();
  for (let k = 0; k < 16; k++) p[k]! ^= iv[k]!;
  const c = refCbcEncrypt(key, p);
  assert.is(toHex(c), want);
  const back = refCbcDecrypt(key, c);
  assert.is(toHex(back), toHex(p));
});

for (const make of [
  (k: KeyTable) => new NodePerPacketCipher(k),
  (k: KeyTable) => new NodeLongLivedCipher(k),
  (k: KeyTable) => new NodeBatchedCipher(k),
]) {
  runBackendSuite(test, make);
}

test('InlinePacketCipher resolves at once and rejects typed errors', async () => {
  const keys = new KeyTable(4);
  keys.set(1, hex('000102030405060708090a0b0c0d0e0f'));
  const c = new InlinePacketCipher(new NodeLongLivedCipher(keys));
  assert.is(c.placement, 'inline');
  const data = hex('00112233445566778899aabbccddeeff');
  const batch = { data, count: 1, offsets: Uint32Array.of(0), lengths: Uint32Array.of(16), keySlots: Uint32Array.of(1) };
  await c.encrypt(batch);
  // FIPS-197 C.1: one block with zero IV is plain AES.
  assert.is(toHex(data), '69c4e0d86a7b0430d8cdb78070b4c55a');
  await c.decrypt(batch);
  assert.is(toHex(data), '00112233445566778899aabbccddeeff');
  batch.keySlots[0] = 2;
  try {
    await c.decrypt(batch);
    assert.unreachable('empty slot accepted');
  } catch (e) {
    assert.instance(e, PacketCipherError);
    assert.is((e as PacketCipherError).code, 'ERR_CIPHER_KEY_EMPTY');
  }
  await c.close();
  batch.keySlots[0] = 1;
  try {
    await c.encrypt(batch);
    assert.unreachable('closed cipher accepted');
  } catch (e) {
    assert.is((e as PacketCipherError).code, 'ERR_CIPHER_CLOSED');
  }
});

test.run();
