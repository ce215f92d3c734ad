// Independent Diffie-Hellman arithmetic for the DH tests (wire-reference D.4): plain BigInt
// modular exponentiation and big-endian conversions through node's hex codec, sharing no code
// with src/crypto/dh.ts, so agreement with it means something.

/** Unsigned big-endian bytes as a BigInt (empty = 0). */
export function bigOf(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

/** The minimal unsigned big-endian bytes of v (no leading zero byte; 0 is one zero byte). */
export function bytesOf(v: bigint): Uint8Array {
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** b^e mod m by square and multiply. */
export function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
