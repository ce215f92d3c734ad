/**
 * piscina worker: encrypts or decrypts whole PacketBatches (RFC 7425 packet encryption,
 * wire-reference §A.3) with the backend named in workerData. Keys come from the KeyTable's
 * SharedArrayBuffers, received once at worker start; the backend caches key schedules per
 * (slot, generation), so key changes made by the main thread are seen by the next batch.
 */
import { workerData } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { KeyTable } from '../src/engine/key-table.js';
import { validatePacketBatch, type PacketBatch, type PacketCipherSync } from '../src/engine/packet-batch.js';
import { EngineError, describeThrown, toTransferableError } from '../src/engine/pool/errors.js';
import type { CipherTask, CipherTaskResult, EngineWorkerData } from '../src/engine/pool/tasks.js';

let cipher: PacketCipherSync | undefined;
let keys: KeyTable | undefined;

async function load(): Promise<PacketCipherSync> {
  const config = (workerData as EngineWorkerData | undefined)?.cipher;
  if (!config) throw new EngineError('ERR_ENGINE_BACKEND', 'this pool was started without a key table; it runs no packet-cipher tasks');
  keys = KeyTable.fromShared(config.keys);
  if (config.backendModule !== undefined) {
    const mod = (await import(config.backendModule)) as { createPacketCipher?: (keys: KeyTable) => PacketCipherSync };
    if (typeof mod.createPacketCipher !== 'function') {
      throw new EngineError('ERR_ENGINE_BACKEND', `${config.backendModule} exports no createPacketCipher(keys)`);
    }
    return mod.createPacketCipher(keys);
  }
  switch (config.backend) {
    case 'wasm': {
      const { WasmPacketCipher } = await import('../src/engine/aes/wasm.js');
      return new WasmPacketCipher(keys, { debug: config.wasmDebug });
    }
    case 'node': {
      const { NodeBatchedCipher } = await import('../src/engine/aes/node-batched.js');
      return new NodeBatchedCipher(keys);
    }
    case 'node-long-lived': {
      const { NodeLongLivedCipher } = await import('../src/engine/aes/node-long-lived.js');
      return new NodeLongLivedCipher(keys);
    }
    default:
      throw new EngineError('ERR_ENGINE_BACKEND', `unknown pool cipher backend ${String(config.backend)}`);
  }
}

function toBatch(task: CipherTask, capacity: number): PacketBatch {
  const { data, count, descriptors } = task;
  if (!(data instanceof Uint8Array) || !(descriptors instanceof Uint32Array) || !Number.isInteger(count) || count < 0 || descriptors.length !== 3 * count) {
    throw new EngineError('ERR_ENGINE_BATCH', 'malformed packet-cipher task');
  }
  const batch: PacketBatch = {
    data,
    count,
    offsets: descriptors.subarray(0, count),
    lengths: descriptors.subarray(count, 2 * count),
    keySlots: descriptors.subarray(2 * count, 3 * count),
  };
  try {
    validatePacketBatch(batch, capacity);
  } catch (e) {
    throw new EngineError('ERR_ENGINE_BATCH', `invalid packet batch: ${describeThrown(e)}`, { cause: e });
  }
  return batch;
}

export async function run(task: CipherTask): Promise<CipherTaskResult | ReturnType<typeof Piscina.move>> {
  try {
    return await handle(task);
  } catch (e) {
    throw toTransferableError(e);
  }
}

async function handle(task: CipherTask): Promise<CipherTaskResult | ReturnType<typeof Piscina.move>> {
  cipher ??= await load();
  const batch = toBatch(task, keys!.capacity);
  if (task.op === 'encrypt') cipher.encryptSync(batch);
  else if (task.op === 'decrypt') cipher.decryptSync(batch);
  else throw new EngineError('ERR_ENGINE_BATCH', `unknown cipher op ${String(task.op)}`);
  switch (task.reply) {
    case 'none':
      return undefined;
    case 'clone':
      return task.data;
    case 'transfer':
      return Piscina.move(task.data);
    default:
      throw new EngineError('ERR_ENGINE_BATCH', `unknown reply mode ${String(task.reply)}`);
  }
}

export default run;
