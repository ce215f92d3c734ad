// RFC 7016 section 2.3 chunk type codes, their names, and which packet modes may carry them
// (wire-reference A.4 "Mode check", A.8 chunk catalogue).

/** Chunk type codes (RFC 7016 section 2.3; wire-reference A.8). */
export const ChunkType = {
  Ping: 0x01,
  SessionCloseRequest: 0x0c,
  ForwardedIHello: 0x0f,
  UserData: 0x10,
  NextUserData: 0x11,
  BufferProbe: 0x18,
  IHello: 0x30,
  IIKeying: 0x38,
  PingReply: 0x41,
  SessionCloseAck: 0x4c,
  AckBitmap: 0x50,
  AckRanges: 0x51,
  FlowExceptionReport: 0x5e,
  RHello: 0x70,
  Redirect: 0x71,
  RIKeying: 0x78,
  CookieChange: 0x79,
  PacketFragment: 0x7f,
  EcnReport: 0xec,
} as const;
export type ChunkType = (typeof ChunkType)[keyof typeof ChunkType];

/**
 * Chunk types that end chunk parsing (wire-reference A.5): 0xff is the padding byte every
 * implementation uses; Mona and librtmfp also stop at 0x00.
 */
export const PADDING_CHUNK_TYPE = 0xff;
export const NULL_CHUNK_TYPE = 0x00;

/** RFC 7016 section 2.2.4 packet modes (the MOD bits of the flags byte). */
export const PacketMode = {
  /** MOD 0 is invalid; a receiver discards the packet. */
  Invalid: 0,
  /** The sender is the session's initiator. */
  Initiator: 1,
  /** The sender is the session's responder. */
  Responder: 2,
  /** Startup packets (handshake), sent with the default key. */
  Startup: 3,
} as const;
export type PacketMode = (typeof PacketMode)[keyof typeof PacketMode];

const NAMES = new Map<number, string>(Object.entries(ChunkType).map(([name, code]) => [code, name]));

/** The RFC-style name of a chunk type, or `unknown(0xNN)`. */
export function chunkTypeName(type: number): string {
  return NAMES.get(type) ?? `unknown(0x${type.toString(16).padStart(2, '0')})`;
}

export function isKnownChunkType(type: number): type is ChunkType {
  return NAMES.has(type);
}

/**
 * Chunks accepted only in startup (MOD 3) packets (wire-reference A.4 mode check). RIKeying and
 * Cookie Change carry the initiator's session ID as SSID but are still startup mode (A.3).
 */
export const STARTUP_CHUNK_TYPES: ReadonlySet<number> = new Set<number>([
  ChunkType.IHello,
  ChunkType.RHello,
  ChunkType.Redirect,
  ChunkType.CookieChange,
  ChunkType.IIKeying,
  ChunkType.RIKeying,
]);

/**
 * Chunks accepted only in session (MOD 1 / MOD 2) packets. Forwarded IHello travels on the
 * forwarder's established session (RFC 7016 section 3.5.1.5; wire-reference B.5).
 */
export const SESSION_CHUNK_TYPES: ReadonlySet<number> = new Set<number>([
  ChunkType.ForwardedIHello,
  ChunkType.Ping,
  ChunkType.PingReply,
  ChunkType.UserData,
  ChunkType.NextUserData,
  ChunkType.BufferProbe,
  ChunkType.AckBitmap,
  ChunkType.AckRanges,
  ChunkType.FlowExceptionReport,
  ChunkType.SessionCloseRequest,
  ChunkType.SessionCloseAck,
  ChunkType.EcnReport,
]);

/**
 * Chunks allowed in any mode. Packet Fragment (RFC 7016 section 2.3.1) carries a piece of a
 * whole packet and is mode-neutral [?]: nobody sends it (wire-reference A.5), so this is a guess.
 */
export const ANY_MODE_CHUNK_TYPES: ReadonlySet<number> = new Set<number>([ChunkType.PacketFragment]);

/**
 * Whether a chunk of `type` may be processed in a packet of `mode` (wire-reference A.4).
 * Unknown chunk types return true: they are skipped, not refused (A.5).
 */
export function chunkAllowedInMode(type: number, mode: number): boolean {
  if (mode === PacketMode.Invalid || mode > 3) return false;
  if (ANY_MODE_CHUNK_TYPES.has(type)) return true;
  if (STARTUP_CHUNK_TYPES.has(type)) return mode === PacketMode.Startup;
  if (SESSION_CHUNK_TYPES.has(type)) return mode === PacketMode.Initiator || mode === PacketMode.Responder;
  return true;
}
