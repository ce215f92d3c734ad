import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { KeyTable } from '../key-table.js';
import { EngineError, describeThrown, engineCodeOf } from './errors.js';
import { WORKER_TASKS, type EngineWorkerData, type PoolCipherBackend } from './tasks.js';

/**
 * piscina 5's handoff between the main thread and an idle worker. 'sync' lets idle workers sleep
 * in Atomics.wait (in the worker, never on the main thread); 'async' uses Atomics.waitAsync in
 * the worker; 'disabled' uses plain message events. The main thread never blocks in any mode.
 */
export type PoolAtomics = 'sync' | 'async' | 'disabled';

export interface EnginePoolOptions {
  /** Worker threads. Default: available cores - 1, at least 1 (the main thread keeps a core). */
  threads?: number;
  atomics?: PoolAtomics;
  /** When set, workers can run packet-cipher tasks over this table (sent once via workerData). */
  keys?: KeyTable;
  /** Backend the packet-cipher workers build. Default 'node'. */
  cipherBackend?: PoolCipherBackend;
  /** Load build/wasm/aes.debug.wasm (assertions on) in the workers. */
  wasmDebug?: boolean;
  /**
   * A module (file URL) exporting `createPacketCipher(keys: KeyTable): PacketCipherSync`, loaded
   * by the workers instead of `cipherBackend`: for backends outside src/engine/aes/ and tests.
   */
  cipherModule?: URL | string;
  /** Milliseconds an idle thread above minThreads lives. Default: piscina's. */
  idleTimeout?: number;
}

/** Default thread count: cores - 1, at least 1. */
export function defaultPoolThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

// This file is dist/src/engine/pool/engine-pool.js at run time; workers are dist/workers/*.js.
function workerFile(file: string): string {
  return fileURLToPath(new URL(`../../../workers/${file}`, import.meta.url));
}

/**
 * One piscina pool shared by the engine's off-thread work: packet batches (PoolPacketCipher) and
 * Diffie-Hellman (PoolDiffieHellman). Every task rejection comes back as an EngineError.
 */
export class EnginePool {
  readonly threads: number;
  readonly atomics: PoolAtomics;
  readonly cipherBackend: PoolCipherBackend | undefined;
  readonly keys: KeyTable | undefined;
  private readonly piscina: Piscina;
  private closed = false;
  /** The last pool-level failure not tied to a task, if any (tasks reject on their own). */
  lastError: EngineError | undefined;

  constructor(options: EnginePoolOptions = {}) {
    const threads = options.threads ?? defaultPoolThreads();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new EngineError('ERR_ENGINE_BACKEND', `pool thread count ${threads} out of range 1..256`);
    }
    this.threads = threads;
    this.atomics = options.atomics ?? 'sync';
    this.keys = options.keys;
    this.cipherBackend = options.keys ? (options.cipherBackend ?? 'node') : undefined;
    const workerData: EngineWorkerData = {};
    if (options.keys) {
      workerData.cipher = {
        keys: options.keys.shared,
        backend: this.cipherBackend!,
        wasmDebug: options.wasmDebug ?? false,
        ...(options.cipherModule !== undefined ? { backendModule: String(options.cipherModule) } : {}),
      };
    }
    this.piscina = new Piscina({
      filename: workerFile(WORKER_TASKS.packetCipher.file),
      minThreads: threads,
      maxThreads: threads,
      atomics: this.atomics,
      workerData,
      ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    });
    // piscina emits 'error' for failures outside any task (a worker that fails to start, a
    // protocol fault). Unhandled, that event would crash the process; keep it for inspection.
    this.piscina.on('error', (e: unknown) => {
      this.lastError = new EngineError('ERR_ENGINE_WORKER', `worker pool error: ${describeThrown(e)}`, { cause: e });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Tasks waiting for a free thread. */
  get queueSize(): number {
    return this.piscina.queueSize;
  }

  /**
   * Runs one exported function of a worker module. Rejects with EngineError
   * (ERR_ENGINE_WORKER, or ERR_ENGINE_CLOSED once the pool is closed), never with a raw error.
   */
  async run<R>(task: { file: string; run: string }, payload: unknown, transferList?: ArrayBuffer[]): Promise<R> {
    if (this.closed) throw new EngineError('ERR_ENGINE_CLOSED', 'engine pool is closed');
    try {
      return (await this.piscina.run(payload, {
        filename: workerFile(task.file),
        name: task.run,
        ...(transferList && transferList.length > 0 ? { transferList } : {}),
      })) as R;
    } catch (e) {
      if (e instanceof EngineError) throw e;
      if (this.closed) throw new EngineError('ERR_ENGINE_CLOSED', `engine pool closed while a task was running: ${describeThrown(e)}`, { cause: e });
      // Errors thrown in a worker arrive as structured clones (message only). A deliberate
      // EngineError keeps its code (carried in the message); anything else is ERR_ENGINE_WORKER.
      const { code, workerCode, rest } = engineCodeOf(describeThrown(e));
      throw new EngineError(code ?? 'ERR_ENGINE_WORKER', `worker task ${task.file}#${task.run} failed: ${rest}`, {
        cause: e,
        ...(workerCode !== undefined ? { workerCode } : {}),
      });
    }
  }

  /** Terminates every thread; tasks still queued or running reject with ERR_ENGINE_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina.destroy();
  }
}
