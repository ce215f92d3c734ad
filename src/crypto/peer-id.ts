// Peer IDs / fingerprints (wire-reference D.6; RFC 7425 sections 4.3.2 and 4.4.2.3): SHA-256 of
// the certificate field's bytes before any marker (not the bare key, not the field's length).
// The canonical EPD of a session, also NetGroup's "raw peer ID", is `21 0f` + peer ID (A.7).
import { createHash } from 'node:crypto';
import { certificateSignedPart } from './certificate.js';
import { CryptoError, CryptoErrorCode } from './errors.js';
import { fromHex, toHex } from './hex.js';

export const PEER_ID_BYTES = 32;
/** `21 0f`: option length 33, type 0x0f (fingerprint). */
const CANONICAL_EPD_PREFIX = [0x21, 0x0f] as const;
export const CANONICAL_EPD_BYTES = 2 + PEER_ID_BYTES;

/** The peer ID of a certificate (the bytes inside its IIKeying/RHello field). */
export function peerIdFromCertificate(certificate: Uint8Array): Uint8Array {
  const signed = certificateSignedPart(certificate);
  return new Uint8Array(createHash('sha256').update(signed).digest());
}

function checkPeerId(peerId: Uint8Array): void {
  if (peerId.length !== PEER_ID_BYTES) throw new CryptoError(CryptoErrorCode.BadLength, `peer ID must be ${PEER_ID_BYTES} bytes, got ${peerId.length}`);
}

/** `21 0f` + peer ID (34 bytes). */
export function canonicalEpd(peerId: Uint8Array): Uint8Array {
  checkPeerId(peerId);
  const out = new Uint8Array(CANONICAL_EPD_BYTES);
  out[0] = CANONICAL_EPD_PREFIX[0];
  out[1] = CANONICAL_EPD_PREFIX[1];
  out.set(peerId, 2);
  return out;
}

/** The peer ID inside a canonical EPD, or undefined when `epd` is not exactly `21 0f` + 32 bytes. */
export function peerIdFromCanonicalEpd(epd: Uint8Array): Uint8Array | undefined {
  if (epd.length !== CANONICAL_EPD_BYTES || epd[0] !== CANONICAL_EPD_PREFIX[0] || epd[1] !== CANONICAL_EPD_PREFIX[1]) return undefined;
  return epd.slice(2);
}

/** Lowercase hex, as every implementation prints peer IDs. */
export function peerIdToHex(peerId: Uint8Array): string {
  checkPeerId(peerId);
  return toHex(peerId);
}

/** Parses 64 hex digits, case-insensitive; CryptoError(BadHex) otherwise. */
export function peerIdFromHex(text: string): Uint8Array {
  return fromHex(text, PEER_ID_BYTES);
}

export function peerIdsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
