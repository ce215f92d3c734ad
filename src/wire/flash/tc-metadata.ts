import { WireError } from '../errors.js';
import type { RtmfpOption } from '../option.js';
import { ByteReader } from '../reader.js';
import { ByteWriter } from '../writer.js';
import { FlashError, FlashErrorCode } from './errors.js';

/**
 * Flash "TC" flow metadata (RFC 7425 section 5.1, wire-reference E.1), the value of user-data
 * option 0 on the first chunk of every NetConnection / NetStream flow:
 *
 *   'T' 'C' (54 43) | flags (1) | VLU streamID (present when flags & 0x04)
 *
 * The low two flag bits are the receive intent (RXI). Seen on the wire: `54 43 04 00`
 * (NetConnection), `54 43 04 01` (NetStream 1), `54 43 04 fa 89 01` (librtmfp P2P stream 2000001).
 */
export const TC_SIGNATURE_0 = 0x54;
export const TC_SIGNATURE_1 = 0x43;

export const TcFlag = {
  /** The stream ID VLU follows. Always set by every implementation seen. */
  StreamIdPresent: 0x04,
  /** Mask of the receive intent bits. */
  ReceiveIntentMask: 0x03,
} as const;

/** Receive intent (RXI): how the receiver should deliver this flow's messages. */
export const ReceiveIntent = {
  /** Deliver in the sender's original order (the default). */
  OriginalOrder: 0,
  /** Deliver in network arrival order. rtmfp-cpp looks only at this bit. */
  NetworkArrivalOrder: 1,
} as const;

export interface TcMetadata {
  /** NetConnection = 0, NetStream N = N; null when the flags say no stream ID follows. */
  streamId: number | null;
  /** flags & 0x03 (values 2 and 3 are unassigned but kept). */
  receiveIntent: number;
  /** The whole flags byte, including bits this code does not interpret. */
  flags: number;
}

/** True when an option-0 metadata value starts with "TC" and has a flags byte. */
export function isTcMetadata(value: Uint8Array): boolean {
  return value.length >= 3 && value[0] === TC_SIGNATURE_0 && value[1] === TC_SIGNATURE_1;
}

/** Decodes a TC metadata value. Bytes after the stream ID are ignored (room for extensions). */
export function decodeTcMetadata(value: Uint8Array): TcMetadata {
  if (value.length < 3) {
    if (value.length >= 2 && value[0] === TC_SIGNATURE_0 && value[1] === TC_SIGNATURE_1) {
      throw new FlashError(FlashErrorCode.Truncated, 'TC metadata without a flags byte', value.length);
    }
    throw new FlashError(FlashErrorCode.Malformed, 'flow metadata is not TC metadata', 0);
  }
  if (!isTcMetadata(value)) throw new FlashError(FlashErrorCode.Malformed, 'flow metadata is not TC metadata', 0);
  const flags = value[2]!;
  let streamId: number | null = null;
  if (flags & TcFlag.StreamIdPresent) {
    try {
      streamId = new ByteReader(value, 3).vlu();
    } catch (e) {
      if (e instanceof WireError) {
        throw new FlashError(
          e.code === 'ERR_WIRE_TRUNCATED' ? FlashErrorCode.Truncated : FlashErrorCode.Malformed,
          `TC metadata stream ID: ${e.message}`,
          3,
        );
      }
      throw e;
    }
  }
  return { streamId, receiveIntent: flags & TcFlag.ReceiveIntentMask, flags };
}

/** Encodes TC metadata with the stream-ID-present flag set, as every implementation does. */
export function encodeTcMetadata(streamId: number, receiveIntent: number = ReceiveIntent.OriginalOrder): Uint8Array {
  if (!Number.isSafeInteger(streamId) || streamId < 0) {
    throw new FlashError(FlashErrorCode.Unencodable, `stream ID ${streamId} is not a non-negative integer`);
  }
  if (!Number.isInteger(receiveIntent) || receiveIntent < 0 || receiveIntent > 3) {
    throw new FlashError(FlashErrorCode.Unencodable, `receive intent ${receiveIntent} is not 0..3`);
  }
  const w = new ByteWriter(undefined, { maxLength: 16 });
  w.u8(TC_SIGNATURE_0).u8(TC_SIGNATURE_1).u8(TcFlag.StreamIdPresent | receiveIntent).vlu(streamId);
  return w.written().slice();
}

/** User-data option type carrying the per-flow metadata (RFC 7016 section 2.3.11.1, wire-reference C.2). */
export const USER_METADATA_OPTION = 0x00;

/**
 * Finds TC metadata among a flow's user-data options: the value of option type 0, if it is
 * TC metadata. Returns null for flows with other metadata (NetGroup `GC`/`GR`) or none.
 */
export function findTcMetadata(options: readonly RtmfpOption[]): TcMetadata | null {
  for (const o of options) {
    if (o.type === USER_METADATA_OPTION) return isTcMetadata(o.value) ? decodeTcMetadata(o.value) : null;
  }
  return null;
}

/**
 * The stream ID a flow's metadata names: the TC stream ID (0 = NetConnection), or -1 when the
 * metadata is not well-formed TC metadata with a stream ID (a flow this layer ignores or refuses).
 * Never throws.
 */
export function tcStreamId(metadata: Uint8Array): number {
  if (!isTcMetadata(metadata)) return -1;
  try {
    return decodeTcMetadata(metadata).streamId ?? -1;
  } catch (e) {
    if (e instanceof FlashError) return -1;
    throw e;
  }
}
