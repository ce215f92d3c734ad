import { randomBytes } from 'node:crypto';
import type { Bench } from 'tinybench';
import { NodeBatchedCipher } from '../../src/engine/aes/node-batched.js';
import { NodeLongLivedCipher } from '../../src/engine/aes/node-long-lived.js';
import { NodePerPacketCipher } from '../../src/engine/aes/node-per-packet.js';
import { WasmPacketCipher } from '../../src/engine/aes/wasm.js';
import { KeyTable } from '../../src/engine/key-table.js';
import type { CipherDirection, PacketBatch, PacketCipher, PacketCipherSync } from '../../src/engine/packet-batch.js';
import { PoolPacketCipher, type PoolHandoff } from '../../src/engine/pool/pool-packet-cipher.js';
import type { BenchSuite, SuiteHandle } from '../suite.js';

/**
 * Packet encryption (RFC 7425, AES-128-CBC, zero IV; wire-reference §A.3) per 1200-byte packet,
 * batches of 1/16/64/256 packets spread over KEYS session keys, every backend side by side.
 * Pool rows time the awaited round trip on the main thread (one worker on a 2-core machine).
 * The `pool-*-handoff-*` rows compare how a batch NOT in a SharedArrayBuffer reaches a worker
 * (PoolHandoff), against `sab` (batch already in a SharedArrayBuffer, zero copy).
 */
const PACKET = 1200;
const KEYS = 4;
const SIZES = [1, 16, 64, 256] as const;
const DIRECTIONS: CipherDirection[] = ['encrypt', 'decrypt'];
const HANDOFF_SIZES = [64, 256] as const;

function makeBatch(count: number, shared: boolean): PacketBatch {
  const bytes = count * PACKET;
  const data = new Uint8Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  data.set(randomBytes(bytes));
  const offsets = new Uint32Array(count);
  const lengths = new Uint32Array(count).fill(PACKET);
  const keySlots = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    offsets[i] = i * PACKET;
    keySlots[i] = i % KEYS;
  }
  return { data, count, offsets, lengths, keySlots };
}

const suite: BenchSuite = {
  name: 'crypto',
  description: `AES-128-CBC packet crypto, ${PACKET}-byte packets, ${KEYS} keys, batches ${SIZES.join('/')}; per packet`,
  async register(bench: Bench): Promise<SuiteHandle> {
    const keys = new KeyTable(KEYS);
    for (let s = 0; s < KEYS; s++) keys.set(s, randomBytes(16));
    const units: Record<string, number> = {};
    const closers: (() => Promise<void>)[] = [];

    const inline: [string, PacketCipherSync][] = [
      ['node-per-packet', new NodePerPacketCipher(keys)],
      ['node-long-lived', new NodeLongLivedCipher(keys)],
      ['node-batched', new NodeBatchedCipher(keys)],
      ['wasm-copy', new WasmPacketCipher(keys)],
      // The first constant-time construction (16 S-box row swizzles per round), kept as a yardstick.
      ['wasm-rows-copy', new WasmPacketCipher(keys, { construction: 'rows' })],
    ];
    const wasmStaging = new WasmPacketCipher(keys);
    const pools: [string, PacketCipher][] = [
      ['pool-wasm', new PoolPacketCipher(keys, { backend: 'wasm' })],
      ['pool-node', new PoolPacketCipher(keys, { backend: 'node' })],
    ];
    for (const [, p] of pools) closers.push(() => p.close());

    const add = (name: string, count: number, fn: () => unknown): void => {
      bench.add(name, fn);
      units[name] = count;
    };

    for (const dir of DIRECTIONS) {
      for (const count of SIZES) {
        for (const [label, c] of inline) {
          const batch = makeBatch(count, false);
          const run = dir === 'encrypt' ? () => c.encryptSync(batch) : () => c.decryptSync(batch);
          add(`${dir}/${label}/batch-${count}`, count, run);
        }
        {
          // Zero-copy staging: the batch's bytes already live in WASM memory (allocateStaged).
          const staged = wasmStaging.allocateStaged(count, PACKET);
          const src = makeBatch(count, false);
          staged.data.set(src.data.subarray(0, count * PACKET));
          staged.offsets.set(src.offsets);
          staged.lengths.set(src.lengths);
          staged.keySlots.set(src.keySlots);
          staged.count = count;
          add(`${dir}/wasm-zero-copy/batch-${count}`, count, dir === 'encrypt' ? () => wasmStaging.encryptSync(staged) : () => wasmStaging.decryptSync(staged));
        }
        for (const [label, p] of pools) {
          const batch = makeBatch(count, true); // SharedArrayBuffer: handed over in place
          const run = dir === 'encrypt' ? () => p.encrypt(batch) : () => p.decrypt(batch);
          add(`${dir}/${label}/batch-${count}`, count, run);
        }
      }
    }

    // How a plain-ArrayBuffer batch reaches one node:crypto worker (PoolHandoff); 'sab' is the
    // zero-copy case of a batch already in a SharedArrayBuffer.
    const handoffs: (PoolHandoff | 'sab')[] = ['sab', 'arena', 'transfer', 'clone'];
    for (const h of handoffs) {
      const p = new PoolPacketCipher(keys, { backend: 'node', ...(h === 'sab' ? {} : { handoff: h }) });
      closers.push(() => p.close());
      for (const dir of DIRECTIONS) {
        for (const count of HANDOFF_SIZES) {
          const batch = makeBatch(count, h === 'sab');
          add(`${dir}/pool-node-handoff-${h}/batch-${count}`, count, dir === 'encrypt' ? () => p.encrypt(batch) : () => p.decrypt(batch));
        }
      }
    }
    // piscina 5's worker wake-up mode (the main thread never blocks in any of them).
    for (const atomics of ['sync', 'async', 'disabled'] as const) {
      const p = new PoolPacketCipher(keys, { backend: 'node', atomics });
      closers.push(() => p.close());
      const batch = makeBatch(64, true);
      add(`decrypt/pool-node-atomics-${atomics}/batch-64`, 64, () => p.decrypt(batch));
    }

    return {
      unitsPerIteration: units,
      async teardown() {
        await Promise.all(closers.map((c) => c()));
      },
    };
  },
};

export default suite;
