import { RtmfpError } from '../../errors.js';

/**
 * Stable codes for packet-cipher failures that are not plain batch-shape errors (those are the
 * RangeErrors of validatePacketBatch):
 * - `ERR_CIPHER_KEY_EMPTY`: a packet names a key slot whose generation is 0 (no key set).
 * - `ERR_CIPHER_BACKEND`: the backend itself misbehaved (e.g. node:crypto returned fewer bytes
 *   than it was given, or the WASM module trapped); the batch may be partly processed.
 * - `ERR_CIPHER_CLOSED`: the cipher was used after close().
 */
export type PacketCipherErrorCode = 'ERR_CIPHER_KEY_EMPTY' | 'ERR_CIPHER_BACKEND' | 'ERR_CIPHER_CLOSED';

export class PacketCipherError extends RtmfpError {
  declare readonly code: PacketCipherErrorCode;
  constructor(code: PacketCipherErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
