// The AES S-box derived from first principles (FIPS-197 §5.1.1): the multiplicative inverse in
// GF(2^8) modulo x^8+x^4+x^3+x+1 (0 maps to 0), followed by the affine map
//   b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ 0x63.
// Computed once at start-up, from public constants only, into the TABLES area; the inverse
// S-box is its inverse permutation. test/aes-sbox.test.ts checks the result independently.
import { SBOX, INV_SBOX } from './layout';

/** GF(2^8) product, shift-and-add; only used on public table indices at start-up. */
function gmul(a: u32, b: u32): u32 {
  let p: u32 = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) p ^= a;
    const hi = a & 0x80;
    a = (a << 1) & 0xff;
    if (hi) a ^= 0x1b;
    b >>= 1;
  }
  return p;
}

function ginv(x: u32): u32 {
  if (x == 0) return 0;
  // x^254 = x^-1 in GF(2^8)* (order 255).
  let r: u32 = 1;
  let base = x;
  let e: u32 = 254;
  while (e) {
    if (e & 1) r = gmul(r, base);
    base = gmul(base, base);
    e >>= 1;
  }
  return r;
}

function rotl8(b: u32, n: u32): u32 {
  return ((b << n) | (b >> (8 - n))) & 0xff;
}

export function buildSboxes(): void {
  for (let x: u32 = 0; x < 256; x++) {
    const b = ginv(x);
    const s = b ^ rotl8(b, 1) ^ rotl8(b, 2) ^ rotl8(b, 3) ^ rotl8(b, 4) ^ 0x63;
    store<u8>(SBOX + x, <u8>s);
    store<u8>(INV_SBOX + s, <u8>x);
  }
}
