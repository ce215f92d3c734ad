import { CryptoError, CryptoErrorCode } from './errors.js';

const HEX = '0123456789abcdef';

/** Lowercase hex (wire-reference D.6: logs and APIs print peer IDs in lowercase). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    s += HEX[b >>> 4]! + HEX[b & 15]!;
  }
  return s;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Hex to bytes, case-insensitive. Throws CryptoError(BadHex) on odd length, a non-hex character,
 * or (when `expectedBytes` is given) a different length.
 */
export function fromHex(text: string, expectedBytes?: number): Uint8Array {
  if (typeof text !== 'string' || (text.length & 1) !== 0) {
    throw new CryptoError(CryptoErrorCode.BadHex, 'hex string must have an even number of digits');
  }
  const n = text.length >>> 1;
  if (expectedBytes !== undefined && n !== expectedBytes) {
    throw new CryptoError(CryptoErrorCode.BadHex, `expected ${expectedBytes} bytes of hex, got ${n}`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new CryptoError(CryptoErrorCode.BadHex, `non-hex character near offset ${2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}
