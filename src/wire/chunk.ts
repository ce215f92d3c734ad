// The typed chunk union and dispatch (RFC 7016 section 2.3; wire-reference A.5, A.8):
// chunk = type(1) | length(2, big-endian) | body(length).
import { ChunkType } from './chunk-type.js';
import { WireError, WireErrorCode } from './errors.js';
import { ByteWriter } from './writer.js';
import {
  AckBitmapChunk,
  ackBitmapBodyLength,
  AckRangesChunk,
  ackRangesBodyLength,
  decodeAckBitmapBody,
  decodeAckRangesBody,
  writeAckBitmapBody,
  writeAckRangesBody,
} from './chunks/ack.js';
import {
  decodeSessionCloseAckBody,
  decodeSessionCloseRequestBody,
  SessionCloseAckChunk,
  SessionCloseRequestChunk,
} from './chunks/close.js';
import { decodeEcnReportBody, EcnReportChunk, ecnReportBodyLength, writeEcnReportBody } from './chunks/ecn.js';
import {
  BufferProbeChunk,
  bufferProbeBodyLength,
  decodeBufferProbeBody,
  decodeFlowExceptionReportBody,
  FlowExceptionReportChunk,
  flowExceptionReportBodyLength,
  writeBufferProbeBody,
  writeFlowExceptionReportBody,
} from './chunks/flow-control.js';
import {
  decodePacketFragmentBody,
  PacketFragmentChunk,
  packetFragmentBodyLength,
  writePacketFragmentBody,
} from './chunks/fragment.js';
import {
  CookieChangeChunk,
  cookieChangeBodyLength,
  decodeCookieChangeBody,
  decodeForwardedIHelloBody,
  decodeIHelloBody,
  decodeRedirectBody,
  decodeRHelloBody,
  ForwardedIHelloChunk,
  forwardedIHelloBodyLength,
  IHelloChunk,
  iHelloBodyLength,
  RedirectChunk,
  redirectBodyLength,
  RHelloChunk,
  rHelloBodyLength,
  writeCookieChangeBody,
  writeForwardedIHelloBody,
  writeIHelloBody,
  writeRedirectBody,
  writeRHelloBody,
} from './chunks/hello.js';
import {
  decodeIIKeyingBody,
  decodeRIKeyingBody,
  IIKeyingChunk,
  iiKeyingBodyLength,
  RIKeyingChunk,
  riKeyingBodyLength,
  writeIIKeyingBody,
  writeRIKeyingBody,
} from './chunks/keying.js';
import {
  decodePingBody,
  decodePingReplyBody,
  PingChunk,
  pingBodyLength,
  PingReplyChunk,
  pingReplyBodyLength,
  writePingBody,
  writePingReplyBody,
} from './chunks/ping.js';
import {
  decodeNextUserDataBody,
  decodeUserDataBody,
  NextUserDataChunk,
  nextUserDataBodyLength,
  UserDataChunk,
  userDataBodyLength,
  writeNextUserDataBody,
  writeUserDataBody,
} from './chunks/user-data.js';

/** Every chunk this codec understands, discriminated by its numeric `type`. */
export type Chunk =
  | IHelloChunk
  | ForwardedIHelloChunk
  | RHelloChunk
  | RedirectChunk
  | CookieChangeChunk
  | IIKeyingChunk
  | RIKeyingChunk
  | PingChunk
  | PingReplyChunk
  | UserDataChunk
  | NextUserDataChunk
  | BufferProbeChunk
  | AckBitmapChunk
  | AckRangesChunk
  | FlowExceptionReportChunk
  | SessionCloseRequestChunk
  | SessionCloseAckChunk
  | PacketFragmentChunk
  | EcnReportChunk;

/**
 * A chunk of a type this codec does not know (e.g. librtmfp's private close reason 0x4d). RFC 7016
 * says to ignore these (wire-reference A.5); they are reported, not refused, and re-encode as-is.
 */
export interface UnknownChunk {
  type: 'unknown';
  chunkType: number;
  body: Uint8Array;
}

export type AnyChunk = Chunk | UnknownChunk;

/** Bytes before a chunk's body: type(1) + length(2). */
export const CHUNK_HEADER_LENGTH = 3;
/** The 16-bit length field bounds every chunk body. */
export const MAX_CHUNK_BODY_LENGTH = 0xffff;

/**
 * Decodes one chunk body. Byte fields of the result are views into `body`. Malformed bodies of
 * known types throw WireError; unknown types come back as UnknownChunk.
 */
export function decodeChunk(chunkType: number, body: Uint8Array): AnyChunk {
  switch (chunkType) {
    case ChunkType.IHello:
      return decodeIHelloBody(body);
    case ChunkType.ForwardedIHello:
      return decodeForwardedIHelloBody(body);
    case ChunkType.RHello:
      return decodeRHelloBody(body);
    case ChunkType.Redirect:
      return decodeRedirectBody(body);
    case ChunkType.CookieChange:
      return decodeCookieChangeBody(body);
    case ChunkType.IIKeying:
      return decodeIIKeyingBody(body);
    case ChunkType.RIKeying:
      return decodeRIKeyingBody(body);
    case ChunkType.Ping:
      return decodePingBody(body);
    case ChunkType.PingReply:
      return decodePingReplyBody(body);
    case ChunkType.UserData:
      return decodeUserDataBody(body);
    case ChunkType.NextUserData:
      return decodeNextUserDataBody(body);
    case ChunkType.BufferProbe:
      return decodeBufferProbeBody(body);
    case ChunkType.AckBitmap:
      return decodeAckBitmapBody(body);
    case ChunkType.AckRanges:
      return decodeAckRangesBody(body);
    case ChunkType.FlowExceptionReport:
      return decodeFlowExceptionReportBody(body);
    case ChunkType.SessionCloseRequest:
      return decodeSessionCloseRequestBody(body);
    case ChunkType.SessionCloseAck:
      return decodeSessionCloseAckBody(body);
    case ChunkType.PacketFragment:
      return decodePacketFragmentBody(body);
    case ChunkType.EcnReport:
      return decodeEcnReportBody(body);
    default:
      return { type: 'unknown', chunkType, body };
  }
}

/** The wire type byte of a chunk. */
export function chunkTypeCode(c: AnyChunk): number {
  return c.type === 'unknown' ? c.chunkType : c.type;
}

/** Encoded body length (without the 3-byte chunk header). Validates ack ranges. */
export function chunkBodyLength(c: AnyChunk): number {
  switch (c.type) {
    case ChunkType.IHello:
      return iHelloBodyLength(c);
    case ChunkType.ForwardedIHello:
      return forwardedIHelloBodyLength(c);
    case ChunkType.RHello:
      return rHelloBodyLength(c);
    case ChunkType.Redirect:
      return redirectBodyLength(c);
    case ChunkType.CookieChange:
      return cookieChangeBodyLength(c);
    case ChunkType.IIKeying:
      return iiKeyingBodyLength(c);
    case ChunkType.RIKeying:
      return riKeyingBodyLength(c);
    case ChunkType.Ping:
      return pingBodyLength(c);
    case ChunkType.PingReply:
      return pingReplyBodyLength(c);
    case ChunkType.UserData:
      return userDataBodyLength(c);
    case ChunkType.NextUserData:
      return nextUserDataBodyLength(c);
    case ChunkType.BufferProbe:
      return bufferProbeBodyLength(c);
    case ChunkType.AckBitmap:
      return ackBitmapBodyLength(c);
    case ChunkType.AckRanges:
      return ackRangesBodyLength(c);
    case ChunkType.FlowExceptionReport:
      return flowExceptionReportBodyLength(c);
    case ChunkType.SessionCloseRequest:
    case ChunkType.SessionCloseAck:
      return 0;
    case ChunkType.PacketFragment:
      return packetFragmentBodyLength(c);
    case ChunkType.EcnReport:
      return ecnReportBodyLength(c);
    case 'unknown':
      return c.body.length;
    default:
      return unreachable(c);
  }
}

/** Encoded length including the 3-byte chunk header. */
export function encodedChunkLength(c: AnyChunk): number {
  return CHUNK_HEADER_LENGTH + chunkBodyLength(c);
}

/** Writes only the body of `c`. */
export function writeChunkBody(w: ByteWriter, c: AnyChunk): void {
  switch (c.type) {
    case ChunkType.IHello:
      return writeIHelloBody(w, c);
    case ChunkType.ForwardedIHello:
      return writeForwardedIHelloBody(w, c);
    case ChunkType.RHello:
      return writeRHelloBody(w, c);
    case ChunkType.Redirect:
      return writeRedirectBody(w, c);
    case ChunkType.CookieChange:
      return writeCookieChangeBody(w, c);
    case ChunkType.IIKeying:
      return writeIIKeyingBody(w, c);
    case ChunkType.RIKeying:
      return writeRIKeyingBody(w, c);
    case ChunkType.Ping:
      return writePingBody(w, c);
    case ChunkType.PingReply:
      return writePingReplyBody(w, c);
    case ChunkType.UserData:
      return writeUserDataBody(w, c);
    case ChunkType.NextUserData:
      return writeNextUserDataBody(w, c);
    case ChunkType.BufferProbe:
      return writeBufferProbeBody(w, c);
    case ChunkType.AckBitmap:
      return writeAckBitmapBody(w, c);
    case ChunkType.AckRanges:
      return writeAckRangesBody(w, c);
    case ChunkType.FlowExceptionReport:
      return writeFlowExceptionReportBody(w, c);
    case ChunkType.SessionCloseRequest:
    case ChunkType.SessionCloseAck:
      return;
    case ChunkType.PacketFragment:
      return writePacketFragmentBody(w, c);
    case ChunkType.EcnReport:
      return writeEcnReportBody(w, c);
    case 'unknown':
      w.bytes(c.body);
      return;
    default:
      return unreachable(c);
  }
}

/**
 * Writes a whole chunk (header + body). `bodyLength` may be passed when the caller has already
 * computed it. The length written is checked against what the body writer produced, so a
 * length function that disagrees with its writer fails loudly instead of corrupting the packet.
 */
export function encodeChunk(w: ByteWriter, c: AnyChunk, bodyLength = chunkBodyLength(c)): void {
  const type = chunkTypeCode(c);
  if (!Number.isInteger(type) || type < 0 || type > 0xff) {
    throw new WireError(WireErrorCode.Unencodable, `chunk type ${type} is not a byte`);
  }
  if (bodyLength > MAX_CHUNK_BODY_LENGTH) {
    throw new WireError(WireErrorCode.Unencodable, `chunk body of ${bodyLength} bytes exceeds ${MAX_CHUNK_BODY_LENGTH}`);
  }
  w.u8(type).u16(bodyLength);
  const start = w.pos;
  writeChunkBody(w, c);
  if (w.pos - start !== bodyLength) {
    throw new WireError(WireErrorCode.Unencodable, `chunk 0x${type.toString(16)} wrote ${w.pos - start} bytes, expected ${bodyLength}`);
  }
}

/** Encodes one chunk into a new array (convenience for tests and startup packets). */
export function encodeChunkToBytes(c: AnyChunk): Uint8Array {
  const body = chunkBodyLength(c);
  const w = new ByteWriter(new Uint8Array(CHUNK_HEADER_LENGTH + body));
  encodeChunk(w, c, body);
  return w.buf;
}

function unreachable(c: never): never {
  throw new WireError(WireErrorCode.Unencodable, `not a chunk: ${JSON.stringify(c)}`);
}
