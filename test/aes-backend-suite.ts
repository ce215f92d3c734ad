// One conformance suite that every AES packet backend must pass (used by aes-node.test.ts and
// aes-wasm.test.ts). Registers tests on the uvu `test` it is given.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KeyTable } from '../src/engine/key-table.js';
import type { PacketBatch, PacketCipherSync } from '../src/engine/packet-batch.js';
import { PacketCipherError } from '../src/engine/aes/errors.js';
import { hex, readJson, toHex, vectorsDir } from './support/vectors.js';
import { cloneBatch, randomBatch, refCbcDecrypt, refCbcEncrypt, rng } from './aes-support.js';

export type MakeBackend = (keys: KeyTable) => PacketCipherSync;

function one(data: Uint8Array, slot: number): PacketBatch {
  return { data, count: 1, offsets: Uint32Array.of(0), lengths: Uint32Array.of(data.length), keySlots: Uint32Array.of(slot) };
}

/** Packet i of a batch, as a copy. */
function packet(b: PacketBatch, i: number): Uint8Array {
  return b.data.slice(b.offsets[i]!, b.offsets[i]! + b.lengths[i]!);
}

/** Bytes of `data` that belong to no packet must never change. */
function gaps(b: PacketBatch): string {
  const mask = new Uint8Array(b.data.length);
  for (let i = 0; i < b.count; i++) mask.fill(1, b.offsets[i]!, b.offsets[i]! + b.lengths[i]!);
  return toHex(b.data.filter((_, k) => mask[k] === 0));
}

function randomKey(r: () => number): Uint8Array {
  const k = new Uint8Array(16);
  for (let j = 0; j < 16; j++) k[j] = r() & 0xff;
  return k;
}

export function runBackendSuite(test: Test, make: MakeBackend): void {
  const label = make(new KeyTable(1)).name;

  test(`${label}: FIPS-197 C.1 AES-128 block (zero-IV CBC of one block is plain AES)`, () => {
    const keys = new KeyTable(2);
    keys.set(0, hex('000102030405060708090a0b0c0d0e0f'));
    const c = make(keys);
    const data = hex('00112233445566778899aabbccddeeff');
    c.encryptSync(one(data, 0));
    assert.is(toHex(data), '69c4e0d86a7b0430d8cdb78070b4c55a');
    c.decryptSync(one(data, 0));
    assert.is(toHex(data), '00112233445566778899aabbccddeeff');
  });

  test(`${label}: NIST SP 800-38A F.2.1/F.2.2 CBC-AES128 (IV folded into block 1)`, () => {
    const keys = new KeyTable(1);
    keys.set(0, hex('2b7e151628aed2a6abf7158809cf4f3c'));
    const c = make(keys);
    const iv = hex('000102030405060708090a0b0c0d0e0f');
    const plain =
      '6bc1bee22e409f96e93d7e117393172a' + 'ae2d8a571e03ac9c9eb76fac45af8e51' +
      '30c81c46a35ce411e5fbc1191a0a52ef' + 'f69f2445df4f9b17ad2b417be66c3710';
    const cipher =
      '7649abac8119b246cee98e9b12e9197d' + '5086cb9b507219ee95db113a917678b2' +
      '73bed6b8e3c1743b7116e69e22229516' + '3ff1caa1681fac09120eca307586e1a7';
    const data = hex(plain);
    for (let k = 0; k < 16; k++) data[k]! ^= iv[k]!;
    c.encryptSync(one(data, 0));
    assert.is(toHex(data), cipher);
    // Twice in a row: a backend carrying CBC state between calls must still restart at zero IV.
    c.decryptSync(one(data, 0));
    for (let k = 0; k < 16; k++) data[k]! ^= iv[k]!;
    assert.is(toHex(data), plain);
    const again = hex(cipher);
    c.decryptSync(one(again, 0));
    for (let k = 0; k < 16; k++) again[k]! ^= iv[k]!;
    assert.is(toHex(again), plain);
  });

  test(`${label}: every length 16..1200 step 16 in one batch, both directions`, () => {
    const keys = new KeyTable(3);
    const r = rng(7);
    for (let s = 0; s < 3; s++) keys.set(s, randomKey(r));
    const b = randomBatch({ count: 75, slots: [0, 1, 2], contiguous: false, shared: false, seed: 11 });
    for (let i = 0; i < 75; i++) b.lengths[i] = 16 * (i + 1);
    // Re-lay the offsets for the new lengths.
    let pos = 5;
    for (let i = 0; i < 75; i++) {
      b.offsets[i] = pos;
      pos += b.lengths[i]! + 3;
    }
    const data = new Uint8Array(pos + 9);
    for (let k = 0; k < data.length; k++) data[k] = r() & 0xff;
    b.data = data;
    const plain = cloneBatch(b);
    const gapsBefore = gaps(b);
    const c = make(keys);
    c.encryptSync(b);
    for (let i = 0; i < 75; i++) {
      assert.is(toHex(packet(b, i)), toHex(refCbcEncrypt(keys.key(b.keySlots[i]!), packet(plain, i))), `packet ${i}`);
    }
    assert.is(gaps(b), gapsBefore);
    c.decryptSync(b);
    assert.is(toHex(b.data), toHex(plain.data));
  });

  for (const count of [1, 7, 64, 256]) {
    for (const contiguous of [true, false]) {
      const shared = count % 2 === 0 ? contiguous : !contiguous;
      test(`${label}: random batch of ${count}, ${contiguous ? 'contiguous' : 'scattered'}, ${shared ? 'SharedArrayBuffer' : 'ArrayBuffer'}, rekeying between calls`, () => {
        const keys = new KeyTable(16);
        const r = rng(count * 31 + (contiguous ? 1 : 2));
        const slots = [0, 3, 5, 9, 15];
        for (const s of slots) keys.set(s, randomKey(r));
        const c = make(keys);
        for (let round = 0; round < 3; round++) {
          const b = randomBatch({ count, slots, contiguous, shared, seed: r() });
          const plain = cloneBatch(b);
          const gapsBefore = gaps(b);
          c.encryptSync(b);
          for (let i = 0; i < count; i++) {
            const want = refCbcEncrypt(keys.key(b.keySlots[i]!), packet(plain, i));
            assert.is(toHex(packet(b, i)), toHex(want), `round ${round} packet ${i} encrypt`);
          }
          assert.is(gaps(b), gapsBefore);
          const cipher = cloneBatch(b);
          c.decryptSync(b);
          assert.is(toHex(b.data), toHex(plain.data), `round ${round} decrypt restores`);
          // Decrypt the reference's ciphertext too (not only our own).
          for (let i = 0; i < count; i++) {
            assert.is(
              toHex(refCbcDecrypt(keys.key(cipher.keySlots[i]!), packet(cipher, i))),
              toHex(packet(plain, i)),
            );
          }
          // New keys (generation bumps) for some slots before the next round.
          keys.set(slots[round % slots.length]!, randomKey(r));
          keys.set(slots[(round + 2) % slots.length]!, randomKey(r));
        }
      });
    }
  }

  test(`${label}: same slot re-keyed with the same key bytes still works; cleared then set again`, () => {
    const keys = new KeyTable(2);
    const key = hex('000102030405060708090a0b0c0d0e0f');
    keys.set(1, key);
    const c = make(keys);
    const data = hex('00112233445566778899aabbccddeeff');
    c.encryptSync(one(data, 1));
    keys.clear(1);
    keys.set(1, hex('2b7e151628aed2a6abf7158809cf4f3c'));
    c.decryptSync(one(data, 1));
    assert.is.not(toHex(data), '00112233445566778899aabbccddeeff');
    keys.set(1, key);
    const d2 = hex('69c4e0d86a7b0430d8cdb78070b4c55a');
    c.decryptSync(one(d2, 1));
    assert.is(toHex(d2), '00112233445566778899aabbccddeeff');
  });

  const vectorFile = join(vectorsDir, 'cpp-tc', 'handshake-hmac-sseq.json');
  test(`${label}: captured startup datagrams open with the default key 'Adobe Systems 02'`, () => {
    if (!existsSync(vectorFile)) {
      console.warn('vectors missing, skipped');
      return;
    }
    const file = readJson<{ datagrams: { rawHex: string; plaintextHex: string; key: string; sessionID: string }[] }>(
      'cpp-tc/handshake-hmac-sseq.json',
    );
    const startup = file.datagrams.filter((d) => d.key === 'default key');
    assert.ok(startup.length >= 2, 'expected startup datagrams in the capture');
    const keys = new KeyTable(4);
    keys.set(2, new TextEncoder().encode('Adobe Systems 02'));
    assert.is(toHex(keys.key(2)), '41646f62652053797374656d73203032');
    const c = make(keys);
    // All of them in one batch, laid end to end (ciphertext = rawHex bytes 4.., wire-reference §A.2).
    const bodies = startup.map((d) => hex(d.rawHex).subarray(4));
    const total = bodies.reduce((n, b) => n + b.length, 0);
    const data = new Uint8Array(total);
    const offsets = new Uint32Array(bodies.length);
    const lengths = new Uint32Array(bodies.length);
    let pos = 0;
    bodies.forEach((b, i) => {
      offsets[i] = pos;
      lengths[i] = b.length;
      data.set(b, pos);
      pos += b.length;
    });
    const batch = { data, count: bodies.length, offsets, lengths, keySlots: new Uint32Array(bodies.length).fill(2) };
    c.decryptSync(batch);
    startup.forEach((d, i) => assert.is(toHex(packet(batch, i)), d.plaintextHex, `datagram ${i}`));
    c.encryptSync(batch);
    startup.forEach((d, i) => assert.is(toHex(packet(batch, i)), d.rawHex.slice(8), `re-encrypt ${i}`));
  });

  test(`${label}: bad batches fail before any byte changes`, () => {
    const keys = new KeyTable(4);
    keys.set(0, hex('000102030405060708090a0b0c0d0e0f'));
    const c = make(keys);
    const mk = (): PacketBatch => ({
      data: new Uint8Array(96).fill(0xab),
      count: 2,
      offsets: Uint32Array.of(0, 48),
      lengths: Uint32Array.of(32, 48),
      keySlots: Uint32Array.of(0, 0),
    });
    const cases: [string, (b: PacketBatch) => void, (e: unknown) => boolean][] = [
      ['length not a multiple of 16', (b) => (b.lengths[1] = 40), (e) => e instanceof RangeError],
      ['packet past the end', (b) => (b.offsets[1] = 64), (e) => e instanceof RangeError],
      ['key slot out of range', (b) => (b.keySlots[1] = 4), (e) => e instanceof RangeError],
      ['huge key slot', (b) => (b.keySlots[1] = 0xffffffff), (e) => e instanceof RangeError],
      ['count past descriptors', (b) => (b.count = 3), (e) => e instanceof RangeError],
      ['empty key slot', (b) => (b.keySlots[1] = 3), (e) => e instanceof PacketCipherError && e.code === 'ERR_CIPHER_KEY_EMPTY'],
    ];
    for (const [what, spoil, ok] of cases) {
      for (const dir of ['encryptSync', 'decryptSync'] as const) {
        const b = mk();
        spoil(b);
        let thrown: unknown;
        try {
          c[dir](b);
        } catch (e) {
          thrown = e;
        }
        assert.ok(thrown !== undefined, `${what}/${dir}: nothing thrown`);
        assert.ok(ok(thrown), `${what}/${dir}: wrong error ${String(thrown)}`);
        assert.ok(b.data.every((x) => x === 0xab), `${what}/${dir}: data touched`);
      }
    }
    // The backend still works after the failures.
    const b = mk();
    c.encryptSync(b);
    c.decryptSync(b);
    assert.ok(b.data.every((x) => x === 0xab));
    // Zero-length packets are legal and untouched.
    const z = { ...mk(), count: 1, lengths: Uint32Array.of(0) };
    c.encryptSync(z);
    assert.ok(z.data.every((x) => x === 0xab));
  });
}
