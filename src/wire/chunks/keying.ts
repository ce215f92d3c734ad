// Initial keying chunks (RFC 7016 sections 2.3.6-2.3.7; wire-reference A.8, B.1):
// IIKeying 0x38 and RIKeying 0x78. The session key derivation and the signature need the exact
// bytes on the wire, so the decoder keeps views of the certificate, the key components and the
// signed region rather than re-encoding anything.
import { ChunkType } from '../chunk-type.js';
import { WireError, WireErrorCode } from '../errors.js';
import { ByteReader } from '../reader.js';
import { ByteWriter, vluLength } from '../writer.js';
import {
  checkEncodable,
  MAX_CERTIFICATE_LENGTH,
  MAX_COOKIE_LENGTH,
  MAX_KEY_COMPONENT_LENGTH,
  MAX_SIGNATURE_LENGTH,
  restWithin,
} from './limits.js';

/** Session IDs are 4 opaque bytes (wire-reference A.2): never interpret their byte order. */
export const SESSION_ID_LENGTH = 4;

/**
 * IIKeying: `initiatorSessionID(4), cookieLength, cookieEcho, certLength, initiatorCertificate,
 * skicLength, skic, signature(rest)`. The signature covers the session ID through the SKIC.
 */
export interface IIKeyingChunk {
  type: typeof ChunkType.IIKeying;
  initiatorSessionId: Uint8Array;
  cookieEcho: Uint8Array;
  initiatorCertificate: Uint8Array;
  /** Session Key Initiator Component (an option list, RFC 7425 section 4.6). */
  skic: Uint8Array;
  signature: Uint8Array;
  /** Set by the decoder: the signed bytes (session ID through SKIC) exactly as received. */
  signedBytes?: Uint8Array;
}

/**
 * RIKeying: `responderSessionID(4), skrcLength, skrc, signature(rest)`. It is sent with the
 * initiator's session ID as SSID and the default key (A.8). The signature covers these bytes
 * followed by the SKIC of the IIKeying it answers.
 */
export interface RIKeyingChunk {
  type: typeof ChunkType.RIKeying;
  responderSessionId: Uint8Array;
  /** Session Key Responder Component. */
  skrc: Uint8Array;
  signature: Uint8Array;
  /** Set by the decoder: responder session ID plus SKRC field exactly as received (the signed prefix). */
  signedBytes?: Uint8Array;
}

function checkSessionId(id: Uint8Array): void {
  if (id.length !== SESSION_ID_LENGTH) {
    throw new WireError(WireErrorCode.Unencodable, `session ID must be ${SESSION_ID_LENGTH} bytes, got ${id.length}`);
  }
}

export function decodeIIKeyingBody(body: Uint8Array): IIKeyingChunk {
  const r = new ByteReader(body);
  const initiatorSessionId = r.bytes(SESSION_ID_LENGTH);
  const cookieEcho = r.vluField(MAX_COOKIE_LENGTH);
  const initiatorCertificate = r.vluField(MAX_CERTIFICATE_LENGTH);
  const skic = r.vluField(MAX_KEY_COMPONENT_LENGTH);
  const signedBytes = body.subarray(0, r.pos);
  const signature = restWithin(r, MAX_SIGNATURE_LENGTH, 'signature');
  return { type: ChunkType.IIKeying, initiatorSessionId, cookieEcho, initiatorCertificate, skic, signature, signedBytes };
}

function iiKeyingSignedLength(c: IIKeyingChunk): number {
  return (
    SESSION_ID_LENGTH +
    vluLength(c.cookieEcho.length) +
    c.cookieEcho.length +
    vluLength(c.initiatorCertificate.length) +
    c.initiatorCertificate.length +
    vluLength(c.skic.length) +
    c.skic.length
  );
}

export function iiKeyingBodyLength(c: IIKeyingChunk): number {
  return iiKeyingSignedLength(c) + c.signature.length;
}

function writeIIKeyingSigned(w: ByteWriter, c: Omit<IIKeyingChunk, 'signature'>): void {
  checkSessionId(c.initiatorSessionId);
  checkEncodable(c.cookieEcho, MAX_COOKIE_LENGTH, 'cookie');
  checkEncodable(c.initiatorCertificate, MAX_CERTIFICATE_LENGTH, 'certificate');
  checkEncodable(c.skic, MAX_KEY_COMPONENT_LENGTH, 'SKIC');
  w.bytes(c.initiatorSessionId).vluField(c.cookieEcho).vluField(c.initiatorCertificate).vluField(c.skic);
}

export function writeIIKeyingBody(w: ByteWriter, c: IIKeyingChunk): void {
  checkEncodable(c.signature, MAX_SIGNATURE_LENGTH, 'signature');
  writeIIKeyingSigned(w, c);
  w.bytes(c.signature);
}

/** The bytes an IIKeying signature covers, for a sender that signs before encoding the chunk. */
export function iiKeyingSignedBytes(c: Omit<IIKeyingChunk, 'type' | 'signature' | 'signedBytes'>): Uint8Array {
  const full = { type: ChunkType.IIKeying, signature: EMPTY, ...c } as IIKeyingChunk;
  const w = new ByteWriter(new Uint8Array(iiKeyingSignedLength(full)));
  writeIIKeyingSigned(w, full);
  return w.buf;
}

export function decodeRIKeyingBody(body: Uint8Array): RIKeyingChunk {
  const r = new ByteReader(body);
  const responderSessionId = r.bytes(SESSION_ID_LENGTH);
  const skrc = r.vluField(MAX_KEY_COMPONENT_LENGTH);
  const signedBytes = body.subarray(0, r.pos);
  const signature = restWithin(r, MAX_SIGNATURE_LENGTH, 'signature');
  return { type: ChunkType.RIKeying, responderSessionId, skrc, signature, signedBytes };
}

function riKeyingSignedLength(c: Pick<RIKeyingChunk, 'skrc'>): number {
  return SESSION_ID_LENGTH + vluLength(c.skrc.length) + c.skrc.length;
}

export function riKeyingBodyLength(c: RIKeyingChunk): number {
  return riKeyingSignedLength(c) + c.signature.length;
}

export function writeRIKeyingBody(w: ByteWriter, c: RIKeyingChunk): void {
  checkSessionId(c.responderSessionId);
  checkEncodable(c.skrc, MAX_KEY_COMPONENT_LENGTH, 'SKRC');
  checkEncodable(c.signature, MAX_SIGNATURE_LENGTH, 'signature');
  w.bytes(c.responderSessionId).vluField(c.skrc).bytes(c.signature);
}

/**
 * The bytes an RIKeying signature covers: responder session ID, SKRC field, then the SKIC of the
 * IIKeying being answered (wire-reference A.8).
 */
export function riKeyingSignedBytes(responderSessionId: Uint8Array, skrc: Uint8Array, skic: Uint8Array): Uint8Array {
  checkSessionId(responderSessionId);
  checkEncodable(skrc, MAX_KEY_COMPONENT_LENGTH, 'SKRC');
  const w = new ByteWriter(new Uint8Array(riKeyingSignedLength({ skrc }) + skic.length));
  w.bytes(responderSessionId).vluField(skrc).bytes(skic);
  return w.buf;
}

const EMPTY = new Uint8Array(0);
