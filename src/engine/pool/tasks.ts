import type { DhGroupId } from '../../crypto/dh.js';

/**
 * Messages between the main thread and the pool workers (`workers/*.ts`). Kept in one place so
 * both sides agree on the shape; everything here survives structured clone.
 */

/** Which node:crypto or WASM backend a packet-cipher worker builds (see src/engine/aes/). */
export type PoolCipherBackend = 'wasm' | 'node' | 'node-long-lived';

/** Given to every worker once, at start (`workerData`). */
export interface EngineWorkerData {
  /** Present when the pool runs packet-cipher tasks: the KeyTable's shared buffers. */
  cipher?: {
    keys: { keys: SharedArrayBuffer; generations: SharedArrayBuffer };
    backend: PoolCipherBackend;
    wasmDebug: boolean;
    /** file: URL of a module exporting `createPacketCipher(keys: KeyTable): PacketCipherSync`; overrides `backend`. */
    backendModule?: string;
  };
}

/**
 * How a worker hands the bytes back: 'none' when `data` is SharedArrayBuffer-backed (the worker
 * works in place, the main thread sees the result), 'clone' to return a structured-clone copy,
 * 'transfer' to move the ArrayBuffer back.
 */
export type CipherReply = 'none' | 'clone' | 'transfer';

export interface CipherTask {
  op: 'encrypt' | 'decrypt';
  data: Uint8Array;
  count: number;
  /** offsets[count], lengths[count], keySlots[count], packed into one array to clone once. */
  descriptors: Uint32Array;
  reply: CipherReply;
}

/** What a cipher task returns: nothing for 'none', the processed bytes otherwise. */
export type CipherTaskResult = Uint8Array | undefined;

/**
 * A Diffie-Hellman key pair made in a pool worker (RFC 7425 §4.2 groups 2, 14, 16;
 * wire-reference §D.4). Plain bytes, so it clones to any worker (or stays on the main thread)
 * and can be rebuilt there with dhKeyPairFromPrivateKey.
 */
export interface PoolDhKeyPair {
  group: DhGroupId;
  /** Minimal-length big-endian public value, ready for the IIKeying/RIKeying chunk. */
  publicKey: Uint8Array;
  /** The private exponent, minimal big-endian (DhKeyPair.exportPrivateKey). Keep it secret. */
  privateKey: Uint8Array;
}

export interface DhGenerateTask {
  group: DhGroupId;
}

export interface DhAgreeTask {
  group: DhGroupId;
  /** Our private exponent, big-endian. */
  privateKey: Uint8Array;
  /** The peer's public value, big-endian, leading zeros allowed. */
  peerPublicKey: Uint8Array;
}

/** Names of the task functions each worker module exports (piscina's `name` run option). */
export const WORKER_TASKS = {
  packetCipher: { file: 'packet-cipher.js', run: 'run' },
  dhGenerate: { file: 'diffie-hellman.js', run: 'generate' },
  dhAgree: { file: 'diffie-hellman.js', run: 'agree' },
} as const;
