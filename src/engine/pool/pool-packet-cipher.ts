import type { KeyTable } from '../key-table.js';
import { validatePacketBatch, type CipherDirection, type PacketBatch, type PacketCipher } from '../packet-batch.js';
import { BufferPool } from './buffer-pool.js';
import { EnginePool, type EnginePoolOptions } from './engine-pool.js';
import { EngineError, describeThrown } from './errors.js';
import { WORKER_TASKS, type CipherTask, type CipherTaskResult, type PoolCipherBackend } from './tasks.js';

/**
 * How the bytes of a batch NOT backed by a SharedArrayBuffer reach a worker (a batch already in
 * a SharedArrayBuffer is always handed over in place, no copy):
 * - 'arena': copy the packets into a pooled SharedArrayBuffer, the worker works in place, copy back.
 * - 'clone': copy the packets into a fresh buffer, structured-clone it there and back, copy back.
 * - 'transfer': copy the packets into a pooled ArrayBuffer, transfer it there and back, copy back.
 *
 * Measured side by side in one run by bench/suites/crypto.ts (`pool-node-handoff-*` rows, 1200 B
 * packets, one worker, shared 2-core VM; bench/results/crypto.json), ns per packet:
 *   decrypt 64: sab 6148 (noisy), arena 2835, clone 2818, transfer 8829
 *   decrypt 256: sab 2310, arena 1670, clone 2242, transfer 5167
 *   encrypt 64: sab 3711, arena 5686, clone 5388, transfer 4452
 *   encrypt 256: sab 3834, arena 5312, clone 3860, transfer 8473
 * Arena and clone are within the machine's noise of each other and transfer is slowest in 3 of 4.
 * 'arena' is the default: it copies each byte twice (in, out) where clone copies four times and
 * allocates per batch, and it wins on the largest batches where copying dominates.
 */
export type PoolHandoff = 'arena' | 'clone' | 'transfer';

export interface PoolPacketCipherOptions extends Omit<EnginePoolOptions, 'keys' | 'cipherBackend'> {
  /** Backend inside the workers. Default 'node' (NodeBatchedCipher). */
  backend?: PoolCipherBackend;
  handoff?: PoolHandoff;
  /**
   * A batch of at least 2 x this many packets is split across threads (never below this many
   * packets per task: a piscina task costs ~20 us of main-thread CPU). Default 64.
   */
  minPacketsPerTask?: number;
}

/**
 * PacketCipher (placement 'pool') running whole PacketBatches in piscina workers that load
 * WasmPacketCipher or a node:crypto backend (src/engine/aes/). Keys reach the workers through the
 * KeyTable's SharedArrayBuffers once, at worker start; backends cache per (slot, generation), so
 * a key change between batches is seen by the next batch.
 *
 * Callers must not touch the batch until the promise settles (PacketCipher contract).
 */
export class PoolPacketCipher implements PacketCipher {
  readonly name: string;
  readonly placement = 'pool' as const;
  readonly backend: PoolCipherBackend;
  readonly handoff: PoolHandoff;
  readonly pool: EnginePool;
  private readonly minPacketsPerTask: number;
  private readonly sharedStaging = new BufferPool<SharedArrayBuffer>((n) => new SharedArrayBuffer(n));
  private readonly plainStaging = new BufferPool<ArrayBuffer>((n) => new ArrayBuffer(n));

  constructor(
    private readonly keys: KeyTable,
    options: PoolPacketCipherOptions = {},
  ) {
    this.backend = options.backend ?? 'node';
    this.handoff = options.handoff ?? 'arena';
    if (!['arena', 'clone', 'transfer'].includes(this.handoff)) {
      throw new EngineError('ERR_ENGINE_BACKEND', `unknown pool handoff ${String(this.handoff)}`);
    }
    if (!['wasm', 'node', 'node-long-lived'].includes(this.backend)) {
      throw new EngineError('ERR_ENGINE_BACKEND', `unknown pool cipher backend ${String(this.backend)}`);
    }
    this.minPacketsPerTask = Math.max(1, options.minPacketsPerTask ?? 64);
    this.pool = new EnginePool({ ...options, keys, cipherBackend: this.backend });
    this.name = options.cipherModule !== undefined ? 'pool-custom' : `pool-${this.backend}`;
  }

  encrypt(batch: PacketBatch): Promise<void> {
    return this.process('encrypt', batch);
  }

  decrypt(batch: PacketBatch): Promise<void> {
    return this.process('decrypt', batch);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async process(op: CipherDirection, batch: PacketBatch): Promise<void> {
    if (this.pool.isClosed) throw new EngineError('ERR_ENGINE_CLOSED', `${this.name} is closed`);
    try {
      validatePacketBatch(batch, this.keys.capacity);
    } catch (e) {
      throw new EngineError('ERR_ENGINE_BATCH', `invalid packet batch: ${describeThrown(e)}`, { cause: e });
    }
    const count = batch.count;
    if (count === 0) return;
    const parts = this.partCount(count);
    if (parts === 1) return this.runPart(op, batch, 0, count);
    const per = Math.ceil(count / parts);
    const running: Promise<void>[] = [];
    for (let start = 0; start < count; start += per) running.push(this.runPart(op, batch, start, Math.min(count, start + per)));
    // Settle all before reporting so no worker still writes into the caller's batch afterwards.
    const settled = await Promise.allSettled(running);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
  }

  private partCount(count: number): number {
    const threads = this.pool.threads;
    if (threads < 2 || count < 2 * this.minPacketsPerTask) return 1;
    return Math.min(threads, Math.floor(count / this.minPacketsPerTask));
  }

  /** Packets [start, end) of the batch as one worker task. */
  private async runPart(op: CipherDirection, batch: PacketBatch, start: number, end: number): Promise<void> {
    const n = end - start;
    const descriptors = new Uint32Array(3 * n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      descriptors[n + i] = batch.lengths[start + i]!;
      descriptors[2 * n + i] = batch.keySlots[start + i]!;
      total += batch.lengths[start + i]!;
    }

    if (batch.data.buffer instanceof SharedArrayBuffer) {
      // Zero copy: the clone of a SharedArrayBuffer-backed view shares its memory.
      for (let i = 0; i < n; i++) descriptors[i] = batch.offsets[start + i]!;
      await this.send({ op, data: batch.data, count: n, descriptors, reply: 'none' });
      return;
    }

    // Compact the packets into staging memory at offsets 0, len0, len0+len1, ...
    const fill = (staging: Uint8Array): void => {
      let at = 0;
      for (let i = 0; i < n; i++) {
        const off = batch.offsets[start + i]!;
        const len = descriptors[n + i]!;
        staging.set(batch.data.subarray(off, off + len), at);
        descriptors[i] = at;
        at += len;
      }
    };
    const drain = (staging: Uint8Array): void => {
      for (let i = 0; i < n; i++) {
        const at = descriptors[i]!;
        batch.data.set(staging.subarray(at, at + descriptors[n + i]!), batch.offsets[start + i]!);
      }
    };

    if (this.handoff === 'arena') {
      const sab = this.sharedStaging.acquire(total);
      try {
        const staging = new Uint8Array(sab, 0, total);
        fill(staging);
        await this.send({ op, data: staging, count: n, descriptors, reply: 'none' });
        drain(staging);
      } finally {
        this.sharedStaging.release(sab);
      }
      return;
    }

    if (this.handoff === 'clone') {
      const staging = new Uint8Array(total);
      fill(staging);
      const out = await this.send({ op, data: staging, count: n, descriptors, reply: 'clone' });
      drain(this.checkReply(out, total));
      return;
    }

    // 'transfer': the ArrayBuffer goes to the worker and comes back; keep it for reuse.
    const ab = this.plainStaging.acquire(total);
    const staging = new Uint8Array(ab, 0, total);
    fill(staging);
    const out = this.checkReply(await this.send({ op, data: staging, count: n, descriptors, reply: 'transfer' }, [ab]), total);
    drain(out);
    this.plainStaging.release(out.buffer as ArrayBuffer);
  }

  private send(task: CipherTask, transferList?: ArrayBuffer[]): Promise<CipherTaskResult> {
    return this.pool.run<CipherTaskResult>(WORKER_TASKS.packetCipher, task, transferList);
  }

  private checkReply(out: CipherTaskResult, total: number): Uint8Array {
    if (!(out instanceof Uint8Array) || out.length !== total) {
      throw new EngineError('ERR_ENGINE_WORKER', `${this.name}: worker returned ${out === undefined ? 'nothing' : `${(out as Uint8Array).length} bytes`}, expected ${total}`);
    }
    return out;
  }
}

