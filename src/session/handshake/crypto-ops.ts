// The expensive handshake operations, behind one interface so tests can count or fail them (the
// brief's "prove no DH happened on a bad cookie") and a later phase can move them to the worker
// pool. The defaults are the crypto module's functions (wire-reference D.2, D.4).
import { generateDhKeyPair, type DhGroupId } from '../../crypto/dh.js';
import { initiatorSharedSecret, planInitiatorKeying, respondKeying } from '../../crypto/handshake-crypto.js';
import type { DhKeyReserve } from '../../engine/pool/dh-key-reserve.js';

export interface HandshakeCryptoOps {
  planInitiatorKeying: typeof planInitiatorKeying;
  initiatorSharedSecret: typeof initiatorSharedSecret;
  respondKeying: typeof respondKeying;
}

export const DEFAULT_CRYPTO_OPS: HandshakeCryptoOps = { planInitiatorKeying, initiatorSharedSecret, respondKeying };

/**
 * The default operations, with the responder's ephemeral key pairs taken from a reserve filled
 * by pool workers (generated inline when it runs dry): half of a server's Diffie-Hellman work
 * per handshake leaves the main thread. Pass as the endpoint's `handshake.crypto`.
 */
export function reservedCryptoOps(reserve: DhKeyReserve): HandshakeCryptoOps {
  const ephemeral = (g: DhGroupId) => reserve.take(g) ?? generateDhKeyPair(g);
  return { ...DEFAULT_CRYPTO_OPS, respondKeying: (near, far, skic) => respondKeying(near, far, skic, ephemeral) };
}
