// Who we are in a handshake (RFC 7425 sections 4.3 and 4.6; wire-reference D.1-D.3): our
// certificate exactly as we send it, the static DH key pairs it publishes, the peer ID it hashes
// to, and the HMAC / session-sequence-number offers we put in our SKIC and SKRC.
import {
  buildFlashClientCertificate,
  buildServerCertificate,
  decodeCertificate,
  type Certificate,
  type ServerCertificateOptions,
} from '../../crypto/certificate.js';
import { generateDhKeyPair, type DhGroupId, type DhKeyPair } from '../../crypto/dh.js';
import { DEFAULT_GROUP_PREFERENCE, type NearKeys } from '../../crypto/handshake-crypto.js';
import { NegotiationFlag, type IntegrityOffer } from '../../crypto/key-components.js';
import { canonicalEpd, peerIdFromCertificate } from '../../crypto/peer-id.js';

/**
 * What we offer as a responder. 'adaptive' answers with flags 00 (Mona's SKRC, whose 7-byte
 * prefix `03 1a 00 00 02 1e 00` librtmfp checks byte for byte, D.2) unless the SKIC requests
 * (0x01) HMAC or sequence numbers, in which case we offer "send on request" for that one so
 * rtmfp-cpp's default `07` negotiates instead of failing (D.3).
 */
export type ResponderIntegrityPolicy = 'adaptive' | IntegrityOffer;

export interface Identity {
  /** Certificate field bytes, exactly as sent in RHello / IIKeying. */
  readonly certificate: Uint8Array;
  readonly decodedCertificate: Certificate;
  /** SHA-256 of the certificate (D.6). */
  readonly peerId: Uint8Array;
  /** `21 0f` + peer ID (A.7). */
  readonly canonicalEpd: Uint8Array;
  /** Static key pairs by group; empty for an ephemeral (server-style) certificate. */
  readonly nearKeys: NearKeys;
  /** Our SKIC offers when we initiate. */
  readonly initiatorIntegrity: IntegrityOffer;
  readonly responderIntegrity: ResponderIntegrityPolicy;
  /** DH group preference when initiating (group 2 first, D.1/G.2). */
  readonly groupPreference: readonly DhGroupId[];
}

export interface IdentityOptions {
  initiatorIntegrity?: IntegrityOffer;
  responderIntegrity?: ResponderIntegrityPolicy;
  groupPreference?: readonly DhGroupId[];
}

/** librtmfp's SKIC offers: HMAC "send on request" with length 10, SSEQ "send on request" (D.2). */
export const FLASH_INITIATOR_INTEGRITY: IntegrityOffer = {
  hmac: { flags: NegotiationFlag.SendOnRequest, length: 10 },
  sseq: { flags: NegotiationFlag.SendOnRequest },
};

/** An identity from certificate bytes and the static key pairs behind its 0x1d options. */
export function identityFromCertificate(certificate: Uint8Array, staticKeys: ReadonlyMap<number, DhKeyPair>, options: IdentityOptions = {}): Identity {
  const decodedCertificate = decodeCertificate(certificate);
  const peerId = peerIdFromCertificate(certificate);
  return {
    certificate,
    decodedCertificate,
    peerId,
    canonicalEpd: canonicalEpd(peerId),
    nearKeys: { staticKeys },
    initiatorIntegrity: options.initiatorIntegrity ?? FLASH_INITIATOR_INTEGRITY,
    responderIntegrity: options.responderIntegrity ?? 'adaptive',
    groupPreference: options.groupPreference ?? DEFAULT_GROUP_PREFERENCE,
  };
}

/**
 * A Flash-style client / peer: one static group-2 key, certificate `81 02 1d 02 <128>` (D.1, G.2:
 * the only form Mona understands). Pass a stored key pair to keep the peer ID across runs.
 */
export function createFlashIdentity(options: IdentityOptions & { staticKey?: DhKeyPair } = {}): Identity {
  const key = options.staticKey ?? generateDhKeyPair(2);
  return identityFromCertificate(buildFlashClientCertificate(key.publicKey), new Map([[2, key]]), options);
}

/** A server with an ephemeral certificate (Mona's 77-byte layout; D.1). */
export function createServerIdentity(options: IdentityOptions & ServerCertificateOptions = {}): Identity {
  return identityFromCertificate(buildServerCertificate(options), new Map(), options);
}
