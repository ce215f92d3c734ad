import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyTable } from '../src/engine/key-table.js';
import { WasmPacketCipher } from '../src/engine/aes/wasm.js';
import { instantiateWasm } from '../src/engine/wasm-loader.js';
import { toHex } from './support/vectors.js';
import { runBackendSuite } from './aes-backend-suite.js';
import { cloneBatch, randomBatch, refCbcEncrypt, rng } from './aes-support.js';

runBackendSuite(test, (k) => new WasmPacketCipher(k));
runBackendSuite(test, (k) => {
  const c = new WasmPacketCipher(k, { debug: true });
  return { name: 'wasm-debug', encryptSync: (b) => c.encryptSync(b), decryptSync: (b) => c.decryptSync(b) };
});

// Independent S-box: inverse via discrete logs base {03} (not the x^254 power used in the
// module), affine map as the FIPS-197 §5.1.1 bit formula b'_i = b_i ^ b_{i+4} ^ b_{i+5} ^ b_{i+6} ^ b_{i+7} ^ c_i.
function referenceSbox(): number[] {
  const exp: number[] = [];
  const log: number[] = new Array(256).fill(0);
  let v = 1;
  for (let i = 0; i < 255; i++) {
    exp.push(v);
    log[v] = i;
    v ^= ((v << 1) ^ (v & 0x80 ? 0x1b : 0)) & 0xff; // v * {03}
  }
  const bit = (x: number, i: number): number => (x >> (i & 7)) & 1;
  const s: number[] = [];
  for (let x = 0; x < 256; x++) {
    const b = x === 0 ? 0 : exp[(255 - log[x]!) % 255]!;
    let out = 0;
    for (let i = 0; i < 8; i++) {
      out |= (bit(b, i) ^ bit(b, i + 4) ^ bit(b, i + 5) ^ bit(b, i + 6) ^ bit(b, i + 7) ^ bit(0x63, i)) << i;
    }
    s.push(out);
  }
  return s;
}

test('WASM S-box and inverse S-box equal an independent derivation', () => {
  const inst = instantiateWasm<{ memory: WebAssembly.Memory; _initialize?: () => void; sboxBase(): number; invSboxBase(): number }>('aes');
  inst.exports._initialize?.();
  const mem = new Uint8Array(inst.exports.memory.buffer);
  const sbox = Array.from(mem.subarray(inst.exports.sboxBase(), inst.exports.sboxBase() + 256));
  const inv = Array.from(mem.subarray(inst.exports.invSboxBase(), inst.exports.invSboxBase() + 256));
  const ref = referenceSbox();
  assert.equal(sbox, ref);
  // Spot values from FIPS-197 Figure 7 / §5.1.1.
  assert.is(sbox[0x00], 0x63);
  assert.is(sbox[0x53], 0xed);
  assert.is(sbox[0xff], 0x16);
  for (let x = 0; x < 256; x++) assert.is(inv[ref[x]!], x);
});

test('staged (zero-copy) batches: same bytes as the copy path, in place in WASM memory', () => {
  const keys = new KeyTable(8);
  const r = rng(99);
  for (let s = 0; s < 8; s++) keys.set(s, Uint8Array.from({ length: 16 }, () => r() & 0xff));
  const c = new WasmPacketCipher(keys);
  const staged = c.allocateStaged(64, 1200);
  const src = randomBatch({ count: 64, slots: [0, 1, 2, 3, 4, 5, 6, 7], contiguous: true, shared: false, seed: 5 });
  // A second staged batch grows memory; the first one's data view must follow.
  const other = c.allocateStaged(8, 8192);
  staged.data.set(src.data.subarray(0, Math.min(src.data.length, staged.data.length)));
  staged.offsets.set(src.offsets);
  staged.lengths.set(src.lengths);
  staged.keySlots.set(src.keySlots);
  staged.count = 64;
  const plain = cloneBatch(staged);
  c.encryptSync(staged);
  for (let i = 0; i < 64; i++) {
    const o = staged.offsets[i]!;
    const l = staged.lengths[i]!;
    assert.is(toHex(staged.data.subarray(o, o + l)), toHex(refCbcEncrypt(keys.key(staged.keySlots[i]!), plain.data.subarray(o, o + l))));
  }
  c.decryptSync(staged);
  assert.is(toHex(staged.data), toHex(plain.data));
  assert.is(other.data.length, 8 * 8192);
});

test('a view of WASM memory outside the staged regions is refused', () => {
  const keys = new KeyTable(1);
  keys.set(0, new Uint8Array(16));
  const c = new WasmPacketCipher(keys);
  const staged = c.allocateStaged(1, 64);
  const mem = staged.data.buffer;
  const evil = { data: new Uint8Array(mem, 0, 4096), count: 1, offsets: Uint32Array.of(0), lengths: Uint32Array.of(64), keySlots: Uint32Array.of(0) };
  assert.throws(() => c.encryptSync(evil), (e: unknown) => e instanceof RangeError);
});

test('chunking: more bytes than the copy area and more keys than the schedule cache', () => {
  const keys = new KeyTable(1500);
  const r = rng(3);
  for (let s = 0; s < 1500; s++) keys.set(s, Uint8Array.from({ length: 16 }, () => r() & 0xff));
  const c = new WasmPacketCipher(keys);
  const slots = Array.from({ length: 1500 }, (_, i) => i);
  const b = randomBatch({ count: 1400, slots, contiguous: false, shared: true, length: 400, seed: 8 });
  for (let i = 0; i < 1400; i++) b.keySlots[i] = i; // 1400 distinct keys > 1024 cache entries
  const plain = cloneBatch(b);
  c.encryptSync(b);
  for (let i = 0; i < 1400; i += 13) {
    const o = b.offsets[i]!;
    assert.is(toHex(b.data.subarray(o, o + 400)), toHex(refCbcEncrypt(keys.key(i), plain.data.subarray(o, o + 400))), `packet ${i}`);
  }
  c.decryptSync(b);
  assert.is(toHex(b.data), toHex(plain.data));
});

test.run();
