// One AES-128 block in a v128 register, FIPS-197 column-major byte order (byte 4c+r is row r of
// column c), with a vector-permutation S-box: the 256-byte table is 16 rows of 16 bytes, and
// each row is applied to all 16 state bytes with i8x16.swizzle. For row h the index is
// x ^ 16h, which is < 16 exactly when x's high nibble is h and >= 16 otherwise, and swizzle
// yields 0 for indices >= 16, so XOR-ing the 16 row lookups gives S[x]. Every row is read for
// every byte; no address or branch depends on data (see index.ts for the timing argument).
import { SBOX, INV_SBOX } from './layout';

// @ts-ignore: decorator
@inline function row(table: usize, h: i32, x: v128): v128 {
  return i8x16.swizzle(v128.load(table + (<usize>h << 4)), v128.xor(x, i8x16.splat(<i8>(h << 4))));
}

// @ts-ignore: decorator
@inline export function subBytes(table: usize, x: v128): v128 {
  // A balanced XOR tree keeps the dependency chain short.
  const a = v128.xor(v128.xor(row(table, 0, x), row(table, 1, x)), v128.xor(row(table, 2, x), row(table, 3, x)));
  const b = v128.xor(v128.xor(row(table, 4, x), row(table, 5, x)), v128.xor(row(table, 6, x), row(table, 7, x)));
  const c = v128.xor(v128.xor(row(table, 8, x), row(table, 9, x)), v128.xor(row(table, 10, x), row(table, 11, x)));
  const d = v128.xor(v128.xor(row(table, 12, x), row(table, 13, x)), v128.xor(row(table, 14, x), row(table, 15, x)));
  return v128.xor(v128.xor(a, b), v128.xor(c, d));
}

/** Multiplication by x ({02}) in GF(2^8) on every byte: shift left, reduce by 0x1b where the top bit was set. */
// @ts-ignore: decorator
@inline function xtime(v: v128): v128 {
  const top = i8x16.lt_s(v, i8x16.splat(0));
  return v128.xor(i8x16.add(v, v), v128.and(top, i8x16.splat(0x1b)));
}

// @ts-ignore: decorator
@inline function shiftRows(s: v128): v128 {
  return i8x16.shuffle(s, s, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11);
}

// @ts-ignore: decorator
@inline function invShiftRows(s: v128): v128 {
  return i8x16.shuffle(s, s, 0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3);
}

/** Rotate each 4-byte column by one row: r[4c+i] = a[4c+(i+1)%4]. */
// @ts-ignore: decorator
@inline function rot1(a: v128): v128 {
  return i8x16.shuffle(a, a, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
}

// @ts-ignore: decorator
@inline function rot2(a: v128): v128 {
  return i8x16.shuffle(a, a, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}

/**
 * MixColumns (FIPS-197 §5.1.3): out_i = 2a_i ^ 3a_{i+1} ^ a_{i+2} ^ a_{i+3}
 *                                     = 2(a_i ^ a_{i+1}) ^ a_{i+1} ^ rot2(a ^ rot1 a)_i.
 */
// @ts-ignore: decorator
@inline function mixColumns(a: v128): v128 {
  const r1 = rot1(a);
  const s = v128.xor(a, r1);
  return v128.xor(v128.xor(xtime(s), r1), rot2(s));
}

/**
 * InvMixColumns = MixColumns after b_i = a_i ^ {04}(a_i ^ a_{i+2}), because
 * ({03}x^3+x^2+x+{02}) * ({04}x^2+{05}) = {0b}x^3+{0d}x^2+{09}x+{0e} mod x^4+1.
 */
// @ts-ignore: decorator
@inline function invMixColumns(a: v128): v128 {
  const u = xtime(xtime(v128.xor(a, rot2(a))));
  return mixColumns(v128.xor(a, u));
}

/** AES-128 encryption of one block with the 11 round keys at rk (FIPS-197 §5.1). */
// @ts-ignore: decorator
@inline export function encryptBlock(s: v128, rk: usize): v128 {
  s = v128.xor(s, v128.load(rk));
  s = v128.xor(mixColumns(subBytes(SBOX, shiftRows(s))), v128.load(rk, 16));
  s = v128.xor(mixColumns(subBytes(SBOX, shiftRows(s))), v128.load(rk, 32));
  s = v128.xor(mixColumns(subBytes(SBOX, shiftRows(s))), v128.load(rk, 48));
  s = v128.xor(mixColumns(subBytes(SBOX, shiftRows(s))), v128.load(rk, 64));
  s = v128.xor(mixColumns(subBytes(SBOX, shiftRows(s))), v128.load(rk, 80));
  s = v128.xor(mixColumns(subBytes(SBOX, shiftRows(s))), v128.load(rk, 96));
  s = v128.xor(mixColumns(subBytes(SBOX, shiftRows(s))), v128.load(rk, 112));
  s = v128.xor(mixColumns(subBytes(SBOX, shiftRows(s))), v128.load(rk, 128));
  s = v128.xor(mixColumns(subBytes(SBOX, shiftRows(s))), v128.load(rk, 144));
  return v128.xor(subBytes(SBOX, shiftRows(s)), v128.load(rk, 160));
}

/** AES-128 decryption of one block (FIPS-197 §5.3, the straightforward inverse cipher). */
// @ts-ignore: decorator
@inline export function decryptBlock(s: v128, rk: usize): v128 {
  s = v128.xor(s, v128.load(rk, 160));
  s = invMixColumns(v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk, 144)));
  s = invMixColumns(v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk, 128)));
  s = invMixColumns(v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk, 112)));
  s = invMixColumns(v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk, 96)));
  s = invMixColumns(v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk, 80)));
  s = invMixColumns(v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk, 64)));
  s = invMixColumns(v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk, 48)));
  s = invMixColumns(v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk, 32)));
  s = invMixColumns(v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk, 16)));
  return v128.xor(subBytes(INV_SBOX, invShiftRows(s)), v128.load(rk));
}

/**
 * FIPS-197 §5.2 key expansion for AES-128 into 11 round keys at rk. SubWord uses the same
 * swizzle S-box, so the key schedule is constant-time too.
 */
export function expandKey128(key: usize, rk: usize): void {
  let w = v128.load(key);
  v128.store(rk, w);
  let rcon: i32 = 1;
  for (let r = 1; r <= 10; r++) {
    // RotWord(w3) in every word lane, then SubWord, then Rcon in byte 0 of every word.
    const t = v128.xor(
      subBytes(SBOX, i8x16.shuffle(w, w, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12)),
      i32x4.splat(rcon),
    );
    // Prefix XOR across words: w0, w0^w1, w0^w1^w2, w0^w1^w2^w3.
    const zero = i8x16.splat(0);
    w = v128.xor(w, i8x16.shuffle(zero, w, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
    w = v128.xor(w, i8x16.shuffle(zero, w, 0, 0, 0, 0, 0, 0, 0, 0, 16, 17, 18, 19, 20, 21, 22, 23));
    w = v128.xor(w, t);
    v128.store(rk + (<usize>r << 4), w);
    rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11b);
  }
}
