// The plaintext RTMFP packet (RFC 7016 section 2.2.4; wire-reference A.4, A.5): flags, optional
// timestamp and timestamp echo, then chunks, then padding. The crypto envelope (session sequence
// number, checksum, AES, HMAC; A.2/A.3) is not handled here: this packet starts at the flags byte.
import { ChunkType, NULL_CHUNK_TYPE, PacketMode, PADDING_CHUNK_TYPE } from './chunk-type.js';
import { AnyChunk, CHUNK_HEADER_LENGTH, chunkBodyLength, decodeChunk, encodeChunk, MAX_CHUNK_BODY_LENGTH } from './chunk.js';
import { AckRangesChunk, ackRangesThatFit, writeAckRangesBody } from './chunks/ack.js';
import { WireError, WireErrorCode } from './errors.js';
import { ByteWriter } from './writer.js';

/** Flags byte bits (A.4). 0x20 and 0x10 are reserved and ignored on receipt. */
export const PacketFlag = {
  /** TC: this packet carries time-critical data. */
  TimeCritical: 0x80,
  /** TCR: the sender recently received time-critical traffic on another session. */
  TimeCriticalReverse: 0x40,
  /** TS: a 16-bit timestamp follows. */
  Timestamp: 0x08,
  /** TSE: a 16-bit timestamp echo follows. */
  TimestampEcho: 0x04,
  /** MOD: packet mode, see PacketMode. */
  ModeMask: 0x03,
} as const;

/**
 * Default maximum plaintext packet length for encoding: Mona and librtmfp warn above 1192 bytes
 * (A.5), and staying under it keeps datagrams well below common path MTUs.
 */
export const DEFAULT_MAX_PACKET_LENGTH = 1192;

/**
 * Most chunks decoded from one packet. A 1200-byte session packet holds at most 400 chunks of the
 * minimum 3 bytes, and startup packets carry one chunk in practice; more is hostile.
 */
export const MAX_CHUNKS_PER_PACKET = 512;

/** AES block size: the encrypted region is padded to a multiple of it (A.3). */
export const CIPHER_BLOCK_SIZE = 16;

/** The byte senders pad with (A.3); it also reads as the "stop" chunk type (A.5). */
export const PADDING_BYTE = 0xff;

export interface PacketHeader {
  timeCritical: boolean;
  timeCriticalReverse: boolean;
  mode: PacketMode;
  /** Sender clock in 4 ms ticks modulo 65536; present iff TS. */
  timestamp?: number;
  /** Echo of the far end's timestamp; present iff TSE. */
  timestampEcho?: number;
}

/** Why chunk parsing stopped (A.5). */
export type ChunkStopReason =
  /** Fewer than 3 bytes were left (the normal end, possibly inside padding). */
  | 'end'
  /** A chunk type 0xff: padding. */
  | 'padding'
  /** A chunk type 0x00 (Mona and librtmfp stop there too). */
  | 'null'
  /** A declared chunk length ran past the end of the packet (how `ff ff ff` padding reads). */
  | 'overrun';

export interface DecodedPacket {
  header: PacketHeader;
  chunks: AnyChunk[];
  /** Offset in the input where chunk parsing stopped. */
  chunksEnd: number;
  stopReason: ChunkStopReason;
  /** The bytes after the last chunk (normally 0xff padding), as a view. */
  trailing: Uint8Array;
}

export interface DecodePacketOptions {
  maxChunks?: number;
}

/** The flags byte for a header. */
export function packetFlags(h: PacketHeader): number {
  if (!Number.isInteger(h.mode) || h.mode < 1 || h.mode > 3) {
    throw new WireError(WireErrorCode.Unencodable, `packet mode ${h.mode} is not 1, 2 or 3`);
  }
  return (
    (h.timeCritical ? PacketFlag.TimeCritical : 0) |
    (h.timeCriticalReverse ? PacketFlag.TimeCriticalReverse : 0) |
    (h.timestamp !== undefined ? PacketFlag.Timestamp : 0) |
    (h.timestampEcho !== undefined ? PacketFlag.TimestampEcho : 0) |
    h.mode
  );
}

export function packetHeaderLength(h: PacketHeader): number {
  return 1 + (h.timestamp !== undefined ? 2 : 0) + (h.timestampEcho !== undefined ? 2 : 0);
}

function checkU16(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new WireError(WireErrorCode.Unencodable, `${what} ${v} is not 16-bit`);
}

export function writePacketHeader(w: ByteWriter, h: PacketHeader): void {
  w.u8(packetFlags(h));
  if (h.timestamp !== undefined) {
    checkU16(h.timestamp, 'timestamp');
    w.u16(h.timestamp);
  }
  if (h.timestampEcho !== undefined) {
    checkU16(h.timestampEcho, 'timestamp echo');
    w.u16(h.timestampEcho);
  }
}

/**
 * Decodes the header at `start` and returns it with the offset of the first chunk. MOD 0 is
 * reported as-is; refusing it is the session layer's mode check (A.4, chunkAllowedInMode).
 */
export function decodePacketHeader(bytes: Uint8Array, start = 0): { header: PacketHeader; chunksStart: number } {
  if (start < 0 || start >= bytes.length) throw new WireError(WireErrorCode.Truncated, 'packet has no flags byte', start);
  const flags = bytes[start]!;
  let p = start + 1;
  const header: PacketHeader = {
    timeCritical: (flags & PacketFlag.TimeCritical) !== 0,
    timeCriticalReverse: (flags & PacketFlag.TimeCriticalReverse) !== 0,
    mode: (flags & PacketFlag.ModeMask) as PacketMode,
  };
  if (flags & PacketFlag.Timestamp) {
    if (p + 2 > bytes.length) throw new WireError(WireErrorCode.Truncated, 'timestamp runs past the end', p);
    header.timestamp = (bytes[p]! << 8) | bytes[p + 1]!;
    p += 2;
  }
  if (flags & PacketFlag.TimestampEcho) {
    if (p + 2 > bytes.length) throw new WireError(WireErrorCode.Truncated, 'timestamp echo runs past the end', p);
    header.timestampEcho = (bytes[p]! << 8) | bytes[p + 1]!;
    p += 2;
  }
  return { header, chunksStart: p };
}

/**
 * Walks chunk frames without allocating: after each successful next(), `type`, `bodyStart` and
 * `bodyEnd` describe the current chunk within `buf`. Applies the stop rules of A.5.
 */
export class ChunkFrameReader {
  buf: Uint8Array;
  pos: number;
  end: number;
  maxChunks: number;
  count = 0;
  type = -1;
  /** Offset of the current chunk's type byte. */
  offset = -1;
  bodyStart = -1;
  bodyEnd = -1;
  stopReason: ChunkStopReason | undefined;

  constructor(buf: Uint8Array, start = 0, end = buf.length, maxChunks = MAX_CHUNKS_PER_PACKET) {
    if (start < 0 || end > buf.length || start > end) {
      throw new WireError(WireErrorCode.Truncated, `range ${start}..${end} outside ${buf.length} bytes`);
    }
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.maxChunks = maxChunks;
  }

  /** Reuse this reader for another packet. */
  reset(buf: Uint8Array, start = 0, end = buf.length): this {
    if (start < 0 || end > buf.length || start > end) {
      throw new WireError(WireErrorCode.Truncated, `range ${start}..${end} outside ${buf.length} bytes`);
    }
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.count = 0;
    this.type = this.offset = this.bodyStart = this.bodyEnd = -1;
    this.stopReason = undefined;
    return this;
  }

  /** Advances to the next chunk; false when parsing has stopped (see stopReason). */
  next(): boolean {
    if (this.stopReason !== undefined) return false;
    const b = this.buf;
    const p = this.pos;
    if (this.end - p < CHUNK_HEADER_LENGTH) return this.stop('end');
    const type = b[p]!;
    if (type === PADDING_CHUNK_TYPE) return this.stop('padding');
    if (type === NULL_CHUNK_TYPE) return this.stop('null');
    const length = (b[p + 1]! << 8) | b[p + 2]!;
    if (p + CHUNK_HEADER_LENGTH + length > this.end) return this.stop('overrun');
    if (this.count >= this.maxChunks) {
      throw new WireError(WireErrorCode.Limit, `more than ${this.maxChunks} chunks in one packet`, p);
    }
    this.count++;
    this.type = type;
    this.offset = p;
    this.bodyStart = p + CHUNK_HEADER_LENGTH;
    this.bodyEnd = this.bodyStart + length;
    this.pos = this.bodyEnd;
    return true;
  }

  /** A view of the current chunk's body. */
  body(): Uint8Array {
    return this.buf.subarray(this.bodyStart, this.bodyEnd);
  }

  private stop(reason: ChunkStopReason): false {
    this.stopReason = reason;
    this.type = -1;
    return false;
  }
}

/**
 * Decodes a whole plaintext packet starting at the flags byte. Unknown chunk types come back as
 * UnknownChunk; a malformed body of a known type throws WireError. Byte fields are views.
 */
export function decodePacket(bytes: Uint8Array, options: DecodePacketOptions = {}): DecodedPacket {
  const { header, chunksStart } = decodePacketHeader(bytes, 0);
  const frames = new ChunkFrameReader(bytes, chunksStart, bytes.length, options.maxChunks ?? MAX_CHUNKS_PER_PACKET);
  const chunks: AnyChunk[] = [];
  while (frames.next()) chunks.push(decodeChunk(frames.type, frames.body()));
  return {
    header,
    chunks,
    chunksEnd: frames.pos,
    stopReason: frames.stopReason!,
    trailing: bytes.subarray(frames.pos),
  };
}

/**
 * Pads with 0xff so that the bytes written since `regionStart` (where the encrypted region begins:
 * the session sequence number or checksum prefix, written by the crypto envelope) fill whole
 * 16-byte AES blocks (A.3). Returns the number of padding bytes.
 */
export function padToBlock(w: ByteWriter, regionStart: number, blockSize = CIPHER_BLOCK_SIZE): number {
  const used = w.pos - regionStart;
  if (used < 0) throw new WireError(WireErrorCode.Unencodable, `region start ${regionStart} is after the write position ${w.pos}`);
  const pad = (blockSize - (used % blockSize)) % blockSize;
  if (pad > 0) w.fill(PADDING_BYTE, pad);
  return pad;
}

/** Padding `padToBlock` would add for a region of `length` bytes. */
export function paddingLength(length: number, blockSize = CIPHER_BLOCK_SIZE): number {
  return (blockSize - (length % blockSize)) % blockSize;
}

/**
 * Packs chunks into one packet in a caller-supplied ByteWriter, never past `maxLength` bytes
 * counted from the flags byte (padding excluded: reserve room for it in the writer's buffer).
 * One builder can be reused for every packet: begin() rewinds it, nothing is allocated per packet.
 */
export class PacketBuilder {
  readonly w: ByteWriter;
  maxLength: number;
  /** Writer offset of the flags byte of the current packet. */
  start = 0;
  /** Chunks appended since begin(). */
  chunkCount = 0;

  constructor(w: ByteWriter, maxLength = DEFAULT_MAX_PACKET_LENGTH) {
    this.w = w;
    this.maxLength = maxLength;
  }

  /** Starts a packet at the writer's current position (or `at`) by writing its header. */
  begin(header: PacketHeader, at = this.w.pos): this {
    if (packetHeaderLength(header) > this.maxLength) {
      throw new WireError(WireErrorCode.Limit, `packet header does not fit in ${this.maxLength} bytes`);
    }
    this.w.pos = at;
    this.start = at;
    this.chunkCount = 0;
    writePacketHeader(this.w, header);
    return this;
  }

  /** Bytes written since the flags byte. */
  get length(): number {
    return this.w.pos - this.start;
  }

  /** The largest chunk body that still fits, or -1 when not even a chunk header fits. */
  room(): number {
    const left = this.maxLength - this.length - CHUNK_HEADER_LENGTH;
    return left < 0 ? -1 : Math.min(left, MAX_CHUNK_BODY_LENGTH);
  }

  /** Whether `c` would fit after what is already written. */
  fits(c: AnyChunk): boolean {
    return chunkBodyLength(c) <= this.room();
  }

  /** Appends `c` if it fits and returns true; otherwise writes nothing and returns false. */
  append(c: AnyChunk): boolean {
    const body = chunkBodyLength(c);
    if (body > this.room()) return false;
    encodeChunk(this.w, c, body);
    this.chunkCount++;
    return true;
  }

  /**
   * Appends an Ack Ranges chunk with as many of its ranges as fit (receivers may truncate the
   * list, C.3). Returns the number of ranges written, or -1 when not even the chunk without
   * ranges fits (nothing is written then).
   */
  appendAckRanges(c: AckRangesChunk): number {
    const room = this.room();
    if (room < 0) return -1;
    const count = ackRangesThatFit(c, room);
    if (count < 0) return -1;
    const typeAt = this.w.pos;
    this.w.u8(ChunkType.AckRanges).u16(0);
    const bodyStart = this.w.pos;
    writeAckRangesBody(this.w, c, count);
    this.w.view.setUint16(typeAt + 1, this.w.pos - bodyStart);
    this.chunkCount++;
    return count;
  }

  /** A view of the packet written so far (flags byte through the last chunk). */
  bytes(): Uint8Array {
    return this.w.buf.subarray(this.start, this.w.pos);
  }
}

/**
 * Encodes a packet with all of `chunks` into `w`, throwing WireError(Limit) if it would exceed
 * `maxLength`. Returns the packet's length (no padding is added; see padToBlock).
 */
export function encodePacket(
  w: ByteWriter,
  header: PacketHeader,
  chunks: readonly AnyChunk[],
  maxLength = DEFAULT_MAX_PACKET_LENGTH,
): number {
  const b = new PacketBuilder(w, maxLength).begin(header);
  for (const c of chunks) {
    if (!b.append(c)) {
      throw new WireError(WireErrorCode.Limit, `chunk ${b.chunkCount} does not fit in a ${maxLength}-byte packet`);
    }
  }
  return b.length;
}
