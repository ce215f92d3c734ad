// The Flash-profile datagram envelope (wire-reference A.2 and A.3; RFC 7016 section 2.2.2,
// RFC 7425 section 4.5):
//
//   datagram  = SSID(4) | ciphertext(16k) | HMAC(h)          h = 0 unless negotiated (D.3)
//   plaintext = [SSEQ VLU] | [checksum(2)] | RTMFP packet | 0xff padding to 16k
//
// AES-128-CBC with an all-zero IV and no cipher padding, fresh for every datagram, so
// encryption is deterministic. The SSID is the session ID XOR the first two 32-bit words of the
// ciphertext. The checksum is present only when the sender sends no HMAC; the HMAC covers the
// ciphertext and is verified before decrypting.
//
// Two forms are provided. The one-shot `sealDatagram` / `openDatagram` run AES through
// node:crypto (handshake and tests). The split form (`preparePlaintext` -> AES -> `finishDatagram`,
// and `datagramCiphertextLength` -> `verifyDatagramHmac` -> AES -> `parsePlaintext`) does
// everything except AES, in place, so the session layer can run AES for a whole PacketBatch
// through a batched backend (src/engine/packet-batch.ts).
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { internetChecksum } from './checksum.js';
import { defaultKey } from './default-key.js';
import { CryptoError, CryptoErrorCode } from './errors.js';

export const SESSION_ID_BYTES = 4;
export const AES_BLOCK_BYTES = 16;
export const AES_KEY_BYTES = 16;
/** HMAC lengths a sender may advertise (wire-reference D.2: 4..32). 0 means "no HMAC". */
export const MIN_HMAC_LENGTH = 4;
export const MAX_HMAC_LENGTH = 32;
/**
 * Largest ciphertext accepted or produced. Startup packets stay under 4256 bytes of plaintext
 * (wire-reference A.5); this matches the engine's MAX_BATCH_PACKET_BYTES.
 */
export const MAX_CIPHERTEXT_BYTES = 8192;
export const MAX_DATAGRAM_BYTES = SESSION_ID_BYTES + MAX_CIPHERTEXT_BYTES + MAX_HMAC_LENGTH;
/** A session sequence number VLU is at most 10 bytes (64-bit counter, wire-reference A.1). */
const MAX_SSEQ_VLU_BYTES = 10;
const CHECKSUM_BYTES = 2;
const PAD_BYTE = 0xff;
const ZERO_IV = new Uint8Array(AES_BLOCK_BYTES);

/** How one direction of a session (or startup mode) wraps its packets. */
export interface EnvelopeParams {
  /** AES-128 key of this direction (the default key in startup mode). */
  key: Uint8Array;
  /** 0 = no HMAC (a checksum is sent instead); otherwise the sender's advertised length, 4..32. */
  hmacLength: number;
  /** HMAC-SHA256 key of this direction; required when hmacLength > 0 (wire-reference D.4). */
  hmacKey?: Uint8Array | undefined;
  /** True when the sender prefixes a session sequence number (wire-reference D.3). */
  sequenceNumbers: boolean;
}

/** Startup mode: default key, checksum, no sequence numbers (wire-reference A.3). */
export function startupEnvelope(): EnvelopeParams {
  return { key: defaultKey(), hmacLength: 0, sequenceNumbers: false };
}

function fail(code: CryptoErrorCode, message: string): never {
  throw new CryptoError(code, message);
}

/** Throws CryptoError unless the parameters are coherent. Cheap; called by every entry point. */
export function checkEnvelopeParams(params: EnvelopeParams): void {
  if (!(params.key instanceof Uint8Array) || params.key.length !== AES_KEY_BYTES) {
    fail(CryptoErrorCode.BadKey, `AES-128 key must be ${AES_KEY_BYTES} bytes`);
  }
  const h = params.hmacLength;
  if (h !== 0 && !(Number.isInteger(h) && h >= MIN_HMAC_LENGTH && h <= MAX_HMAC_LENGTH)) {
    fail(CryptoErrorCode.BadLength, `HMAC length ${h} is neither 0 nor ${MIN_HMAC_LENGTH}..${MAX_HMAC_LENGTH}`);
  }
  if (h !== 0 && (!(params.hmacKey instanceof Uint8Array) || params.hmacKey.length === 0)) {
    fail(CryptoErrorCode.BadKey, 'an HMAC length was given without an HMAC key');
  }
}

// ---------------------------------------------------------------------------------------------
// Session ID (wire-reference A.2)

/**
 * The session ID of a received datagram: the XOR of its first three 32-bit words, as 4 opaque
 * bytes (never assume an endianness). All zero means startup mode.
 */
export function readSessionId(datagram: Uint8Array): Uint8Array {
  if (datagram.length < SESSION_ID_BYTES) fail(CryptoErrorCode.BadLength, `datagram of ${datagram.length} bytes has no session ID`);
  const id = new Uint8Array(SESSION_ID_BYTES);
  for (let i = 0; i < SESSION_ID_BYTES; i++) {
    // A ciphertext shorter than 8 bytes is padded with zeros for the XOR (wire-reference A.2).
    id[i] = datagram[i]! ^ (datagram[4 + i] ?? 0) ^ (datagram[8 + i] ?? 0);
  }
  return id;
}

/**
 * The same session ID as one unsigned 32-bit number (the 4 bytes read big-endian). Only a
 * convenient map key: compare it with `sessionIdValue(bytes)` of the IDs we handed out.
 */
export function readSessionIdValue(datagram: Uint8Array): number {
  return sessionIdValue(readSessionId(datagram));
}

export function sessionIdValue(sessionId: Uint8Array): number {
  if (sessionId.length !== SESSION_ID_BYTES) fail(CryptoErrorCode.BadLength, `session ID must be ${SESSION_ID_BYTES} bytes`);
  return ((sessionId[0]! << 24) | (sessionId[1]! << 16) | (sessionId[2]! << 8) | sessionId[3]!) >>> 0;
}

/** Writes the scrambled session ID at buf[offset..offset+4); the ciphertext must already follow it. */
export function writeScrambledSessionId(buf: Uint8Array, offset: number, sessionId: Uint8Array): void {
  if (sessionId.length !== SESSION_ID_BYTES) fail(CryptoErrorCode.BadLength, `session ID must be ${SESSION_ID_BYTES} bytes`);
  if (offset < 0 || offset + SESSION_ID_BYTES + 8 > buf.length) fail(CryptoErrorCode.BadLength, 'no room for SSID and ciphertext');
  for (let i = 0; i < SESSION_ID_BYTES; i++) {
    buf[offset + i] = sessionId[i]! ^ buf[offset + 4 + i]! ^ buf[offset + 8 + i]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Sealing, split form

function vluSize(value: number): number {
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

function checkSequenceNumber(params: EnvelopeParams, sequenceNumber: number | undefined): number {
  if (!params.sequenceNumbers) return -1;
  if (sequenceNumber === undefined || !Number.isSafeInteger(sequenceNumber) || sequenceNumber < 0) {
    fail(CryptoErrorCode.BadPlaintext, `session sequence number ${String(sequenceNumber)} is not a non-negative safe integer`);
  }
  return sequenceNumber;
}

/**
 * Bytes the envelope puts in front of the RTMFP packet inside the plaintext: the SSEQ VLU (when
 * sent) and the checksum (when no HMAC). Write the packet at bodyOffset + this.
 */
export function plaintextPrefixLength(params: EnvelopeParams, sequenceNumber?: number): number {
  const sseq = checkSequenceNumber(params, sequenceNumber);
  return (sseq >= 0 ? vluSize(sseq) : 0) + (params.hmacLength === 0 ? CHECKSUM_BYTES : 0);
}

/** Ciphertext (= padded plaintext) length for a packet of `packetLength` bytes. */
export function paddedBodyLength(params: EnvelopeParams, packetLength: number, sequenceNumber?: number): number {
  const fits = Number.isInteger(packetLength) && packetLength >= 1 && packetLength <= MAX_CIPHERTEXT_BYTES;
  const raw = plaintextPrefixLength(params, sequenceNumber) + (fits ? packetLength : 0);
  const padded = (raw + AES_BLOCK_BYTES - 1) & ~(AES_BLOCK_BYTES - 1);
  if (!fits || padded > MAX_CIPHERTEXT_BYTES) {
    fail(CryptoErrorCode.BadLength, `packet of ${packetLength} bytes does not fit ${MAX_CIPHERTEXT_BYTES} bytes of ciphertext`);
  }
  return padded;
}

/** Total datagram length for a packet of `packetLength` bytes. */
export function sealedDatagramLength(params: EnvelopeParams, packetLength: number, sequenceNumber?: number): number {
  return SESSION_ID_BYTES + paddedBodyLength(params, packetLength, sequenceNumber) + params.hmacLength;
}

/**
 * Completes a plaintext in place. The RTMFP packet must already sit at
 * buf[bodyOffset + plaintextPrefixLength(...) ..+packetLength). Writes the SSEQ VLU at bodyOffset,
 * pads with 0xff to a 16-byte multiple, then writes the checksum when no HMAC is sent.
 * Returns the body length (a multiple of 16), ready for AES-128-CBC with a zero IV.
 */
export function preparePlaintext(
  buf: Uint8Array,
  bodyOffset: number,
  packetLength: number,
  params: EnvelopeParams,
  sequenceNumber?: number,
): number {
  checkEnvelopeParams(params);
  const bodyLength = paddedBodyLength(params, packetLength, sequenceNumber);
  if (!Number.isInteger(bodyOffset) || bodyOffset < 0 || bodyOffset + bodyLength > buf.length) {
    fail(CryptoErrorCode.BadLength, `body of ${bodyLength} bytes at ${bodyOffset} does not fit a ${buf.length}-byte buffer`);
  }
  let p = bodyOffset;
  const sseq = checkSequenceNumber(params, sequenceNumber);
  if (sseq >= 0) {
    const n = vluSize(sseq);
    let v = sseq;
    for (let i = n - 1; i >= 0; i--) {
      buf[p + i] = (v % 128) | (i === n - 1 ? 0 : 0x80);
      v = Math.floor(v / 128);
    }
    p += n;
  }
  const checksumAt = params.hmacLength === 0 ? p : -1;
  if (checksumAt >= 0) p += CHECKSUM_BYTES;
  const end = bodyOffset + bodyLength;
  buf.fill(PAD_BYTE, p + packetLength, end);
  if (checksumAt >= 0) {
    const sum = internetChecksum(buf, checksumAt + CHECKSUM_BYTES, end);
    buf[checksumAt] = sum >>> 8;
    buf[checksumAt + 1] = sum & 0xff;
  }
  return bodyLength;
}

function hmacOver(hmacKey: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', hmacKey).update(data).digest();
}

/**
 * Completes an encrypted datagram in place: the ciphertext is at buf[datagramOffset + 4 ..
 * + bodyLength). Writes the scrambled session ID in front and, when negotiated, appends the
 * truncated HMAC-SHA256 of the ciphertext. Returns the datagram length.
 */
export function finishDatagram(
  buf: Uint8Array,
  datagramOffset: number,
  bodyLength: number,
  sessionId: Uint8Array,
  params: EnvelopeParams,
): number {
  checkEnvelopeParams(params);
  if ((bodyLength & 15) !== 0 || bodyLength < AES_BLOCK_BYTES || bodyLength > MAX_CIPHERTEXT_BYTES) {
    fail(CryptoErrorCode.BadLength, `ciphertext length ${bodyLength} is not a multiple of 16 in 16..${MAX_CIPHERTEXT_BYTES}`);
  }
  const total = SESSION_ID_BYTES + bodyLength + params.hmacLength;
  if (!Number.isInteger(datagramOffset) || datagramOffset < 0 || datagramOffset + total > buf.length) {
    fail(CryptoErrorCode.BadLength, `datagram of ${total} bytes at ${datagramOffset} does not fit a ${buf.length}-byte buffer`);
  }
  writeScrambledSessionId(buf, datagramOffset, sessionId);
  if (params.hmacLength > 0) {
    const bodyStart = datagramOffset + SESSION_ID_BYTES;
    const mac = hmacOver(params.hmacKey!, buf.subarray(bodyStart, bodyStart + bodyLength));
    buf.set(mac.subarray(0, params.hmacLength), bodyStart + bodyLength);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Opening, split form

/**
 * Validates a received datagram's length against the HMAC length expected from its sender and
 * returns the ciphertext length (bytes after the SSID, before the HMAC).
 */
export function datagramCiphertextLength(datagramLength: number, hmacLength: number): number {
  const body = datagramLength - SESSION_ID_BYTES - hmacLength;
  if (body < AES_BLOCK_BYTES || (body & 15) !== 0 || body > MAX_CIPHERTEXT_BYTES) {
    fail(
      CryptoErrorCode.BadLength,
      `datagram of ${datagramLength} bytes does not hold a 16k-byte ciphertext (k >= 1) plus a ${hmacLength}-byte HMAC`,
    );
  }
  return body;
}

/** Verifies the appended HMAC over the ciphertext (do this before decrypting). No-op without HMAC. */
export function verifyDatagramHmac(datagram: Uint8Array, params: EnvelopeParams): void {
  checkEnvelopeParams(params);
  const h = params.hmacLength;
  const body = datagramCiphertextLength(datagram.length, h);
  if (h === 0) return;
  const mac = hmacOver(params.hmacKey!, datagram.subarray(SESSION_ID_BYTES, SESSION_ID_BYTES + body));
  const got = datagram.subarray(SESSION_ID_BYTES + body, SESSION_ID_BYTES + body + h);
  if (!timingSafeEqual(mac.subarray(0, h), got)) fail(CryptoErrorCode.BadHmac, 'datagram HMAC does not match');
}

/** What the envelope found in front of the RTMFP packet. */
export interface PlaintextInfo {
  /** Where the RTMFP packet (flags byte) starts inside the plaintext. */
  packetOffset: number;
  /** The session sequence number, or -1 when the sender sends none. */
  sessionSequenceNumber: number;
}

/**
 * Parses a decrypted body in place: reads the SSEQ VLU (when the sender sends them) and, when the
 * sender sends no HMAC, verifies the checksum of everything after it. `out` may be reused across
 * calls to avoid an allocation per packet.
 */
export function parsePlaintext(
  plaintext: Uint8Array,
  params: EnvelopeParams,
  out: PlaintextInfo = { packetOffset: 0, sessionSequenceNumber: -1 },
): PlaintextInfo {
  let p = 0;
  let sseq = -1;
  if (params.sequenceNumbers) {
    sseq = 0;
    for (let i = 0; ; i++) {
      if (p >= plaintext.length || i >= MAX_SSEQ_VLU_BYTES) {
        fail(CryptoErrorCode.BadPlaintext, 'session sequence number VLU runs off the plaintext or past 10 bytes');
      }
      const b = plaintext[p++]!;
      sseq = sseq * 128 + (b & 0x7f);
      if (sseq > Number.MAX_SAFE_INTEGER) fail(CryptoErrorCode.BadPlaintext, 'session sequence number exceeds 2^53-1');
      if ((b & 0x80) === 0) break;
    }
  }
  if (params.hmacLength === 0) {
    if (p + CHECKSUM_BYTES >= plaintext.length) fail(CryptoErrorCode.BadPlaintext, 'plaintext too short for a checksum and a packet');
    const want = (plaintext[p]! << 8) | plaintext[p + 1]!;
    p += CHECKSUM_BYTES;
    if (internetChecksum(plaintext, p, plaintext.length) !== want) fail(CryptoErrorCode.BadChecksum, 'packet checksum does not match');
  }
  if (p >= plaintext.length) fail(CryptoErrorCode.BadPlaintext, 'plaintext has no room for a packet');
  out.packetOffset = p;
  out.sessionSequenceNumber = sseq;
  return out;
}

// ---------------------------------------------------------------------------------------------
// One-shot forms (node:crypto)

/** AES-128-CBC with a zero IV and no padding over a 16k-byte range, in place. */
export function aesCbcZeroIvInPlace(direction: 'encrypt' | 'decrypt', key: Uint8Array, data: Uint8Array): void {
  if (key.length !== AES_KEY_BYTES) fail(CryptoErrorCode.BadKey, `AES-128 key must be ${AES_KEY_BYTES} bytes`);
  if ((data.length & 15) !== 0) fail(CryptoErrorCode.BadLength, `AES-CBC input of ${data.length} bytes is not a multiple of 16`);
  const c = direction === 'encrypt' ? createCipheriv('aes-128-cbc', key, ZERO_IV) : createDecipheriv('aes-128-cbc', key, ZERO_IV);
  c.setAutoPadding(false);
  const a = c.update(data);
  const b = c.final();
  data.set(a, 0);
  if (b.length > 0) data.set(b, a.length);
}

/**
 * Seals one RTMFP packet (flags byte through the last chunk, no padding) into a datagram for the
 * far end whose session ID is `sessionId` (4 bytes; all zero for IHello).
 */
export function sealDatagram(sessionId: Uint8Array, packet: Uint8Array, params: EnvelopeParams, sequenceNumber?: number): Uint8Array {
  checkEnvelopeParams(params);
  const prefix = plaintextPrefixLength(params, sequenceNumber);
  const total = sealedDatagramLength(params, packet.length, sequenceNumber);
  const out = new Uint8Array(total);
  out.set(packet, SESSION_ID_BYTES + prefix);
  const bodyLength = preparePlaintext(out, SESSION_ID_BYTES, packet.length, params, sequenceNumber);
  aesCbcZeroIvInPlace('encrypt', params.key, out.subarray(SESSION_ID_BYTES, SESSION_ID_BYTES + bodyLength));
  finishDatagram(out, 0, bodyLength, sessionId, params);
  return out;
}

export interface OpenedDatagram {
  /** The unscrambled session ID (4 bytes). */
  sessionId: Uint8Array;
  /** The whole decrypted body: [SSEQ][checksum][packet][padding]. A fresh buffer. */
  plaintext: Uint8Array;
  /** A view of `plaintext` from the packet's flags byte to the end (padding included). */
  packet: Uint8Array;
  /** The session sequence number, or -1 when the sender sends none. */
  sessionSequenceNumber: number;
}

/**
 * Opens one datagram: length check, HMAC (when expected), decrypt, SSEQ, checksum (when no
 * HMAC). Any input yields either a result or a CryptoError.
 */
export function openDatagram(datagram: Uint8Array, params: EnvelopeParams): OpenedDatagram {
  checkEnvelopeParams(params);
  const bodyLength = datagramCiphertextLength(datagram.length, params.hmacLength);
  const sessionId = readSessionId(datagram);
  verifyDatagramHmac(datagram, params);
  const plaintext = datagram.slice(SESSION_ID_BYTES, SESSION_ID_BYTES + bodyLength);
  aesCbcZeroIvInPlace('decrypt', params.key, plaintext);
  const info = parsePlaintext(plaintext, params);
  return {
    sessionId,
    plaintext,
    packet: plaintext.subarray(info.packetOffset),
    sessionSequenceNumber: info.sessionSequenceNumber,
  };
}
