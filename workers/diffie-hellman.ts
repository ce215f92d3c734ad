/**
 * piscina worker: RFC 7425 group 2 Diffie-Hellman off the main thread (~0.3-1 ms per call,
 * well above the ~20 us a pool task costs). KeyObjects clone across threads, so a private key
 * made by one worker can be used for agreement in another.
 */
import { agreeGroup2, generateGroup2KeyPair } from '../src/engine/pool/dh-group2.js';
import { toTransferableError } from '../src/engine/pool/errors.js';
import type { DhAgreeTask, DhKeyPair } from '../src/engine/pool/tasks.js';

export function generate(): DhKeyPair {
  try {
    return generateGroup2KeyPair();
  } catch (e) {
    throw toTransferableError(e);
  }
}

export function agree(task: DhAgreeTask): Uint8Array {
  try {
    return agreeGroup2(task?.privateKey, task?.peerPublicKey);
  } catch (e) {
    throw toTransferableError(e);
  }
}
