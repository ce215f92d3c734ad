export { EngineError, type EngineErrorCode } from './errors.js';
export { EnginePool, defaultPoolThreads, type EnginePoolOptions, type PoolAtomics } from './engine-pool.js';
export { PoolPacketCipher, type PoolPacketCipherOptions, type PoolHandoff } from './pool-packet-cipher.js';
export { PoolDiffieHellman } from './pool-diffie-hellman.js';
export { agreeGroup2, generateGroup2KeyPair, rawPublicKey, publicKeyFromRaw, minimalBigEndian, GROUP2_PRIME, GROUP2_GENERATOR } from './dh-group2.js';
export { BufferPool } from './buffer-pool.js';
export type { DhKeyPair, PoolCipherBackend } from './tasks.js';
