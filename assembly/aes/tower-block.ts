// AES-128 rounds in the tower-field representation (tables and math in tower.ts).
//
// Encryption keeps the state between rounds in the tower basis M: after the first AddRoundKey
// the block is mapped once (two nibble lookups), every round's output tables produce M(S) and
// M({02}·S) directly, MixColumns is rotations and XORs on those, and the round keys are stored
// pre-mapped (M(rk ^ 0x63..), the S-box constant folded in: MixColumns maps a constant column
// c,c,c,c to c). Decryption keeps the state in N = M∘A^-1 plus the constant N(0x63), which is
// exactly the tower input of the inverse S-box, and uses the equivalent inverse cipher
// (FIPS-197 §5.3.5): round keys InvMixColumns(rk), mapped. Per round: 5 swizzles for the
// GF(2^8) inversion, 4 (encrypt) or 8 (decrypt) for the output tables, one constant-index
// swizzle for (Inv)ShiftRows and three 32-bit lane rotations.
//
// V8 notes (read from --print-wasm-code): a swizzle whose index is a v128 constant is emitted as
// a bare pshufb with the mask hoisted into a register, whereas i8x16.shuffle re-materialises its
// mask each time (movq/vmovq/vpinsrq); lane rotations become a single pshufd.
//
// Every swizzle index is either a nibble (< 16) or ∞ (0x80..0x8f, giving 0): the indices depend
// on data but the instruction (pshufb / tbl) does not branch or touch memory with them.
import { TOWER, SCHEDULE_AES, SCHEDULE_DEC, SCHEDULE_ENC } from './layout';
import {
  T_AK, T_D11X, T_D11Y, T_D13X, T_D13Y, T_D14X, T_D14Y, T_D9X, T_D9Y, T_DEC_HI, T_DEC_LO, T_DFX,
  T_DFY, T_E1X, T_E1Y, T_E2X, T_E2Y, T_EFX, T_EFY, T_ENC_HI, T_ENC_LO, T_INV,
} from './tower';

// @ts-ignore: decorator
@inline export function table(slot: i32): v128 {
  return v128.load(TOWER + (<usize>slot << 4));
}

// @ts-ignore: decorator
@inline function lowNibbles(t: v128): v128 {
  return v128.and(t, i8x16.splat(0x0f));
}

// A 16-bit shift then a mask: cheaper in V8 than i8x16.shr_u.
// @ts-ignore: decorator
@inline function highNibbles(t: v128): v128 {
  return v128.and(i16x8.shr_u(t, 4), i8x16.splat(0x0f));
}

/** Byte-wise linear (or affine) map given by a low-nibble and a high-nibble table. */
// @ts-ignore: decorator
@inline export function mapBytes(lo: v128, hi: v128, t: v128): v128 {
  return v128.xor(i8x16.swizzle(lo, lowNibbles(t)), i8x16.swizzle(hi, highNibbles(t)));
}

// The state is kept ROW-MAJOR (byte 4r + c is row r, column c: the transpose of the FIPS-197
// block layout) so that MixColumns' row rotations are 32-bit lane rotations, which V8 lowers to
// a single pshufd with an immediate; only ShiftRows needs a byte shuffle.

/** FIPS-197 column-major block <-> row-major state (an involution). */
// @ts-ignore: decorator
@inline export function transpose(b: v128): v128 {
  return i8x16.swizzle(b, v128(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
}

/** ShiftRows (FIPS-197 §5.1.2), row-major: row r rotated left by r. */
// @ts-ignore: decorator
@inline function shiftRows(s: v128): v128 {
  return i8x16.swizzle(s, v128(0, 1, 2, 3, 5, 6, 7, 4, 10, 11, 8, 9, 15, 12, 13, 14));
}

/** InvShiftRows (FIPS-197 §5.3.1), row-major: row r rotated right by r. */
// @ts-ignore: decorator
@inline function invShiftRows(s: v128): v128 {
  return i8x16.swizzle(s, v128(0, 1, 2, 3, 7, 4, 5, 6, 10, 11, 8, 9, 13, 14, 15, 12));
}

/** Row i of the result is row i+1 of a (every column rotated up by one). */
// @ts-ignore: decorator
@inline function rot1(a: v128): v128 {
  return i8x16.shuffle(a, a, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3);
}

/** Row i of the result is row i+3 of a. */
// @ts-ignore: decorator
@inline function rot3(a: v128): v128 {
  return i8x16.shuffle(a, a, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
}

/**
 * One encryption round on a tower-basis state: ShiftRows, SubBytes (inversion + output tables
 * for S and {02}S), MixColumns out_i = 2a_i ^ 3a_{i+1} ^ a_{i+2} ^ a_{i+3}
 * = c_i ^ c_{i+1} ^ a_{i+3} with c_i = 2a_i ^ a_{i+1}, then the (mapped) round key.
 */
// @ts-ignore: decorator
@inline export function encRound(t: v128, k: v128, inv: v128, ak: v128, e1x: v128, e1y: v128, e2x: v128, e2y: v128): v128 {
  t = shiftRows(t);
  const i = lowNibbles(t);
  const h = highNibbles(t);
  const j = v128.xor(i, h);
  const b = i8x16.swizzle(ak, h);
  const x = v128.xor(j, i8x16.swizzle(inv, v128.xor(i8x16.swizzle(inv, i), b)));
  const y = v128.xor(i, i8x16.swizzle(inv, v128.xor(i8x16.swizzle(inv, j), b)));
  const a1 = v128.xor(i8x16.swizzle(e1x, x), i8x16.swizzle(e1y, y));
  const a2 = v128.xor(i8x16.swizzle(e2x, x), i8x16.swizzle(e2y, y));
  const c = v128.xor(a2, rot1(a1));
  return v128.xor(v128.xor(c, rot1(c)), v128.xor(rot3(a1), k));
}

/**
 * SubBytes core on tower-basis bytes t: the GF(2^8) inversion (X, Y of tower.ts) and one pair of
 * output tables, giving fx[X] ^ fy[Y], i.e. any linear function of t^-1.
 */
// @ts-ignore: decorator
@inline function invertTo(t: v128, inv: v128, ak: v128, fx: v128, fy: v128): v128 {
  const i = lowNibbles(t);
  const h = highNibbles(t);
  const j = v128.xor(i, h);
  const b = i8x16.swizzle(ak, h);
  const x = v128.xor(j, i8x16.swizzle(inv, v128.xor(i8x16.swizzle(inv, i), b)));
  const y = v128.xor(i, i8x16.swizzle(inv, v128.xor(i8x16.swizzle(inv, j), b)));
  return v128.xor(i8x16.swizzle(fx, x), i8x16.swizzle(fy, y));
}

/** The last round: ShiftRows, SubBytes straight to the AES basis, round key (with 0x63 folded in). */
// @ts-ignore: decorator
@inline export function encLast(t: v128, k: v128, inv: v128, ak: v128, fx: v128, fy: v128): v128 {
  return v128.xor(invertTo(shiftRows(t), inv, ak, fx, fy), k);
}

/** AES-128 encryption of one row-major AES-basis state with the tower schedule at ek (see expandTowerKeys). */
// @ts-ignore: decorator
@inline export function encryptBlockTower(s: v128, ek: usize): v128 {
  const inv = table(T_INV);
  const ak = table(T_AK);
  const e1x = table(T_E1X);
  const e1y = table(T_E1Y);
  const e2x = table(T_E2X);
  const e2y = table(T_E2Y);
  let t = mapBytes(table(T_ENC_LO), table(T_ENC_HI), v128.xor(s, v128.load(ek)));
  t = encRound(t, v128.load(ek, 16), inv, ak, e1x, e1y, e2x, e2y);
  t = encRound(t, v128.load(ek, 32), inv, ak, e1x, e1y, e2x, e2y);
  t = encRound(t, v128.load(ek, 48), inv, ak, e1x, e1y, e2x, e2y);
  t = encRound(t, v128.load(ek, 64), inv, ak, e1x, e1y, e2x, e2y);
  t = encRound(t, v128.load(ek, 80), inv, ak, e1x, e1y, e2x, e2y);
  t = encRound(t, v128.load(ek, 96), inv, ak, e1x, e1y, e2x, e2y);
  t = encRound(t, v128.load(ek, 112), inv, ak, e1x, e1y, e2x, e2y);
  t = encRound(t, v128.load(ek, 128), inv, ak, e1x, e1y, e2x, e2y);
  t = encRound(t, v128.load(ek, 144), inv, ak, e1x, e1y, e2x, e2y);
  return encLast(t, v128.load(ek, 160), inv, ak, table(T_EFX), table(T_EFY));
}

/**
 * One decryption round on an N-basis state (equivalent inverse cipher): InvShiftRows,
 * InvSubBytes (inversion + output tables for {0e},{0b},{0d},{09} times the result),
 * InvMixColumns out_i = 14a_i ^ 11a_{i+1} ^ 13a_{i+2} ^ 9a_{i+3}, then the mapped round key.
 */
// @ts-ignore: decorator
@inline export function decRound(t: v128, k: v128, inv: v128, ak: v128): v128 {
  t = invShiftRows(t);
  const i = lowNibbles(t);
  const h = highNibbles(t);
  const j = v128.xor(i, h);
  const b = i8x16.swizzle(ak, h);
  const x = v128.xor(j, i8x16.swizzle(inv, v128.xor(i8x16.swizzle(inv, i), b)));
  const y = v128.xor(i, i8x16.swizzle(inv, v128.xor(i8x16.swizzle(inv, j), b)));
  const u9 = v128.xor(i8x16.swizzle(table(T_D9X), x), i8x16.swizzle(table(T_D9Y), y));
  const u13 = v128.xor(i8x16.swizzle(table(T_D13X), x), i8x16.swizzle(table(T_D13Y), y));
  const u11 = v128.xor(i8x16.swizzle(table(T_D11X), x), i8x16.swizzle(table(T_D11Y), y));
  const u14 = v128.xor(i8x16.swizzle(table(T_D14X), x), i8x16.swizzle(table(T_D14Y), y));
  return v128.xor(v128.xor(u14, rot1(v128.xor(u11, rot1(v128.xor(u13, rot1(u9)))))), k);
}

// @ts-ignore: decorator
@inline export function decLast(t: v128, k: v128, inv: v128, ak: v128): v128 {
  return v128.xor(invertTo(invShiftRows(t), inv, ak, table(T_DFX), table(T_DFY)), k);
}

/** SubBytes (FIPS-197 §5.1.1) of 16 AES-basis bytes through the tower path (tests). */
// @ts-ignore: decorator
@inline export function subBytesTower(s: v128): v128 {
  const t = mapBytes(table(T_ENC_LO), table(T_ENC_HI), s);
  return v128.xor(invertTo(t, table(T_INV), table(T_AK), table(T_EFX), table(T_EFY)), i8x16.splat(0x63));
}

/** InvSubBytes (FIPS-197 §5.3.2) of 16 AES-basis bytes through the tower path (tests). */
// @ts-ignore: decorator
@inline export function invSubBytesTower(s: v128): v128 {
  const t = mapBytes(table(T_DEC_LO), table(T_DEC_HI), s);
  return invertTo(t, table(T_INV), table(T_AK), table(T_DFX), table(T_DFY));
}

/** AES-128 decryption of one row-major AES-basis state with the tower decryption schedule at dk. */
// @ts-ignore: decorator
@inline export function decryptBlockTower(s: v128, dk: usize): v128 {
  const inv = table(T_INV);
  const ak = table(T_AK);
  let t = mapBytes(table(T_DEC_LO), table(T_DEC_HI), v128.xor(s, v128.load(dk)));
  t = decRound(t, v128.load(dk, 16), inv, ak);
  t = decRound(t, v128.load(dk, 32), inv, ak);
  t = decRound(t, v128.load(dk, 48), inv, ak);
  t = decRound(t, v128.load(dk, 64), inv, ak);
  t = decRound(t, v128.load(dk, 80), inv, ak);
  t = decRound(t, v128.load(dk, 96), inv, ak);
  t = decRound(t, v128.load(dk, 112), inv, ak);
  t = decRound(t, v128.load(dk, 128), inv, ak);
  t = decRound(t, v128.load(dk, 144), inv, ak);
  return decLast(t, v128.load(dk, 160), inv, ak);
}

/** {02}·v on every byte (AES basis). */
// @ts-ignore: decorator
@inline function xtime(v: v128): v128 {
  return v128.xor(i8x16.add(v, v), v128.and(i8x16.lt_s(v, i8x16.splat(0)), i8x16.splat(0x1b)));
}

/**
 * InvMixColumns of a FIPS-197 (column-major) block, key schedule only: MixColumns after
 * a_i ^ {04}(a_i ^ a_{i+2}), since ({03}x^3+x^2+x+{02})({04}x^2+{05}) = {0b}x^3+{0d}x^2+{09}x+{0e}.
 */
// @ts-ignore: decorator
@inline function invMixColumnsAes(a: v128): v128 {
  const r2 = i8x16.shuffle(a, a, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  const b = v128.xor(a, xtime(xtime(v128.xor(a, r2))));
  const r1 = i8x16.shuffle(b, b, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
  const s = v128.xor(b, r1);
  return v128.xor(v128.xor(xtime(s), r1), i8x16.shuffle(s, s, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}

/**
 * From the 11 AES-basis round keys at base + SCHEDULE_AES, writes (row-major, see transpose)
 *   encryption (base + SCHEDULE_ENC): rk0, M(rk1 ^ 63..) .. M(rk9 ^ 63..), rk10 ^ 63..
 *   decryption (base + SCHEDULE_DEC): rk10, N(InvMixColumns(rk9)) ^ N(63) .. (rk1), rk0
 * with the same swizzle lookups as the data path (keys are secret: no table loads by key byte).
 */
export function expandTowerKeys(base: usize): void {
  const rk = base + SCHEDULE_AES;
  const ek = base + SCHEDULE_ENC;
  const dk = base + SCHEDULE_DEC;
  const c63 = i8x16.splat(0x63);
  const encLo = table(T_ENC_LO);
  const encHi = table(T_ENC_HI);
  const decLo = table(T_DEC_LO);
  const decHi = table(T_DEC_HI);
  v128.store(ek, transpose(v128.load(rk)));
  v128.store(dk, transpose(v128.load(rk, 160)));
  for (let r: usize = 1; r <= 9; r++) {
    const k = v128.load(rk + (r << 4));
    v128.store(ek + (r << 4), transpose(mapBytes(encLo, encHi, v128.xor(k, c63))));
    v128.store(dk + ((10 - r) << 4), transpose(mapBytes(decLo, decHi, invMixColumnsAes(k))));
  }
  v128.store(ek, transpose(v128.xor(v128.load(rk, 160), c63)), 160);
  v128.store(dk, transpose(v128.load(rk)), 160);
}
