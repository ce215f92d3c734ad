import { RtmfpError } from '../errors.js';

/** Reasons the Flash-profile crypto layer (RFC 7425 section 4) refuses its input. */
export const CryptoErrorCode = {
  /** A datagram, key, field or value has a length the format does not allow. */
  BadLength: 'ERR_CRYPTO_BAD_LENGTH',
  /** The 16-bit Internet checksum of a decrypted packet does not match (wire-reference A.3). */
  BadChecksum: 'ERR_CRYPTO_BAD_CHECKSUM',
  /** The truncated HMAC-SHA256 appended to a datagram does not match (wire-reference A.3). */
  BadHmac: 'ERR_CRYPTO_BAD_HMAC',
  /** A key (AES, HMAC or DH private) is missing or has the wrong size. */
  BadKey: 'ERR_CRYPTO_BAD_KEY',
  /** The decrypted body cannot be parsed (session sequence number VLU runs off the end...). */
  BadPlaintext: 'ERR_CRYPTO_BAD_PLAINTEXT',
  /** A far Diffie-Hellman public key fails the RFC 7425 section 4.6.2 checks (wire-reference D.4). */
  BadPublicKey: 'ERR_CRYPTO_BAD_PUBLIC_KEY',
  /** A Diffie-Hellman group this implementation does not do (only 2, 14, 16). */
  UnsupportedGroup: 'ERR_CRYPTO_UNSUPPORTED_GROUP',
  /** A certificate (wire-reference D.1) is structurally valid options but semantically wrong. */
  BadCertificate: 'ERR_CRYPTO_BAD_CERTIFICATE',
  /** A session key component (SKIC/SKRC, wire-reference D.2) is semantically wrong. */
  BadKeyComponent: 'ERR_CRYPTO_BAD_KEY_COMPONENT',
  /** HMAC / session-sequence negotiation cannot be satisfied (wire-reference D.3). */
  NegotiationFailed: 'ERR_CRYPTO_NEGOTIATION_FAILED',
  /** No usable Diffie-Hellman group / key combination between two certificates (wire-reference D.2). */
  NoCommonGroup: 'ERR_CRYPTO_NO_COMMON_GROUP',
  /** A hex string is not valid hex of the expected length. */
  BadHex: 'ERR_CRYPTO_BAD_HEX',
  /** The underlying crypto library refused an operation we had already validated. */
  Internal: 'ERR_CRYPTO_INTERNAL',
} as const;
export type CryptoErrorCode = (typeof CryptoErrorCode)[keyof typeof CryptoErrorCode];

/** Thrown by everything under `src/crypto/` (codecs built on src/wire may also throw WireError). */
export class CryptoError extends RtmfpError {
  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
