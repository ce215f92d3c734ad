import type { KeyObject } from 'node:crypto';
import { EnginePool, type EnginePoolOptions } from './engine-pool.js';
import { EngineError } from './errors.js';
import { WORKER_TASKS, type DhAgreeTask, type DhKeyPair } from './tasks.js';

/**
 * RFC 7425 group 2 Diffie-Hellman (wire-reference §D.4) in pool workers, so a handshake never
 * spends a millisecond of main-thread CPU on modular exponentiation. Pass an existing EnginePool
 * (for example `poolPacketCipher.pool`) to share its threads, or options to own a new pool.
 */
export class PoolDiffieHellman {
  readonly pool: EnginePool;
  private readonly ownsPool: boolean;

  constructor(poolOrOptions: EnginePool | Omit<EnginePoolOptions, 'keys' | 'cipherBackend'> = {}) {
    if (poolOrOptions instanceof EnginePool) {
      this.pool = poolOrOptions;
      this.ownsPool = false;
    } else {
      this.pool = new EnginePool(poolOrOptions);
      this.ownsPool = true;
    }
  }

  /** A fresh key pair; `publicKey` is minimal big-endian, ready for the IIKeying/RIKeying chunk. */
  generateKeyPair(): Promise<DhKeyPair> {
    return this.pool.run<DhKeyPair>(WORKER_TASKS.dhGenerate, undefined);
  }

  /**
   * The shared secret, minimal big-endian (leading zeros stripped, wire-reference §D.4).
   * Rejects with EngineError ERR_ENGINE_WORKER (cause code ERR_ENGINE_DH) for an unusable peer key.
   */
  computeSharedSecret(privateKey: KeyObject, peerPublicKey: Uint8Array): Promise<Uint8Array> {
    if (!(peerPublicKey instanceof Uint8Array)) {
      return Promise.reject(new EngineError('ERR_ENGINE_DH', 'peer public key must be a Uint8Array'));
    }
    // Copy out of whatever large buffer the key sits in (a packet), so only 128 bytes are cloned.
    const task: DhAgreeTask = { privateKey, peerPublicKey: Uint8Array.from(peerPublicKey) };
    return this.pool.run<Uint8Array>(WORKER_TASKS.dhAgree, task);
  }

  /** Closes the pool if this object created it; a shared pool is left to its owner. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }
}
