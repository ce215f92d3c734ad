// Tables of the tower-field (vector-permutation) AES, derived at start-up from the field math.
// Nothing here is secret: every loop and branch runs over public constants only.
//
// The field. GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1 (FIPS-197 §4.2) is isomorphic to
// K = GF(16)[y]/(y^2 + y + λ), with GF(16) = GF(2)[z]/(z^4+z+1) and λ = 1/a chosen so that
// y^2+y+λ is irreducible (absolute trace of λ is 1). A K element is the byte (k << 4) | i,
// meaning k·y + i. The isomorphism M maps x to a root β of the AES polynomial in K (found by
// search), so M(Σ b_m x^m) = Σ b_m β^m: GF(2)-linear, hence one 16-entry table per nibble.
//
// The inversion with nibble lookups only. For e = k·y + i with j = i + k, the norm is
// d = λk² + ik + i² and e^-1 = (k/d)·y + j/d. Define
//   X = j + 1/(1/i + a/k),  Y = i + 1/(1/j + a/k).
// Expanding, X = a·d/(k + a·i) and Y = a·d/(k + a·j), so 1/X + 1/Y = k/d and
// 1/Y + (1/a)(1/X + 1/Y) = j/d: both halves of e^-1 are GF(2)-linear in (1/X, 1/Y), so anything
// linear in e^-1 (the affine map, MixColumns factors, basis changes) is tableX[X] ^ tableY[Y].
// Zeros use the projective convention: the "1/x" and "a/x" tables map 0 to ∞ = 0x80, XOR keeps
// the top bit, and i8x16.swizzle returns 0 for any index >= 16, i.e. 1/∞ = 0. Checking i = 0,
// k = 0, j = 0 and e = 0 by hand gives the right X and Y (e = 0 gives X = Y = ∞, output 0), and
// test/aes-wasm-tower.test.ts checks all 256 bytes in both directions against FIPS-197.
import { TOWER } from './layout';

// Table slots (16 bytes each) inside the TOWER area.
export const T_INV: i32 = 0; //    x -> 1/x in GF(16), 0 -> ∞
export const T_AK: i32 = 1; //     x -> a/x, 0 -> ∞
export const T_ENC_LO: i32 = 2; // nibble -> M(nibble)           (AES basis -> tower, low nibble)
export const T_ENC_HI: i32 = 3; // nibble -> M(nibble << 4)
export const T_E1X: i32 = 4; //    X -> M(A(part of e^-1))       S-box (linear part), tower basis
export const T_E1Y: i32 = 5;
export const T_E2X: i32 = 6; //    X -> M({02}·A(...))           {02}·S-box, tower basis
export const T_E2Y: i32 = 7;
export const T_EFX: i32 = 8; //    X -> A(...)                    last round, AES basis
export const T_EFY: i32 = 9;
export const T_DEC_LO: i32 = 10; // nibble -> N(nibble) ^ N(0x63), N = M∘A^-1 (inverse affine, then M)
export const T_DEC_HI: i32 = 11; // nibble -> N(nibble << 4)
export const T_D14X: i32 = 12; //  X -> N({0e}·part of e^-1)      InvMixColumns factors, N basis
export const T_D14Y: i32 = 13;
export const T_D11X: i32 = 14;
export const T_D11Y: i32 = 15;
export const T_D13X: i32 = 16;
export const T_D13Y: i32 = 17;
export const T_D9X: i32 = 18;
export const T_D9Y: i32 = 19;
export const T_DFX: i32 = 20; //   X -> part of e^-1 in AES basis (last decryption round)
export const T_DFY: i32 = 21;
export const TOWER_TABLES: i32 = 22;

const INF: u32 = 0x80;

function gmul4(a: u32, b: u32): u32 {
  let p: u32 = 0;
  for (let n = 0; n < 4; n++) {
    if (b & 1) p ^= a;
    a <<= 1;
    if (a & 0x10) a ^= 0x13; // z^4 = z + 1
    b >>= 1;
  }
  return p;
}

function ginv4(x: u32): u32 {
  for (let y: u32 = 1; y < 16; y++) if (gmul4(x, y) == 1) return y;
  return 0;
}

/** Absolute trace GF(16) -> GF(2): x + x^2 + x^4 + x^8. */
function trace4(x: u32): u32 {
  let t = x;
  let s = x;
  for (let n = 0; n < 3; n++) {
    t = gmul4(t, t);
    s ^= t;
  }
  return s;
}

/** GF(2^8) product with the AES polynomial (FIPS-197 §4.2). */
export function gmul8(a: u32, b: u32): u32 {
  let p: u32 = 0;
  for (let n = 0; n < 8; n++) {
    if (b & 1) p ^= a;
    const hi = a & 0x80;
    a = (a << 1) & 0xff;
    if (hi) a ^= 0x1b;
    b >>= 1;
  }
  return p;
}

let towerA: u32 = 0;
let towerLambda: u32 = 0;
let towerBeta: u32 = 0;
let towerMInit = false;
// M's 8 columns M(x^m) = β^m, packed 8 bits each into two u32s.
let mLo: u32 = 0;
let mHi: u32 = 0;

/** Product in K = GF(16)[y]/(y^2 + y + λ). */
function gmulK(u: u32, v: u32): u32 {
  const uh = u >> 4, ul = u & 15, vh = v >> 4, vl = v & 15;
  const hh = gmul4(uh, vh);
  const h = hh ^ gmul4(uh, vl) ^ gmul4(ul, vh);
  const l = gmul4(hh, towerLambda) ^ gmul4(ul, vl);
  return (h << 4) | l;
}

function powK(b: u32, n: i32): u32 {
  let r: u32 = 1;
  for (let m = 0; m < n; m++) r = gmulK(r, b);
  return r;
}

function mColumn(m: i32): u32 {
  return m < 4 ? (mLo >> (<u32>m * 8)) & 0xff : (mHi >> (<u32>(m - 4) * 8)) & 0xff;
}

/** M: AES byte -> K byte (GF(2)-linear). */
export function toTower(x: u32): u32 {
  let r: u32 = 0;
  for (let m = 0; m < 8; m++) if ((x >> <u32>m) & 1) r ^= mColumn(m);
  return r;
}

/** M^-1 by search (256 candidates; start-up only). */
function fromTower(t: u32): u32 {
  for (let x: u32 = 0; x < 256; x++) if (toTower(x) == t) return x;
  return 0;
}

function rotl8(b: u32, n: u32): u32 {
  return ((b << n) | (b >> (8 - n))) & 0xff;
}

/** Linear part of the S-box affine map (FIPS-197 §5.1.1); the constant 0x63 is added separately. */
export function affineLinear(b: u32): u32 {
  return b ^ rotl8(b, 1) ^ rotl8(b, 2) ^ rotl8(b, 3) ^ rotl8(b, 4);
}

/** Inverse of affineLinear, by search (start-up only). */
function affineLinearInverse(s: u32): u32 {
  for (let b: u32 = 0; b < 256; b++) if (affineLinear(b) == s) return b;
  return 0;
}

/** N = M ∘ A^-1 (linear parts): AES byte -> tower input of the inverse S-box. */
export function toTowerDec(x: u32): u32 {
  return toTower(affineLinearInverse(x));
}

/** Part of e^-1 (AES basis) carried by X (which = 0) or Y (which = 1) for nibble value v. */
function part(which: i32, v: u32): u32 {
  if (v == 0) return 0; // X, Y are never 0 for a finite result; the entry is unused
  const w = ginv4(v);
  const ia = ginv4(towerA);
  const low = which == 0 ? gmul4(ia, w) : w ^ gmul4(ia, w);
  return fromTower((w << 4) | low);
}

function put(slot: i32, n: u32, value: u32): void {
  store<u8>(TOWER + (<usize>slot << 4) + <usize>n, <u8>value);
}

export function buildTowerTables(): void {
  // a: the first nonzero GF(16) element whose inverse has trace 1 (so y^2 + y + 1/a is irreducible).
  for (let c: u32 = 1; c < 16; c++) {
    if (trace4(ginv4(c)) == 1) {
      towerA = c;
      break;
    }
  }
  towerLambda = ginv4(towerA);
  // β: the first root of the AES polynomial in K.
  for (let b: u32 = 2; b < 256; b++) {
    if ((powK(b, 8) ^ powK(b, 4) ^ powK(b, 3) ^ b ^ 1) == 0) {
      towerBeta = b;
      break;
    }
  }
  mLo = 0;
  mHi = 0;
  for (let m = 0; m < 8; m++) {
    const col = powK(towerBeta, m);
    if (m < 4) mLo |= col << (<u32>m * 8);
    else mHi |= col << (<u32>(m - 4) * 8);
  }
  towerMInit = true;
  const nc = toTowerDec(0x63);
  for (let n: u32 = 0; n < 16; n++) {
    put(T_INV, n, n == 0 ? INF : ginv4(n));
    put(T_AK, n, n == 0 ? INF : gmul4(towerA, ginv4(n)));
    put(T_ENC_LO, n, toTower(n));
    put(T_ENC_HI, n, toTower(n << 4));
    put(T_DEC_LO, n, toTowerDec(n) ^ nc);
    put(T_DEC_HI, n, toTowerDec(n << 4));
    for (let which = 0; which < 2; which++) {
      const e = part(which, n);
      const s = affineLinear(e);
      put(T_E1X + which, n, toTower(s));
      put(T_E2X + which, n, toTower(gmul8(2, s)));
      put(T_EFX + which, n, s);
      put(T_D14X + which, n, toTowerDec(gmul8(14, e)));
      put(T_D11X + which, n, toTowerDec(gmul8(11, e)));
      put(T_D13X + which, n, toTowerDec(gmul8(13, e)));
      put(T_D9X + which, n, toTowerDec(gmul8(9, e)));
      put(T_DFX + which, n, e);
    }
  }
}

/** The chosen tower parameters, for tests: a | λ << 8 | β << 16 | ready << 24. */
export function towerParameters(): u32 {
  return towerA | (towerLambda << 8) | (towerBeta << 16) | ((towerMInit ? 1 : 0) << 24);
}
