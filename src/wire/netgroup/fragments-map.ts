import { WireError, WireErrorCode } from '../errors.js';
import { ByteReader } from '../reader.js';
import { ByteWriter, vluLength } from '../writer.js';

/**
 * NetGroup multicast media report messages on `GR 11` flows (wire-reference F.5, F.7; librtmfp's
 * format, no RFC):
 *   `22` fragments map  : VLU lastFragmentID, then a bitmap where bit b (LSB first) of byte i set
 *                         means fragment lastFragmentID - 1 - (8i + b) is held. The last
 *                         fragment itself is held implicitly.
 *   `23` push request   : one byte, bit k = "push me every fragment whose id mod 8 = k".
 *   `2b` pull request   : VLU fragmentID.
 * "Body" below means the bytes after the type byte; "message" includes it.
 */
export const FRAGMENTS_MAP_TYPE = 0x22;
export const PUSH_REQUEST_TYPE = 0x23;
export const PULL_REQUEST_TYPE = 0x2b;

/**
 * Longest bitmap accepted: 8192 bytes describe 65536 fragments, the largest window the
 * scheduler supports (src/engine/window/types.ts WINDOW_LIMITS). librtmfp only describes its
 * window (10 s of fragments), so anything longer is garbage or an attempt to make us loop.
 */
export const MAX_FRAGMENTS_MAP_BITMAP_BYTES = 8192;

export interface FragmentsMap {
  lastFragmentId: number;
  /** View into the decoded input (not a copy). */
  bitmap: Uint8Array;
}

export interface FragmentsMapLimits {
  maxBitmapBytes?: number;
}

/**
 * Decodes a `22` body. Refuses (WireError) a bitmap longer than the limit, or longer than the
 * IDs below lastFragmentID need (ceil(last / 8) bytes: a whole byte of negative IDs is malformed).
 */
export function decodeFragmentsMap(body: Uint8Array, limits: FragmentsMapLimits = {}): FragmentsMap {
  const max = limits.maxBitmapBytes ?? MAX_FRAGMENTS_MAP_BITMAP_BYTES;
  const r = new ByteReader(body);
  const lastFragmentId = r.vlu();
  const len = r.remaining;
  if (len > max) {
    throw new WireError(WireErrorCode.Limit, `fragments map bitmap of ${len} bytes exceeds ${max}`, r.pos);
  }
  if (len > Math.ceil(lastFragmentId / 8)) {
    throw new WireError(
      WireErrorCode.Malformed,
      `fragments map bitmap of ${len} bytes describes IDs below 0 (last fragment ${lastFragmentId})`,
      r.pos,
    );
  }
  return { lastFragmentId, bitmap: r.rest() };
}

/** Decodes a whole `22` message (type byte included). */
export function decodeFragmentsMapMessage(message: Uint8Array, limits: FragmentsMapLimits = {}): FragmentsMap {
  expectType(message, FRAGMENTS_MAP_TYPE);
  return decodeFragmentsMap(message.subarray(1), limits);
}

function checkMap(map: FragmentsMap): void {
  if (!Number.isSafeInteger(map.lastFragmentId) || map.lastFragmentId < 0) {
    throw new WireError(WireErrorCode.Unencodable, `fragment ID ${map.lastFragmentId} is not a non-negative safe integer`);
  }
  if (map.bitmap.length > MAX_FRAGMENTS_MAP_BITMAP_BYTES || map.bitmap.length > Math.ceil(map.lastFragmentId / 8)) {
    throw new WireError(WireErrorCode.Unencodable, `bitmap of ${map.bitmap.length} bytes does not fit last fragment ${map.lastFragmentId}`);
  }
}

/** Appends a `22` body. */
export function writeFragmentsMap(w: ByteWriter, map: FragmentsMap): ByteWriter {
  checkMap(map);
  return w.vlu(map.lastFragmentId).bytes(map.bitmap);
}

/** A whole `22` message (type byte included), exactly sized. */
export function encodeFragmentsMapMessage(map: FragmentsMap): Uint8Array {
  checkMap(map);
  const out = new Uint8Array(1 + vluLength(map.lastFragmentId) + map.bitmap.length);
  const w = new ByteWriter(out);
  w.u8(FRAGMENTS_MAP_TYPE);
  writeFragmentsMap(w, map);
  return out;
}

/** Whether the map says `id` is held. */
export function fragmentsMapHas(map: FragmentsMap, id: number): boolean {
  const last = map.lastFragmentId;
  if (id === last) return true;
  if (!Number.isSafeInteger(id) || id < 0 || id > last) return false;
  const k = last - 1 - id;
  const i = Math.floor(k / 8);
  if (i >= map.bitmap.length) return false;
  return (map.bitmap[i]! & (1 << (k % 8))) !== 0;
}

/** Held IDs, newest first (lastFragmentId first); at most `limit` of them (bounded work). */
export function fragmentsMapIds(map: FragmentsMap, limit = 8 * MAX_FRAGMENTS_MAP_BITMAP_BYTES + 1): number[] {
  const out: number[] = [];
  if (limit <= 0) return out;
  out.push(map.lastFragmentId);
  const last = map.lastFragmentId;
  for (let i = 0; i < map.bitmap.length && out.length < limit; i++) {
    const byte = map.bitmap[i]!;
    for (let b = 0; b < 8 && out.length < limit; b++) {
      const id = last - 1 - (8 * i + b);
      if (id < 0) return out;
      if ((byte & (1 << b)) !== 0) out.push(id);
    }
  }
  return out;
}

/**
 * Builds a map from a last ID and the other held IDs (below it; others are ignored). The bitmap
 * reaches down to the lowest held ID, with no trailing zero bytes.
 */
export function fragmentsMapFromIds(lastFragmentId: number, held: Iterable<number>): FragmentsMap {
  if (!Number.isSafeInteger(lastFragmentId) || lastFragmentId < 0) {
    throw new WireError(WireErrorCode.Unencodable, `fragment ID ${lastFragmentId} is not a non-negative safe integer`);
  }
  const ks: number[] = [];
  let maxK = -1;
  for (const id of held) {
    if (!Number.isSafeInteger(id) || id < 0 || id >= lastFragmentId) continue;
    const k = lastFragmentId - 1 - id;
    if (k >= 8 * MAX_FRAGMENTS_MAP_BITMAP_BYTES) {
      throw new WireError(WireErrorCode.Unencodable, `fragment ${id} is too far below ${lastFragmentId} for a map`);
    }
    ks.push(k);
    if (k > maxK) maxK = k;
  }
  const bitmap = new Uint8Array(maxK < 0 ? 0 : Math.floor(maxK / 8) + 1);
  for (const k of ks) bitmap[k >> 3]! |= 1 << (k & 7);
  return { lastFragmentId, bitmap };
}

function expectType(message: Uint8Array, type: number): void {
  if (message.length === 0) throw new WireError(WireErrorCode.Truncated, 'empty message', 0);
  if (message[0] !== type) {
    throw new WireError(
      WireErrorCode.Malformed,
      `expected message type 0x${type.toString(16)}, got 0x${message[0]!.toString(16)}`,
      0,
    );
  }
}

/** Decodes a `23` message (type byte included): the push mask. Exactly one mask byte. */
export function decodePushRequestMessage(message: Uint8Array): number {
  expectType(message, PUSH_REQUEST_TYPE);
  if (message.length < 2) throw new WireError(WireErrorCode.Truncated, 'push request without a mask', 1);
  if (message.length > 2) throw new WireError(WireErrorCode.Malformed, `push request of ${message.length} bytes, expected 2`, 2);
  return message[1]!;
}

export function encodePushRequestMessage(mask: number): Uint8Array {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xff) {
    throw new WireError(WireErrorCode.Unencodable, `push mask ${mask} is not a byte`);
  }
  return Uint8Array.of(PUSH_REQUEST_TYPE, mask);
}

/** Decodes a `2b` message (type byte included): the requested fragment ID. Nothing may follow the VLU. */
export function decodePullRequestMessage(message: Uint8Array): number {
  expectType(message, PULL_REQUEST_TYPE);
  const r = new ByteReader(message, 1);
  const id = r.vlu();
  if (!r.atEnd()) throw new WireError(WireErrorCode.Malformed, `${r.remaining} bytes after the pull request`, r.pos);
  return id;
}

export function encodePullRequestMessage(fragmentId: number): Uint8Array {
  const out = new Uint8Array(1 + vluLength(fragmentId));
  new ByteWriter(out).u8(PULL_REQUEST_TYPE).vlu(fragmentId);
  return out;
}
