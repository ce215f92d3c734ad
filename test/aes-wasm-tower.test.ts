// The tower-field construction of the WASM AES (assembly/aes/tower.ts, tower-block.ts): its
// derived parameters, its S-box path against FIPS-197, and byte-for-byte agreement with the
// earlier 16-row construction and with node:crypto on batches that exercise the paired-packet
// lockstep (unequal lengths, odd counts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyTable } from '../src/engine/key-table.js';
import { WasmPacketCipher } from '../src/engine/aes/wasm.js';
import { instantiateWasm } from '../src/engine/wasm-loader.js';
import { toHex } from './support/vectors.js';
import { runBackendSuite } from './aes-backend-suite.js';
import { cloneBatch, randomBatch, refCbcDecrypt, refCbcEncrypt, rng } from './aes-support.js';
import type { PacketBatch } from '../src/engine/packet-batch.js';

// The earlier construction stays selectable; it must keep passing the shared conformance suite.
runBackendSuite(test, (k) => {
  const c = new WasmPacketCipher(k, { construction: 'rows' });
  return { name: 'wasm-rows', encryptSync: (b) => c.encryptSync(b), decryptSync: (b) => c.decryptSync(b) };
});

interface TowerExports extends Record<string, unknown> {
  memory: WebAssembly.Memory;
  _initialize?: () => void;
  towerParams(): number;
  towerSboxCheck(): number;
}

function towerModule(debug: boolean): TowerExports {
  const inst = instantiateWasm<TowerExports>('aes', { debug });
  inst.exports._initialize?.();
  return inst.exports as unknown as TowerExports;
}

// Independent references, written differently from the module: GF(2^8) by log/antilog tables
// (generator {03}), the affine map by its bit formula (FIPS-197 §5.1.1).
function referenceSbox(): number[] {
  const exp: number[] = [];
  const log: number[] = new Array(256).fill(0);
  let v = 1;
  for (let i = 0; i < 255; i++) {
    exp.push(v);
    log[v] = i;
    v ^= ((v << 1) ^ (v & 0x80 ? 0x1b : 0)) & 0xff;
  }
  const bit = (x: number, i: number): number => (x >> (i & 7)) & 1;
  return Array.from({ length: 256 }, (_, x) => {
    const b = x === 0 ? 0 : exp[(255 - log[x]!) % 255]!;
    let out = 0;
    for (let i = 0; i < 8; i++) out |= (bit(b, i) ^ bit(b, i + 4) ^ bit(b, i + 5) ^ bit(b, i + 6) ^ bit(b, i + 7) ^ bit(0x63, i)) << i;
    return out;
  });
}

/** GF(16) = GF(2)[z]/(z^4+z+1), by carry-less multiply then reduction. */
function mul16(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 4; i++) if ((b >> i) & 1) p ^= a << i;
  for (let i = 6; i >= 4; i--) if ((p >> i) & 1) p ^= 0x13 << (i - 4);
  return p;
}

for (const debug of [false, true]) {
  test(`tower S-box path (${debug ? 'debug' : 'release'}): SubBytes and InvSubBytes of all 256 bytes equal FIPS-197`, () => {
    const x = towerModule(debug);
    const at = x.towerSboxCheck();
    const mem = new Uint8Array(x.memory.buffer);
    const fwd = Array.from(mem.subarray(at, at + 256));
    const inv = Array.from(mem.subarray(at + 256, at + 512));
    const ref = referenceSbox();
    assert.equal(fwd, ref);
    for (let b = 0; b < 256; b++) assert.is(inv[ref[b]!], b, `InvSubBytes(${ref[b]})`);
    assert.is(fwd[0x00], 0x63);
    assert.is(fwd[0x53], 0xed);
  });
}

test('tower parameters: a·λ = 1, y^2 + y + λ irreducible over GF(16), β a root of the AES polynomial', () => {
  const p = towerModule(false).towerParams();
  const a = p & 0xff;
  const lambda = (p >> 8) & 0xff;
  const beta = (p >> 16) & 0xff;
  assert.is(p >>> 24, 1, 'tables built');
  assert.ok(a > 0 && a < 16 && lambda > 0 && lambda < 16);
  assert.is(mul16(a, lambda), 1);
  for (let y = 0; y < 16; y++) assert.is.not(mul16(y, y) ^ y ^ lambda, 0, `y = ${y} is a root`);
  // K = GF(16)[y]/(y^2+y+λ); byte (h << 4) | l is h·y + l.
  const mulK = (u: number, v: number): number => {
    const hh = mul16(u >> 4, v >> 4);
    return ((hh ^ mul16(u >> 4, v & 15) ^ mul16(u & 15, v >> 4)) << 4) | (mul16(hh, lambda) ^ mul16(u & 15, v & 15));
  };
  const pow = (b: number, n: number): number => {
    let r = 1;
    for (let i = 0; i < n; i++) r = mulK(r, b);
    return r;
  };
  assert.is(pow(beta, 8) ^ pow(beta, 4) ^ pow(beta, 3) ^ beta ^ 1, 0);
  // β generates an 8-dimensional basis (so M is invertible): its powers 0..7 are independent.
  const seen = new Set<number>();
  for (let m = 0; m < 256; m++) {
    let e = 0;
    for (let k = 0; k < 8; k++) if ((m >> k) & 1) e ^= pow(beta, k);
    seen.add(e);
  }
  assert.is(seen.size, 256);
});

/** A batch with the given packet lengths (multiples of 16), random bytes, cycling over `slots`. */
function batchOf(lengths: number[], slots: number, seed: number): PacketBatch {
  const r = rng(seed);
  const offsets = new Uint32Array(lengths.length);
  let pos = 0;
  for (let i = 0; i < lengths.length; i++) {
    offsets[i] = pos;
    pos += lengths[i]! + 16;
  }
  const data = Uint8Array.from({ length: pos }, () => r() & 0xff);
  const keySlots = Uint32Array.from(lengths, (_, i) => i % slots);
  return { data, count: lengths.length, offsets, lengths: Uint32Array.from(lengths), keySlots };
}

test('paired-packet lockstep: unequal lengths, zero lengths, odd counts match node:crypto and the rows construction', () => {
  const keys = new KeyTable(5);
  const r = rng(17);
  for (let s = 0; s < 5; s++) keys.set(s, Uint8Array.from({ length: 16 }, () => r() & 0xff));
  const tower = new WasmPacketCipher(keys);
  const rows = new WasmPacketCipher(keys, { construction: 'rows' });
  const shapes: number[][] = [
    [16],
    [1200, 16],
    [16, 1200],
    [32, 32, 48],
    [0, 64, 0, 16, 1200, 1184],
    [48, 48, 48, 48, 48, 48, 48],
    Array.from({ length: 33 }, (_, i) => 16 * (1 + ((i * 29) % 75))),
  ];
  shapes.forEach((lengths, n) => {
    const a = batchOf(lengths, 5, 100 + n);
    const plain = cloneBatch(a);
    const b = cloneBatch(a);
    tower.encryptSync(a);
    rows.encryptSync(b);
    assert.is(toHex(a.data), toHex(b.data), `shape ${n}: tower vs rows`);
    for (let i = 0; i < a.count; i++) {
      const o = a.offsets[i]!;
      const l = a.lengths[i]!;
      const key = keys.key(a.keySlots[i]!);
      assert.is(toHex(a.data.subarray(o, o + l)), toHex(refCbcEncrypt(key, plain.data.subarray(o, o + l))), `shape ${n} packet ${i}`);
      assert.is(toHex(refCbcDecrypt(key, a.data.subarray(o, o + l))), toHex(plain.data.subarray(o, o + l)));
    }
    tower.decryptSync(a);
    assert.is(toHex(a.data), toHex(plain.data), `shape ${n}: decrypt`);
  });
});

test('tower and rows constructions agree on 300 random batches of mixed keys', () => {
  const keys = new KeyTable(8);
  const r = rng(23);
  for (let s = 0; s < 8; s++) keys.set(s, Uint8Array.from({ length: 16 }, () => r() & 0xff));
  const tower = new WasmPacketCipher(keys);
  const rows = new WasmPacketCipher(keys, { construction: 'rows' });
  for (let k = 0; k < 300; k++) {
    const a = randomBatch({ count: 1 + (k % 9), slots: [0, 1, 2, 3, 4, 5, 6, 7], contiguous: k % 2 === 0, shared: false, seed: 1000 + k });
    const b = cloneBatch(a);
    tower.encryptSync(a);
    rows.encryptSync(b);
    assert.is(toHex(a.data), toHex(b.data), `encrypt ${k}`);
    tower.decryptSync(a);
    rows.decryptSync(b);
    assert.is(toHex(a.data), toHex(b.data), `decrypt ${k}`);
  }
});

test.run();
