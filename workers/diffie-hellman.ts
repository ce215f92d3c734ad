/**
 * piscina worker: RFC 7425 Diffie-Hellman (groups 2, 14, 16; wire-reference §D.4) off the main
 * thread, with the same code as the inline path (src/crypto/dh.ts). Key pairs cross threads as
 * plain bytes (the private exponent), so any worker, or the main thread, can use them. Each
 * worker builds its node:crypto DiffieHellman per group on first use (tens of ms, once).
 */
import { dhKeyPairFromPrivateKey, generateDhKeyPair } from '../src/crypto/dh.js';
import { toTransferableError } from '../src/engine/pool/errors.js';
import type { DhAgreeTask, DhGenerateTask, PoolDhKeyPair } from '../src/engine/pool/tasks.js';

export function generate(task: DhGenerateTask): PoolDhKeyPair {
  try {
    const pair = generateDhKeyPair(task?.group);
    return { group: pair.group, publicKey: pair.publicKey, privateKey: pair.exportPrivateKey() };
  } catch (e) {
    throw toTransferableError(e);
  }
}

/** The shared secret, minimal big-endian; the peer key is validated first (RFC 7425 §4.6.2). */
export function agree(task: DhAgreeTask): Uint8Array {
  try {
    return dhKeyPairFromPrivateKey(task?.group, task?.privateKey).computeSecret(task?.peerPublicKey);
  } catch (e) {
    throw toTransferableError(e);
  }
}
