// Session keys and nonces of the Flash profile (wire-reference D.4, D.5; RFC 7425 sections 4.6
// and 4.6.5). With S the minimal big-endian DH shared secret and SKIC/SKRC the exact bytes
// inside the IIKeying/RIKeying length fields:
//
//   I2R_full = HMAC-SHA256(S, HMAC-SHA256(SKRC, SKIC))     AES key I->R = I2R_full[0..15]
//   R2I_full = HMAC-SHA256(S, HMAC-SHA256(SKIC, SKRC))     AES key R->I = R2I_full[0..15]
//   packet-HMAC key of a direction = HMAC-SHA256(S, that direction's full 32 bytes)
//   initiator nonce = HMAC-SHA256(S, SKIC), responder nonce = HMAC-SHA256(S, SKRC)
import { createHmac } from 'node:crypto';
import { stripLeadingZeros } from './dh.js';
import { CryptoError, CryptoErrorCode } from './errors.js';
import { fromHex } from './hex.js';

/** Keys of one direction of a session. */
export interface DirectionKeys {
  /** AES-128 key (first 16 bytes of `full`). */
  aesKey: Uint8Array;
  /** HMAC-SHA256 key for packet HMACs in this direction (32 bytes). */
  hmacKey: Uint8Array;
  /** The whole 32-byte HMAC output the AES key is cut from. */
  full: Uint8Array;
}

export interface SessionKeys {
  initiatorToResponder: DirectionKeys;
  responderToInitiator: DirectionKeys;
  /** HMAC-SHA256(S, SKIC) (32 bytes). */
  initiatorNonce: Uint8Array;
  /** HMAC-SHA256(S, SKRC) (32 bytes). */
  responderNonce: Uint8Array;
}

/** The same keys seen from one end: what it encrypts with, what it decrypts with. */
export interface NearFarKeys {
  role: 'initiator' | 'responder';
  /** Keys for packets this end sends. */
  send: DirectionKeys;
  /** Keys for packets this end receives. */
  receive: DirectionKeys;
  /** Nonce derived from the component this end sent (SKIC for the initiator). */
  nearNonce: Uint8Array;
  farNonce: Uint8Array;
}

function hmac(key: Uint8Array, msg: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(msg).digest());
}

function direction(secret: Uint8Array, inner: Uint8Array): DirectionKeys {
  const full = hmac(secret, inner);
  return { aesKey: full.slice(0, 16), hmacKey: hmac(secret, full), full };
}

/** Longest input accepted for each argument (a 4096-bit secret is 512 bytes; components ~1 KB). */
const MAX_INPUT_BYTES = 64 * 1024;

/**
 * Derives both directions' keys and both nonces. The secret is stripped of leading zero bytes
 * first (Node pads DH secrets; a padded secret gives different keys, wire-reference D.4).
 */
export function deriveSessionKeys(sharedSecret: Uint8Array, skic: Uint8Array, skrc: Uint8Array): SessionKeys {
  const s = stripLeadingZeros(sharedSecret);
  if (s.length === 0) throw new CryptoError(CryptoErrorCode.BadKey, 'DH shared secret is zero');
  for (const [name, b] of [['secret', s], ['SKIC', skic], ['SKRC', skrc]] as const) {
    if (b.length > MAX_INPUT_BYTES) throw new CryptoError(CryptoErrorCode.BadLength, `${name} of ${b.length} bytes is too long`);
  }
  return {
    initiatorToResponder: direction(s, hmac(skrc, skic)),
    responderToInitiator: direction(s, hmac(skic, skrc)),
    initiatorNonce: hmac(s, skic),
    responderNonce: hmac(s, skrc),
  };
}

/** deriveSessionKeys from hex strings (captures, key logs). */
export function deriveSessionKeysHex(sharedSecretHex: string, skicHex: string, skrcHex: string): SessionKeys {
  return deriveSessionKeys(fromHex(sharedSecretHex), fromHex(skicHex), fromHex(skrcHex));
}

/** The keys as one end uses them. */
export function keysForRole(keys: SessionKeys, role: 'initiator' | 'responder'): NearFarKeys {
  return role === 'initiator'
    ? {
        role,
        send: keys.initiatorToResponder,
        receive: keys.responderToInitiator,
        nearNonce: keys.initiatorNonce,
        farNonce: keys.responderNonce,
      }
    : {
        role,
        send: keys.responderToInitiator,
        receive: keys.initiatorToResponder,
        nearNonce: keys.responderNonce,
        farNonce: keys.initiatorNonce,
      };
}
