import { isSupportedDhGroup, type DhGroupId } from '../../crypto/dh.js';
import { CryptoErrorCode } from '../../crypto/errors.js';
import { EnginePool, type EnginePoolOptions } from './engine-pool.js';
import { EngineError } from './errors.js';
import { WORKER_TASKS, type DhAgreeTask, type DhGenerateTask, type PoolDhKeyPair } from './tasks.js';

/**
 * Crypto-layer codes that mean "this Diffie-Hellman input is unusable" (not a broken worker):
 * reported as ERR_ENGINE_DH with the crypto code kept as `workerCode`.
 */
const DH_INPUT_CODES: ReadonlySet<string> = new Set<string>([
  CryptoErrorCode.BadPublicKey,
  CryptoErrorCode.BadKey,
  CryptoErrorCode.UnsupportedGroup,
]);

/** Group of a DH task, checked on the main thread so a typo never costs a worker round trip. */
function checkGroup(group: unknown): DhGroupId {
  if (typeof group !== 'number' || !isSupportedDhGroup(group)) {
    throw new EngineError('ERR_ENGINE_DH', `Diffie-Hellman group ${String(group)} is not supported (2, 14, 16)`);
  }
  return group;
}

/**
 * RFC 7425 Diffie-Hellman (groups 2, 14, 16; wire-reference §D.4) in pool workers, so a
 * handshake never spends main-thread CPU on modular exponentiation. The workers run
 * src/crypto/dh.ts, the same code as the inline path, so pool and inline key pairs interoperate.
 * Pass an existing EnginePool (for example `poolPacketCipher.pool`) to share its threads, or
 * options to own a new pool.
 *
 * Errors: arguments refused on the main thread reject with EngineError ERR_ENGINE_DH (no
 * workerCode); inputs the crypto layer refuses in the worker reject with ERR_ENGINE_DH and
 * `workerCode` ERR_CRYPTO_BAD_PUBLIC_KEY (peer key fails RFC 7425 §4.6.2), ERR_CRYPTO_BAD_KEY
 * (private exponent out of range) or ERR_CRYPTO_UNSUPPORTED_GROUP. Anything else is
 * ERR_ENGINE_WORKER / ERR_ENGINE_CLOSED as for every pool task.
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

  /** A fresh key pair (new private exponent every call) in `group`, default 2 (RFC 7425 §4.2). */
  async generateKeyPair(group: DhGroupId = 2): Promise<PoolDhKeyPair> {
    const task: DhGenerateTask = { group: checkGroup(group) };
    return this.runDh<PoolDhKeyPair>(WORKER_TASKS.dhGenerate, task);
  }

  /**
   * The shared secret, minimal big-endian (leading zeros stripped, wire-reference §D.4), from
   * our key pair (its group is used) or our private exponent bytes plus the group (default 2).
   */
  computeSharedSecret(keyPair: PoolDhKeyPair, peerPublicKey: Uint8Array): Promise<Uint8Array>;
  computeSharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array, group?: DhGroupId): Promise<Uint8Array>;
  async computeSharedSecret(ours: PoolDhKeyPair | Uint8Array, peerPublicKey: Uint8Array, group?: DhGroupId): Promise<Uint8Array> {
    let privateKey: unknown;
    let g: DhGroupId;
    if (ours instanceof Uint8Array) {
      privateKey = ours;
      g = checkGroup(group ?? 2);
    } else {
      privateKey = (ours as PoolDhKeyPair | undefined)?.privateKey;
      g = checkGroup((ours as PoolDhKeyPair | undefined)?.group);
      if (group !== undefined && group !== g) {
        throw new EngineError('ERR_ENGINE_DH', `key pair is group ${g}, agreement asked for group ${String(group)}`);
      }
    }
    if (!(privateKey instanceof Uint8Array)) throw new EngineError('ERR_ENGINE_DH', 'private key must be a Uint8Array');
    if (!(peerPublicKey instanceof Uint8Array)) throw new EngineError('ERR_ENGINE_DH', 'peer public key must be a Uint8Array');
    // Copy out of whatever large buffer the keys sit in (a packet), so only the key bytes are cloned.
    const task: DhAgreeTask = { group: g, privateKey: privateKey.slice(), peerPublicKey: peerPublicKey.slice() };
    return this.runDh<Uint8Array>(WORKER_TASKS.dhAgree, task);
  }

  /** Closes the pool if this object created it; a shared pool is left to its owner. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }

  /** pool.run, with the crypto layer's "unusable input" codes reported as ERR_ENGINE_DH. */
  private async runDh<R>(task: { file: string; run: string }, payload: DhGenerateTask | DhAgreeTask): Promise<R> {
    try {
      return await this.pool.run<R>(task, payload);
    } catch (e) {
      if (e instanceof EngineError && e.code === 'ERR_ENGINE_WORKER' && e.workerCode !== undefined && DH_INPUT_CODES.has(e.workerCode)) {
        throw new EngineError('ERR_ENGINE_DH', e.message, { cause: e, workerCode: e.workerCode });
      }
      throw e;
    }
  }
}
