import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyTable } from '../src/engine/key-table.js';
import type { PacketBatch } from '../src/engine/packet-batch.js';
import { EngineError } from '../src/engine/pool/errors.js';
import { PoolPacketCipher, type PoolHandoff, type PoolPacketCipherOptions } from '../src/engine/pool/pool-packet-cipher.js';
import { WORKER_TASKS } from '../src/engine/pool/tasks.js';
import { xorshift32 as rng } from './support/prng.js';

// Compiled test is dist/test/pool-cipher.test.js.
const fixture = new URL('./pool-fixture-backend.js', import.meta.url);
const haveNodeBackends = existsSync(fileURLToPath(new URL('../src/engine/aes/node-batched.js', import.meta.url)));
const haveWasm =
  existsSync(fileURLToPath(new URL('../src/engine/aes/wasm.js', import.meta.url))) &&
  existsSync(fileURLToPath(new URL('../../build/wasm/aes.wasm', import.meta.url)));

const CAPACITY = 16; // slots 0..11 usable, 12..13 left empty, 14..15 fault injection in the fixture
const USABLE = 12;
const IV = new Uint8Array(16);

function makeKeys(): KeyTable {
  const keys = new KeyTable(CAPACITY);
  for (let s = 0; s < USABLE; s++) keys.set(s, randomBytes(16));
  return keys;
}

/** count packets of random 16-multiple lengths at scattered offsets; gaps hold 0xEE. */
function makeBatch(count: number, shared: boolean, seed: number, slots = USABLE): PacketBatch {
  const r = rng(seed);
  const lengths = new Uint32Array(count);
  const offsets = new Uint32Array(count);
  const keySlots = new Uint32Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    at += 16 * Math.floor(r() * 3) + Math.floor(r() * 7); // gaps, some unaligned offsets
    lengths[i] = 16 * (1 + Math.floor(r() * 80)); // 16 .. 1280
    offsets[i] = at;
    keySlots[i] = Math.floor(r() * slots);
    at += lengths[i]!;
  }
  const total = at + 13;
  const data = new Uint8Array(shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total));
  data.fill(0xee);
  for (let i = 0; i < count; i++) data.set(randomBytes(lengths[i]!), offsets[i]!);
  return { data, count, offsets, lengths, keySlots };
}

/** Independent reference: one node:crypto cipher per packet, no padding, zero IV (wire-reference §A.3). */
function reference(batch: PacketBatch, keys: KeyTable, op: 'encrypt' | 'decrypt'): Uint8Array {
  const out = Uint8Array.from(batch.data);
  for (let i = 0; i < batch.count; i++) {
    const key = keys.key(batch.keySlots[i]!);
    const c = op === 'encrypt' ? createCipheriv('aes-128-cbc', key, IV) : createDecipheriv('aes-128-cbc', key, IV);
    c.setAutoPadding(false);
    const off = batch.offsets[i]!;
    out.set(c.update(batch.data.subarray(off, off + batch.lengths[i]!)), off);
    c.final();
  }
  return out;
}

function same(a: Uint8Array, b: Uint8Array, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  const i = a.findIndex((v, k) => v !== b[k]);
  assert.is(i, -1, `${what}: first difference at byte ${i}`);
}

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, EngineError, `expected EngineError, got ${String(e)}`);
    assert.is((e as EngineError).code, code, (e as Error).message);
    if (message) assert.match((e as Error).message, message);
    return e as EngineError;
  }
  assert.unreachable(`expected rejection with ${code}`);
  throw new Error('unreachable');
}

type Variant = { label: string; options: PoolPacketCipherOptions };
const variants: Variant[] = [{ label: 'fixture', options: { cipherModule: fixture } }];
if (haveNodeBackends) {
  variants.push({ label: 'node', options: { backend: 'node' } });
  variants.push({ label: 'node-long-lived', options: { backend: 'node-long-lived' } });
} else console.log('  (pool-cipher: src/engine/aes/node-*.ts not built yet; only the fixture backend is tested)');
if (haveWasm) variants.push({ label: 'wasm', options: { backend: 'wasm' } });
else console.log('  (pool-cipher: WASM AES not built yet; pool-wasm not tested)');

for (const variant of variants) {
  const s = suite(`pool cipher: ${variant.label}`);
  const keys = makeKeys();
  let cipher: PoolPacketCipher;
  s.before(() => {
    cipher = new PoolPacketCipher(keys, { ...variant.options, threads: 2, minPacketsPerTask: 8 });
  });
  s.after(() => cipher.close());

  for (const handoff of ['arena', 'clone', 'transfer'] as PoolHandoff[]) {
    s(`round trips equal the inline node:crypto result (plain ArrayBuffer, ${handoff}) and SAB in place`, async () => {
      const c = new PoolPacketCipher(keys, { ...variant.options, threads: 1, handoff });
      try {
        for (const [n, shared] of [[1, false], [7, false], [64, false], [33, true], [1, true]] as const) {
          const batch = makeBatch(n, shared, n * 31 + (shared ? 1 : 0));
          const plain = Uint8Array.from(batch.data);
          const expected = reference(batch, keys, 'encrypt');
          await c.encrypt(batch);
          same(batch.data, expected, `encrypt n=${n} shared=${shared}`);
          await c.decrypt(batch);
          same(batch.data, plain, `decrypt n=${n} shared=${shared}`);
        }
      } finally {
        await c.close();
      }
    });
  }

  s('decrypt matches reference on foreign ciphertext; key changes between batches are seen', async () => {
    for (let round = 0; round < 4; round++) {
      const batch = makeBatch(40, round % 2 === 0, 1000 + round);
      const expected = reference(batch, keys, 'decrypt');
      await cipher.decrypt(batch);
      same(batch.data, expected, `round ${round}`);
      // Re-key every slot used by this batch, then the next round must use the new keys.
      for (let i = 0; i < batch.count; i++) if (i % 3 === 0) keys.set(batch.keySlots[i]!, randomBytes(16));
      const again = makeBatch(40, round % 2 === 1, 1000 + round);
      const expectedAgain = reference(again, keys, 'encrypt');
      await cipher.encrypt(again);
      same(again.data, expectedAgain, `after re-key, round ${round}`);
    }
  });

  s('many concurrent batches in flight, some split across threads', async () => {
    const batches = Array.from({ length: 24 }, (_, i) => makeBatch(1 + ((i * 7) % 40), i % 2 === 0, 5000 + i));
    const expected = batches.map((b) => reference(b, keys, 'encrypt'));
    await Promise.all(batches.map((b) => cipher.encrypt(b)));
    batches.forEach((b, i) => same(b.data, expected[i]!, `batch ${i}`));
    const back = batches.map((b) => reference(b, keys, 'decrypt'));
    await Promise.all(batches.map((b) => cipher.decrypt(b)));
    batches.forEach((b, i) => same(b.data, back[i]!, `batch ${i} back`));
  });

  s('an empty batch resolves without touching the pool; bad batches reject with ERR_ENGINE_BATCH', async () => {
    await cipher.encrypt({ data: new Uint8Array(0), count: 0, offsets: new Uint32Array(0), lengths: new Uint32Array(0), keySlots: new Uint32Array(0) });
    const bad = makeBatch(3, false, 9);
    bad.lengths[1] = 17;
    await expectCode(cipher.encrypt(bad), 'ERR_ENGINE_BATCH', /multiple of 16/);
    const past = makeBatch(3, true, 10);
    past.offsets[2] = past.data.length;
    await expectCode(cipher.decrypt(past), 'ERR_ENGINE_BATCH');
    const slot = makeBatch(2, false, 11);
    slot.keySlots[0] = CAPACITY;
    await expectCode(cipher.encrypt(slot), 'ERR_ENGINE_BATCH');
    // A malformed task that skips the main-thread checks is caught in the worker, code kept.
    await expectCode(
      cipher.pool.run(WORKER_TASKS.packetCipher, { op: 'encrypt', data: new Uint8Array(16), count: 2, descriptors: new Uint32Array(3), reply: 'none' }),
      'ERR_ENGINE_BATCH',
    );
    await expectCode(
      cipher.pool.run(WORKER_TASKS.packetCipher, { op: 'scramble', data: new Uint8Array(16), count: 1, descriptors: Uint32Array.of(0, 16, 0), reply: 'none' }),
      'ERR_ENGINE_BATCH',
      /unknown cipher op/,
    );
  });
  s.run();
}

const faults = suite('pool cipher: worker faults');
const faultKeys = makeKeys();
let faulty: PoolPacketCipher;
faults.before(() => {
  faulty = new PoolPacketCipher(faultKeys, { cipherModule: fixture, threads: 2 });
});
faults.after(() => faulty.close());

faults('a typed error, a TypeError and a dying worker each reject with ERR_ENGINE_WORKER; the pool keeps working', async () => {
  const withSlot = (slot: number): PacketBatch => {
    const b = makeBatch(4, false, slot);
    b.keySlots[2] = slot;
    return b;
  };
  const typed = await expectCode(faulty.encrypt(withSlot(12)), 'ERR_ENGINE_WORKER', /ERR_FIXTURE_EMPTY_KEY/);
  assert.is(typed.workerCode, 'ERR_FIXTURE_EMPTY_KEY');
  const untyped = await expectCode(faulty.encrypt(withSlot(CAPACITY - 2)), 'ERR_ENGINE_WORKER', /injected TypeError/);
  assert.is(untyped.workerCode, undefined);
  await expectCode(faulty.decrypt(withSlot(CAPACITY - 1)), 'ERR_ENGINE_WORKER');
  const ok = makeBatch(20, false, 77);
  const expected = reference(ok, faultKeys, 'encrypt');
  await faulty.encrypt(ok);
  same(ok.data, expected, 'after faults');
});

faults('a missing cipher module rejects with ERR_ENGINE_BACKEND', async () => {
  const c = new PoolPacketCipher(faultKeys, { cipherModule: new URL('../src/engine/pool/tasks.js', import.meta.url), threads: 1 });
  try {
    await expectCode(c.encrypt(makeBatch(2, false, 3)), 'ERR_ENGINE_BACKEND', /createPacketCipher/);
  } finally {
    await c.close();
  }
});

faults('close() rejects later calls with ERR_ENGINE_CLOSED and ends the threads', async () => {
  const c = new PoolPacketCipher(faultKeys, { cipherModule: fixture, threads: 2 });
  await c.encrypt(makeBatch(5, true, 5));
  const inFlight = c.encrypt(makeBatch(200, false, 6)).then(
    () => 'resolved',
    (e: unknown) => (e as EngineError).code,
  );
  await c.close();
  assert.ok(['resolved', 'ERR_ENGINE_CLOSED'].includes(await inFlight));
  await expectCode(c.encrypt(makeBatch(2, false, 7)), 'ERR_ENGINE_CLOSED');
  await c.close(); // idempotent
  assert.throws(() => new PoolPacketCipher(faultKeys, { threads: 0 }), (e: unknown) => (e as EngineError).code === 'ERR_ENGINE_BACKEND');
});

faults.run();
