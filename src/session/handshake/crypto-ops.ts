// The expensive handshake operations, behind one interface so tests can count or fail them (the
// brief's "prove no DH happened on a bad cookie") and a later phase can move them to the worker
// pool. The defaults are the crypto module's functions (wire-reference D.2, D.4).
import { initiatorSharedSecret, planInitiatorKeying, respondKeying } from '../../crypto/handshake-crypto.js';

export interface HandshakeCryptoOps {
  planInitiatorKeying: typeof planInitiatorKeying;
  initiatorSharedSecret: typeof initiatorSharedSecret;
  respondKeying: typeof respondKeying;
}

export const DEFAULT_CRYPTO_OPS: HandshakeCryptoOps = { planInitiatorKeying, initiatorSharedSecret, respondKeying };
