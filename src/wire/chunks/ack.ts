// Acknowledgements (RFC 7016 sections 2.3.13-2.3.14, 3.6.3.4; wire-reference A.8, C.3):
// Ack Bitmap 0x50 and Ack Ranges 0x51.
import { ChunkType } from '../chunk-type.js';
import { WireError, WireErrorCode } from '../errors.js';
import { ByteReader } from '../reader.js';
import { ByteWriter, vluLength } from '../writer.js';

/** bufferBlocksAvailable counts 1024-byte blocks, rounded up (C.3). */
export const BUFFER_BLOCK_SIZE = 1024;

/**
 * Most ranges decoded from one Ack Ranges chunk. A range takes at least 2 bytes, so a full
 * 1200-byte session packet (A.5) cannot carry more than 600; anything beyond is hostile.
 */
export const MAX_ACK_RANGES = 600;

/** Longest Ack Bitmap accepted, in bytes: again bounded by what fits in one session packet. */
export const MAX_ACK_BITMAP_LENGTH = 1200;

/** An inclusive range of received sequence numbers. */
export interface SequenceRange {
  from: number;
  to: number;
}

/**
 * Ack Ranges: `flowID, bufferBlocksAvailable, cumulativeAck, (holesMinusOne, receivedMinusOne)*`.
 * `ranges` are absolute received ranges above cumulativeAck, ascending and non-adjacent.
 */
export interface AckRangesChunk {
  type: typeof ChunkType.AckRanges;
  flowId: number;
  bufferBlocksAvailable: number;
  cumulativeAck: number;
  ranges: SequenceRange[];
}

/**
 * Ack Bitmap: `flowID, bufferBlocksAvailable, cumulativeAck, bitmap(rest)`. [RFC] only: nobody
 * sends it (A.8). Bit k, least significant bit of each byte first, means sequence number
 * cumulativeAck + 2 + k was received [?] (cumulativeAck + 1 is missing by definition).
 */
export interface AckBitmapChunk {
  type: typeof ChunkType.AckBitmap;
  flowId: number;
  bufferBlocksAvailable: number;
  cumulativeAck: number;
  bitmap: Uint8Array;
}

/** Blocks to advertise for `bytes` of free receive buffer (rounded up, C.3). */
export function bufferBlocksForBytes(bytes: number): number {
  return Math.ceil(Math.max(0, bytes) / BUFFER_BLOCK_SIZE);
}

export function bytesForBufferBlocks(blocks: number): number {
  return blocks * BUFFER_BLOCK_SIZE;
}

function safeSum(a: number, b: number, at: number): number {
  const v = a + b;
  if (v > Number.MAX_SAFE_INTEGER) throw new WireError(WireErrorCode.Limit, 'ack range beyond 2^53-1', at);
  return v;
}

/**
 * Decodes the running-cursor encoding (C.3): the cursor starts at cumulativeAck; each pair
 * (h, r) means received from cursor + h + 2 through that + r, and the cursor moves to the end.
 */
export function decodeAckRangesBody(body: Uint8Array, maxRanges = MAX_ACK_RANGES): AckRangesChunk {
  const r = new ByteReader(body);
  const flowId = r.vlu();
  const bufferBlocksAvailable = r.vlu();
  const cumulativeAck = r.vlu();
  const ranges: SequenceRange[] = [];
  let cursor = cumulativeAck;
  while (!r.atEnd()) {
    const at = r.pos;
    if (ranges.length >= maxRanges) throw new WireError(WireErrorCode.Limit, `more than ${maxRanges} ack ranges`, at);
    const holesMinusOne = r.vlu();
    const receivedMinusOne = r.vlu();
    const from = safeSum(cursor, holesMinusOne + 2, at);
    const to = safeSum(from, receivedMinusOne, at);
    ranges.push({ from, to });
    cursor = to;
  }
  return { type: ChunkType.AckRanges, flowId, bufferBlocksAvailable, cumulativeAck, ranges };
}

function checkRange(cursor: number, x: SequenceRange): void {
  if (!Number.isSafeInteger(x.from) || !Number.isSafeInteger(x.to) || x.to < x.from || x.from < cursor + 2) {
    throw new WireError(
      WireErrorCode.Unencodable,
      `ack range ${x.from}..${x.to} must be ascending, start at least 2 past ${cursor} and leave a gap`,
    );
  }
}

function rangeLength(cursor: number, x: SequenceRange): number {
  return vluLength(x.from - cursor - 2) + vluLength(x.to - x.from);
}

function ackHeaderLength(c: Pick<AckRangesChunk, 'flowId' | 'bufferBlocksAvailable' | 'cumulativeAck'>): number {
  return vluLength(c.flowId) + vluLength(c.bufferBlocksAvailable) + vluLength(c.cumulativeAck);
}

/** Body length when the first `count` ranges are written (all by default). */
export function ackRangesBodyLength(c: AckRangesChunk, count = c.ranges.length): number {
  let n = ackHeaderLength(c);
  let cursor = c.cumulativeAck;
  for (let i = 0; i < count; i++) {
    const x = c.ranges[i]!;
    checkRange(cursor, x);
    n += rangeLength(cursor, x);
    cursor = x.to;
  }
  return n;
}

/**
 * How many leading ranges fit in a body of at most `maxBodyLength` bytes, or -1 when not even the
 * header (flow, window, cumulative ack) fits. Receivers may truncate the list when a packet is
 * full (C.3); the ranges kept are the lowest ones, which matter most for retransmission.
 */
export function ackRangesThatFit(c: AckRangesChunk, maxBodyLength: number): number {
  let n = ackHeaderLength(c);
  if (n > maxBodyLength) return -1;
  let cursor = c.cumulativeAck;
  let i = 0;
  for (; i < c.ranges.length; i++) {
    const x = c.ranges[i]!;
    checkRange(cursor, x);
    const add = rangeLength(cursor, x);
    if (n + add > maxBodyLength) break;
    n += add;
    cursor = x.to;
  }
  return i;
}

/** Writes the header and the first `count` ranges (all by default). */
export function writeAckRangesBody(w: ByteWriter, c: AckRangesChunk, count = c.ranges.length): void {
  if (count < 0 || count > c.ranges.length) throw new WireError(WireErrorCode.Unencodable, `range count ${count} out of bounds`);
  w.vlu(c.flowId).vlu(c.bufferBlocksAvailable).vlu(c.cumulativeAck);
  let cursor = c.cumulativeAck;
  for (let i = 0; i < count; i++) {
    const x = c.ranges[i]!;
    checkRange(cursor, x);
    w.vlu(x.from - cursor - 2).vlu(x.to - x.from);
    cursor = x.to;
  }
}

/**
 * Turns a sorted list of received sequence numbers above the cumulative ack into ranges,
 * merging adjacent numbers. Numbers at or below cumulativeAck + 1 are refused: they belong in
 * the cumulative ack.
 */
export function rangesFromReceived(cumulativeAck: number, received: Iterable<number>): SequenceRange[] {
  const out: SequenceRange[] = [];
  let last: SequenceRange | undefined;
  for (const s of received) {
    if (last && s === last.to + 1) {
      last.to = s;
      continue;
    }
    checkRange(last ? last.to : cumulativeAck, { from: s, to: s });
    last = { from: s, to: s };
    out.push(last);
  }
  return out;
}

export function decodeAckBitmapBody(body: Uint8Array): AckBitmapChunk {
  const r = new ByteReader(body);
  const flowId = r.vlu();
  const bufferBlocksAvailable = r.vlu();
  const cumulativeAck = r.vlu();
  if (r.remaining > MAX_ACK_BITMAP_LENGTH) {
    throw new WireError(WireErrorCode.Limit, `ack bitmap of ${r.remaining} bytes exceeds ${MAX_ACK_BITMAP_LENGTH}`, r.pos);
  }
  if (cumulativeAck + 2 + r.remaining * 8 > Number.MAX_SAFE_INTEGER) {
    throw new WireError(WireErrorCode.Limit, 'ack bitmap reaches beyond 2^53-1', r.pos);
  }
  return { type: ChunkType.AckBitmap, flowId, bufferBlocksAvailable, cumulativeAck, bitmap: r.rest() };
}

export function ackBitmapBodyLength(c: AckBitmapChunk): number {
  return ackHeaderLength(c) + c.bitmap.length;
}

export function writeAckBitmapBody(w: ByteWriter, c: AckBitmapChunk): void {
  if (c.bitmap.length > MAX_ACK_BITMAP_LENGTH) {
    throw new WireError(WireErrorCode.Unencodable, `ack bitmap of ${c.bitmap.length} bytes exceeds ${MAX_ACK_BITMAP_LENGTH}`);
  }
  w.vlu(c.flowId).vlu(c.bufferBlocksAvailable).vlu(c.cumulativeAck).bytes(c.bitmap);
}

/** The sequence numbers an Ack Bitmap marks as received, ascending [?] (see AckBitmapChunk). */
export function ackBitmapReceived(c: Pick<AckBitmapChunk, 'cumulativeAck' | 'bitmap'>): number[] {
  const out: number[] = [];
  const base = c.cumulativeAck + 2;
  for (let i = 0; i < c.bitmap.length; i++) {
    const b = c.bitmap[i]!;
    if (b === 0) continue;
    for (let k = 0; k < 8; k++) if (b & (1 << k)) out.push(base + i * 8 + k);
  }
  return out;
}

/** Builds the bitmap for received sequence numbers above cumulativeAck + 1 [?]. */
export function ackBitmapFromReceived(cumulativeAck: number, received: Iterable<number>): Uint8Array {
  const base = cumulativeAck + 2;
  let max = -1;
  const list: number[] = [];
  for (const s of received) {
    if (!Number.isSafeInteger(s) || s < base) {
      throw new WireError(WireErrorCode.Unencodable, `sequence ${s} is not above cumulative ack + 1 (${cumulativeAck + 1})`);
    }
    list.push(s - base);
    if (s - base > max) max = s - base;
  }
  const length = max < 0 ? 0 : Math.floor(max / 8) + 1;
  if (length > MAX_ACK_BITMAP_LENGTH) {
    throw new WireError(WireErrorCode.Unencodable, `ack bitmap of ${length} bytes exceeds ${MAX_ACK_BITMAP_LENGTH}`);
  }
  const bitmap = new Uint8Array(length);
  for (const k of list) bitmap[k >> 3]! |= 1 << (k & 7);
  return bitmap;
}
