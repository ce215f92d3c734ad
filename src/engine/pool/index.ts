export { EngineError, type EngineErrorCode } from './errors.js';
export { EnginePool, defaultPoolThreads, type EnginePoolOptions, type PoolAtomics } from './engine-pool.js';
export { PoolPacketCipher, type PoolPacketCipherOptions, type PoolHandoff } from './pool-packet-cipher.js';
export { PoolDiffieHellman } from './pool-diffie-hellman.js';
export { BufferPool } from './buffer-pool.js';
export type { PoolDhKeyPair, PoolCipherBackend } from './tasks.js';
export { DhKeyReserve, type DhKeyReserveOptions } from './dh-key-reserve.js';
