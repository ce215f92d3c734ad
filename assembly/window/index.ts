// Multicast fragment window scheduling (wire-reference F.5, F.7), the WASM twin of
// src/engine/window/reference.ts: same rules, same order of evaluation, so tests can hold the two
// equal. Manual memory (runtime stub): init() lays out fixed structure-of-arrays areas after
// __heap_base and grows memory once, so the JS views made from ptr() never detach.
//
// Fragment IDs and times are f64 holding integers up to 2^53-1, exactly as in the reference;
// ring slots are (i64)id & (C-1). Bitsets are u64 words.

// ---- configuration ----
let C: i32 = 0; // ring capacity (power of two)
let CMASK: i64 = 0;
let W: i32 = 0; // u64 words per bitset
let M: i32 = 0; // neighbor slots
let B: i32 = 0; // batch capacity
let MB: i32 = 0; // map staging bytes
let R: i32 = 0; // pulls per round
let PUSHCAP: i32 = 0; // pushLimit + 1
let windowDuration: f64 = 0;
let relayMargin: f64 = 0;
let fetchPeriod: f64 = 0;
let pushPeriod: f64 = 0;
let updatePeriod: f64 = 0;
let pushNeighborLimit: i32 = 0;
let maxOutstanding: i32 = 0;
let sendToAll: bool = false;
let pushProbe: bool = false;

// ---- areas (byte addresses) ----
let pArrIds: usize = 0;
let pArrTimes: usize = 0;
let pArrFrom: usize = 0;
let pPushIds: usize = 0;
let pPushNb: usize = 0;
let pMapNb: usize = 0;
let pMapTime: usize = 0;
let pMapLast: usize = 0;
let pMapOff: usize = 0;
let pMapLen: usize = 0;
let pMapBytes: usize = 0;
let pPullIds: usize = 0;
let pPullNb: usize = 0;
let pMaskNb: usize = 0;
let pMaskVal: usize = 0;
let pAnnBits: usize = 0;
let pOutcome: usize = 0;
let pStats: usize = 0;
let pInfo: usize = 0;

let pHeld: usize = 0;
/** Bitset mirror of announced[s] >= 0, so map ingest can find first announcements a byte at a time. */
let pAnnBitsSet: usize = 0;
let pEntry: usize = 0;
let pArrival: usize = 0;
let pAnnounced: usize = 0;
let pPullN: usize = 0;
let pPullT: usize = 0;

let pPresent: usize = 0;
let pMapLow: usize = 0;
let pMapHigh: usize = 0;
let pNMapTime: usize = 0;
let pNMapLast: usize = 0;
let pClass: usize = 0;
let pAsked: usize = 0;
let pSent: usize = 0;
let pRequest: usize = 0;
let pLatency: usize = 0;
let pBits: usize = 0;

// ---- state ----
let base: f64 = 0;
let head: f64 = -1;
let clock: f64 = 0;
let lastHeld: f64 = -1;
let heldCount: i32 = 0;
let outstanding: i32 = 0;
let N: i32 = 0;
let neighborCount: i32 = 0;
let pullCursor: i32 = 0;
let pushOutCursor: i32 = 0;
let announceCursor: i32 = 0;
let probeClass: i32 = 0;
let lastPushRound: f64 = -Infinity;
let lastAnnounceTime: f64 = -Infinity;
let lastAnnouncedId: f64 = -1;

let accepted: f64 = 0;
let duplicates: f64 = 0;
let late: f64 = 0;
let evicted: f64 = 0;
let missed: f64 = 0;
let rejected: f64 = 0;

const MAX_ID: f64 = 9007199254740991.0;

// ---- small helpers ----
@inline function f64At(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function setF64(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
@inline function i32At(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
@inline function setI32(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}
@inline function u8At(p: usize, i: i32): i32 {
  return <i32>load<u8>(p + <usize>i);
}
@inline function setU8(p: usize, i: i32, v: i32): void {
  store<u8>(p + <usize>i, <u8>v);
}
@inline function slotOf(id: f64): i32 {
  return <i32>(<i64>id & CMASK);
}
@inline function classOf(id: f64): i32 {
  return <i32>(<i64>id & 7);
}
@inline function validId(id: f64): bool {
  return id >= 0 && id <= MAX_ID && Math.floor(id) == id;
}
@inline function validTime(t: f64): bool {
  return t >= 0 && t <= MAX_ID;
}
@inline function bitTest(words: usize, s: i32): bool {
  return (load<u64>(words + (<usize>(s >>> 6) << 3)) & (<u64>1 << <u64>(s & 63))) != 0;
}
@inline function bitSet(words: usize, s: i32): void {
  const p = words + (<usize>(s >>> 6) << 3);
  store<u64>(p, load<u64>(p) | (<u64>1 << <u64>(s & 63)));
}
@inline function bitClear(words: usize, s: i32): void {
  const p = words + (<usize>(s >>> 6) << 3);
  store<u64>(p, load<u64>(p) & ~(<u64>1 << <u64>(s & 63)));
}
/** Reverses the 8 low bits (a map byte lists IDs newest first, the ring oldest first). */
@inline function rev8(b: u32): u32 {
  b = ((b & 0xf0) >> 4) | ((b & 0x0f) << 4);
  b = ((b & 0xcc) >> 2) | ((b & 0x33) << 2);
  return ((b & 0xaa) >> 1) | ((b & 0x55) << 1);
}
/** The 8 ring bits starting at slot s (wrapping around the ring). */
@inline function get8(words: usize, s: i32): u32 {
  const w = s >>> 6;
  const off = s & 63;
  let v = load<u64>(words + (<usize>w << 3)) >> <u64>off;
  if (off > 56) v |= load<u64>(words + (<usize>((w + 1) & (W - 1)) << 3)) << <u64>(64 - off);
  return <u32>(v & 0xff);
}
/** ORs 8 bits into the ring starting at slot s (wrapping around the ring). */
@inline function or8(words: usize, s: i32, bits: u32): void {
  const w = s >>> 6;
  const off = s & 63;
  const p = words + (<usize>w << 3);
  store<u64>(p, load<u64>(p) | (<u64>bits << <u64>off));
  if (off > 56) {
    const q = words + (<usize>((w + 1) & (W - 1)) << 3);
    store<u64>(q, load<u64>(q) | (<u64>bits >> <u64>(64 - off)));
  }
}
@inline function nBitsPtr(n: i32): usize {
  return pBits + (<usize>n * <usize>W << 3);
}

let cursor: usize = 0;
function area(bytes: i32): usize {
  const p = cursor;
  cursor = (cursor + <usize>bytes + 15) & ~<usize>15;
  return p;
}

/**
 * Lays out memory for the given configuration (already validated by the TypeScript side).
 * Returns 0, or -1 if memory could not grow.
 */
export function init(
  windowFragments: i32,
  maxNeighbors: i32,
  maxBatch: i32,
  mapBatchBytes: i32,
  maxPullsPerRound: i32,
  pushLimit: i32,
  windowDurationMs: f64,
  relayMarginMs: f64,
  fetchPeriodMs: f64,
  pushPeriodMs: f64,
  updatePeriodMs: f64,
  pushNeighborLimitN: i32,
  maxOutstandingPulls: i32,
  flags: i32,
): i32 {
  C = windowFragments;
  CMASK = <i64>(C - 1);
  W = C >>> 6;
  M = maxNeighbors;
  B = maxBatch;
  MB = mapBatchBytes;
  R = maxPullsPerRound;
  PUSHCAP = pushLimit + 1;
  windowDuration = windowDurationMs;
  relayMargin = relayMarginMs;
  fetchPeriod = fetchPeriodMs;
  pushPeriod = pushPeriodMs;
  updatePeriod = updatePeriodMs;
  pushNeighborLimit = pushNeighborLimitN;
  maxOutstanding = maxOutstandingPulls;
  sendToAll = (flags & 1) != 0;
  pushProbe = (flags & 2) != 0;

  cursor = (__heap_base + 15) & ~<usize>15;
  pArrIds = area(B << 3);
  pArrTimes = area(B << 3);
  pArrFrom = area(B << 2);
  pPushIds = area((B * PUSHCAP) << 3);
  pPushNb = area((B * PUSHCAP) << 2);
  pMapNb = area(B << 2);
  pMapTime = area(B << 3);
  pMapLast = area(B << 3);
  pMapOff = area(B << 2);
  pMapLen = area(B << 2);
  pMapBytes = area(MB);
  pPullIds = area(R << 3);
  pPullNb = area(R << 2);
  pMaskNb = area(M << 2);
  pMaskVal = area(M << 2);
  pAnnBits = area(C >>> 3);
  pOutcome = area(8 << 3);
  pStats = area(16 << 3);
  pInfo = area(8 << 3);

  pHeld = area(W << 3);
  pAnnBitsSet = area(W << 3);
  pEntry = area(C << 3);
  pArrival = area(C << 3);
  pAnnounced = area(C << 3);
  pPullN = area(C << 2);
  pPullT = area(C << 3);

  pPresent = area(M);
  pMapLow = area(M << 3);
  pMapHigh = area(M << 3);
  pNMapTime = area(M << 3);
  pNMapLast = area(M << 3);
  pClass = area(M << 2);
  pAsked = area(M << 2);
  pSent = area(M << 2);
  pRequest = area(M << 2);
  pLatency = area(M << 3);
  pBits = area(M * (W << 3));

  const needPages = <i32>((cursor + 0xffff) >>> 16);
  const have = memory.size();
  if (needPages > have && memory.grow(needPages - have) < 0) return -1;

  // Fresh memory is zero; set the non-zero initial values.
  for (let s = 0; s < C; s++) {
    setF64(pAnnounced, s, -1);
    setI32(pPullN, s, -1);
  }
  for (let n = 0; n < M; n++) {
    setF64(pMapHigh, n, -1);
    setF64(pNMapTime, n, -1);
    setF64(pNMapLast, n, -1);
  }
  base = 0;
  head = -1;
  clock = 0;
  lastHeld = -1;
  heldCount = 0;
  outstanding = 0;
  N = 0;
  neighborCount = 0;
  pullCursor = 0;
  pushOutCursor = 0;
  announceCursor = 0;
  probeClass = 0;
  lastPushRound = -Infinity;
  lastAnnounceTime = -Infinity;
  lastAnnouncedId = -1;
  accepted = 0;
  duplicates = 0;
  late = 0;
  evicted = 0;
  missed = 0;
  rejected = 0;
  return 0;
}

/** Addresses of the I/O areas, by index (see src/engine/window/wasm.ts). */
export function ptr(which: i32): usize {
  switch (which) {
    case 0: return pArrIds;
    case 1: return pArrTimes;
    case 2: return pArrFrom;
    case 3: return pPushIds;
    case 4: return pPushNb;
    case 5: return pMapNb;
    case 6: return pMapTime;
    case 7: return pMapLast;
    case 8: return pMapOff;
    case 9: return pMapLen;
    case 10: return pMapBytes;
    case 11: return pPullIds;
    case 12: return pPullNb;
    case 13: return pMaskNb;
    case 14: return pMaskVal;
    case 15: return pAnnBits;
    case 16: return pOutcome;
    case 17: return pStats;
    case 18: return pInfo;
    default: return 0;
  }
}

// ---- window maintenance ----

function dropSlot(id: f64): void {
  const s = slotOf(id);
  if (bitTest(pHeld, s)) {
    bitClear(pHeld, s);
    heldCount--;
    evicted += 1;
  } else {
    missed += 1;
    if (i32At(pPullN, s) >= 0) outstanding--;
  }
  setI32(pPullN, s, -1);
}

function evictOld(): void {
  const limit = windowDuration + relayMargin;
  while (base <= head && clock - f64At(pEntry, slotOf(base)) > limit) {
    dropSlot(base);
    base += 1;
  }
}

function advanceHead(id: f64): void {
  const newBase = max<f64>(base, id - <f64>C + 1);
  const dropTo = min<f64>(newBase - 1, head);
  for (let x = base; x <= dropTo; x += 1) dropSlot(x);
  const from = max<f64>(head + 1, newBase);
  base = newBase;
  for (let x = from; x <= id; x += 1) {
    const s = slotOf(x);
    bitClear(pHeld, s);
    setF64(pEntry, s, clock);
    setF64(pArrival, s, 0);
    setF64(pAnnounced, s, -1);
    bitClear(pAnnBitsSet, s);
    setI32(pPullN, s, -1);
    setF64(pPullT, s, 0);
  }
  head = id;
}

@inline function tick(t: f64): void {
  if (t > clock) clock = t;
  evictOld();
}

// ---- neighbors ----

@inline function present(n: i32): bool {
  return u8At(pPresent, n) != 0;
}

function nHolds(n: i32, id: f64): bool {
  if (id < f64At(pMapLow, n) || id > f64At(pMapHigh, n)) return false;
  return bitTest(nBitsPtr(n), slotOf(id));
}

/** Lowest free slot, or -1 when all are in use. */
export function addNeighbor(): i32 {
  for (let n = 0; n < M; n++) {
    if (present(n)) continue;
    setU8(pPresent, n, 1);
    setF64(pMapLow, n, 0);
    setF64(pMapHigh, n, -1);
    setF64(pNMapTime, n, -1);
    setF64(pNMapLast, n, -1);
    setI32(pClass, n, 0);
    setI32(pAsked, n, 0);
    setI32(pSent, n, 0);
    setI32(pRequest, n, 0);
    setF64(pLatency, n, fetchPeriod);
    if (n + 1 > N) N = n + 1;
    neighborCount++;
    return n;
  }
  return -1;
}

/** Returns 0, or -1 if the slot is not in use. */
export function removeNeighbor(slot: i32): i32 {
  if (slot < 0 || slot >= M || !present(slot)) return -1;
  setU8(pPresent, slot, 0);
  setI32(pAsked, slot, 0);
  setI32(pSent, slot, 0);
  setI32(pRequest, slot, 0);
  setF64(pMapHigh, slot, -1);
  setF64(pMapLow, slot, 0);
  neighborCount--;
  for (let s = 0; s < C; s++) {
    if (i32At(pPullN, s) == slot) {
      setI32(pPullN, s, -1);
      outstanding--;
    }
  }
  let n = N;
  while (n > 0 && !present(n - 1)) n--;
  N = n;
  return 0;
}

export function setPushRequest(slot: i32, mask: i32): i32 {
  if (slot < 0 || slot >= M || !present(slot)) return -1;
  setI32(pRequest, slot, mask & 0xff);
  return 0;
}

// ---- arrivals ----

function pushOut(id: f64, from: i32, out: i32): i32 {
  if (N == 0) return out;
  const bit = 1 << classOf(id);
  const start = pushOutCursor < N ? pushOutCursor : 0;
  let sent = 0;
  let last = -1;
  for (let i = 0; i < N && sent < PUSHCAP; i++) {
    let n = start + i;
    if (n >= N) n -= N;
    if (!present(n) || n == from || (i32At(pRequest, n) & bit) == 0) continue;
    if (nHolds(n, id)) continue;
    setF64(pPushIds, out, id);
    setI32(pPushNb, out, n);
    out++;
    sent++;
    last = n;
  }
  if (last >= 0) pushOutCursor = last + 1 < N ? last + 1 : 0;
  return out;
}

/** Ingests arrivals [0, count); returns the number of push-out records, or -1 if count is out of range. */
export function ingestArrivals(count: i32): i32 {
  if (count < 0 || count > B) return -1;
  let out = 0;
  for (let i = 0; i < count; i++) {
    const id = f64At(pArrIds, i);
    const t = f64At(pArrTimes, i);
    let from = i32At(pArrFrom, i);
    if (!validId(id) || !validTime(t)) {
      rejected += 1;
      continue;
    }
    if (from < 0 || from >= M || !present(from)) from = -1;
    tick(t);
    if (id < base) {
      late += 1;
      continue;
    }
    if (id > head) advanceHead(id);
    const s = slotOf(id);
    let sample: f64;
    if (bitTest(pHeld, s)) {
      duplicates += 1;
      sample = t - f64At(pArrival, s);
      if (sample < 0) sample = 0;
    } else {
      if (clock - f64At(pEntry, s) > windowDuration) {
        late += 1;
        continue;
      }
      bitSet(pHeld, s);
      heldCount++;
      accepted += 1;
      setF64(pArrival, s, t);
      if (i32At(pPullN, s) >= 0) {
        setI32(pPullN, s, -1);
        outstanding--;
      }
      if (id > lastHeld) lastHeld = id;
      sample = 0;
      out = pushOut(id, from, out);
    }
    if (from >= 0) setF64(pLatency, from, Math.floor((f64At(pLatency, from) * 3 + sample) / 4));
  }
  return out;
}

// ---- neighbor maps ----

function ingestMap(n: i32, L: f64, off: i32, len: i32): void {
  const words = nBitsPtr(n);
  memory.fill(words, 0, <usize>W << 3);
  if (L < base) {
    setF64(pMapLow, n, 0);
    setF64(pMapHigh, n, -1);
    setI32(pClass, n, 0);
    return;
  }
  const low = max<f64>(base, L - 8 * <f64>len);
  // Work in i64 below: every ID in [low, L] is a safe integer.
  const lowI = <i64>low;
  const LI = <i64>L;
  let s = <i32>(LI & CMASK);
  bitSet(words, s);
  let classMask: u32 = 1 << <u32>(LI & 7);
  if (f64At(pAnnounced, s) < 0) {
    setF64(pAnnounced, s, clock);
    bitSet(pAnnBitsSet, s);
  }
  const src = pMapBytes + <usize>off;
  // A byte at a time: byte i covers IDs lo .. lo + 7 with lo = L - 8 - 8i, bit b = ID lo + 7 - b.
  for (let i = 0; i < len; i++) {
    const top = LI - 1 - 8 * <i64>i;
    if (top < lowI) break;
    let byte = <u32>load<u8>(src + <usize>i);
    if (byte == 0) continue;
    const span = top - lowI; // bits b <= span are at or above low
    if (span < 7) byte &= (<u32>1 << <u32>(span + 1)) - 1;
    const lo = top - 7;
    const bits = rev8(byte); // bit j = ID lo + j
    s = <i32>(lo & CMASK);
    or8(words, s, bits);
    const c = <u32>(lo & 7);
    classMask |= ((bits << c) | (bits >> (8 - c))) & 0xff;
    // First announcements: only the bits not yet announced by anyone need a time.
    let fresh = bits & ~get8(pAnnBitsSet, s);
    if (fresh == 0) continue;
    or8(pAnnBitsSet, s, fresh);
    while (fresh != 0) {
      const j = ctz<u32>(fresh);
      fresh &= fresh - 1;
      setF64(pAnnounced, (s + <i32>j) & <i32>CMASK, clock);
    }
  }
  setF64(pMapLow, n, low);
  setF64(pMapHigh, n, L);
  setI32(pClass, n, <i32>classMask);
}

/** Ingests maps [0, count); returns 0, or -1 if count is out of range. */
export function ingestMaps(count: i32): i32 {
  if (count < 0 || count > B) return -1;
  for (let i = 0; i < count; i++) {
    const n = i32At(pMapNb, i);
    const t = f64At(pMapTime, i);
    const L = f64At(pMapLast, i);
    const off = i32At(pMapOff, i);
    const len = i32At(pMapLen, i);
    if (n < 0 || n >= M || !present(n) || !validTime(t) || !validId(L) || off < 0 || len < 0 || off > MB - len) {
      rejected += 1;
      continue;
    }
    tick(t);
    if (L > head) advanceHead(L);
    ingestMap(n, L, off, len);
    setF64(pNMapTime, n, t);
    setF64(pNMapLast, n, L);
  }
  return 0;
}

// ---- round ----

function better(a: i32, b: i32): bool {
  if (b < 0) return true;
  const la = f64At(pLatency, a);
  const lb = f64At(pLatency, b);
  if (la != lb) return la < lb;
  const pa = popcnt<i32>(i32At(pAsked, a));
  const pb = popcnt<i32>(i32At(pAsked, b));
  if (pa != pb) return pa < pb;
  return a < b;
}

function pickPusher(k: i32, exclude: i32, distinct: i32): i32 {
  const bit = 1 << k;
  const full = distinct >= pushNeighborLimit;
  let best = -1;
  for (let n = 0; n < N; n++) {
    if (!present(n) || n == exclude) continue;
    if ((i32At(pClass, n) & bit) == 0 || (i32At(pAsked, n) & bit) != 0) continue;
    if (full && i32At(pAsked, n) == 0) continue;
    if (better(n, best)) best = n;
  }
  return best;
}

function pushRound(): void {
  for (let k = 0; k < 8; k++) {
    const bit = 1 << k;
    let keep = -1;
    for (let n = 0; n < N; n++) {
      if (!present(n) || (i32At(pAsked, n) & bit) == 0) continue;
      if (keep < 0) {
        keep = n;
        continue;
      }
      if (f64At(pLatency, n) < f64At(pLatency, keep)) {
        setI32(pAsked, keep, i32At(pAsked, keep) & ~bit);
        keep = n;
      } else {
        setI32(pAsked, n, i32At(pAsked, n) & ~bit);
      }
    }
  }
  let distinct = 0;
  let covered = 0;
  for (let n = 0; n < N; n++) {
    if (!present(n)) continue;
    const a = i32At(pAsked, n);
    if (a != 0) distinct++;
    covered |= a;
  }
  let filled = 0;
  for (let k = 0; k < 8; k++) {
    const bit = 1 << k;
    if ((covered & bit) != 0) continue;
    const n = pickPusher(k, -1, distinct);
    if (n < 0) continue;
    if (i32At(pAsked, n) == 0) distinct++;
    setI32(pAsked, n, i32At(pAsked, n) | bit);
    filled |= bit;
  }
  if (pushProbe) {
    const k = probeClass;
    probeClass = (k + 1) & 7;
    const bit = 1 << k;
    if ((covered & bit) != 0 && (filled & bit) == 0) {
      let pusher = -1;
      for (let n = 0; n < N; n++) {
        if (present(n) && (i32At(pAsked, n) & bit) != 0) {
          pusher = n;
          break;
        }
      }
      const n = pickPusher(k, pusher, distinct);
      if (n >= 0) setI32(pAsked, n, i32At(pAsked, n) | bit);
    }
  }
}

function collectMasks(): i32 {
  let count = 0;
  for (let n = 0; n < N; n++) {
    if (!present(n)) continue;
    const a = i32At(pAsked, n);
    if (a == i32At(pSent, n)) continue;
    setI32(pSent, n, a);
    setI32(pMaskNb, count, n);
    setI32(pMaskVal, count, a);
    count++;
  }
  return count;
}

function pickHolder(id: f64, exclude: i32): i32 {
  const start = pullCursor < N ? pullCursor : 0;
  // Hoisted per ID: the slot's word and bit are the same in every neighbor's bitset.
  const s = slotOf(id);
  const wordOff = <usize>(s >>> 6) << 3;
  const bit = <u64>1 << <u64>(s & 63);
  for (let i = 0; i < N; i++) {
    let n = start + i;
    if (n >= N) n -= N;
    if (n == exclude || !present(n)) continue;
    if (id < f64At(pMapLow, n) || id > f64At(pMapHigh, n)) continue;
    if ((load<u64>(nBitsPtr(n) + wordOff) & bit) != 0) return n;
  }
  if (exclude >= 0 && present(exclude) && nHolds(exclude, id)) return exclude;
  return -1;
}

function pullRound(): i32 {
  if (N == 0) return 0;
  let count = 0;
  for (let id = head; id >= base && count < R; id -= 1) {
    const s = slotOf(id);
    if (clock - f64At(pEntry, s) > windowDuration) break;
    if (bitTest(pHeld, s)) continue;
    const a = f64At(pAnnounced, s);
    if (a < 0 || clock - a <= fetchPeriod) continue;
    const p = i32At(pPullN, s);
    if (p >= 0) {
      if (clock - f64At(pPullT, s) <= fetchPeriod) continue;
    } else if (outstanding >= maxOutstanding) {
      continue;
    }
    const n = pickHolder(id, p);
    if (n < 0) continue;
    if (p < 0) outstanding++;
    setI32(pPullN, s, n);
    setF64(pPullT, s, clock);
    pullCursor = n + 1 < N ? n + 1 : 0;
    setF64(pPullIds, count, id);
    setI32(pPullNb, count, n);
    count++;
  }
  return count;
}

/** Writes the announce fields of the outcome area; returns whether a map is due. */
function announceRound(): void {
  const L = lastHeld;
  if (L < base || L == lastAnnouncedId) return;
  if (clock - lastAnnounceTime < updatePeriod) return;
  let target = -1;
  if (!sendToAll) {
    const start = announceCursor < N ? announceCursor : 0;
    for (let i = 0; i < N; i++) {
      let n = start + i;
      if (n >= N) n -= N;
      if (present(n)) {
        target = n;
        break;
      }
    }
    if (target < 0) return;
    announceCursor = target + 1 < N ? target + 1 : 0;
  }
  const LI = <i64>L;
  const baseI = <i64>base;
  const nbits = <i32>(LI - baseI);
  const nbytes = (nbits + 7) >>> 3;
  let used = 0;
  for (let i = 0; i < nbytes; i++) {
    // Byte i covers IDs lo .. lo + 7 (lo = L - 8 - 8i); IDs below base are not described.
    const lo = LI - 8 - 8 * <i64>i;
    let bits = get8(pHeld, <i32>(lo & CMASK));
    if (lo < baseI) bits &= ~((<u32>1 << <u32>(baseI - lo)) - 1);
    const byte = rev8(bits);
    store<u8>(pAnnBits + <usize>i, <u8>byte);
    if (byte != 0) used = i + 1;
  }
  lastAnnouncedId = L;
  lastAnnounceTime = clock;
  setF64(pOutcome, 2, 1);
  setF64(pOutcome, 3, L);
  setF64(pOutcome, 4, <f64>used);
  setF64(pOutcome, 5, <f64>target);
}

/**
 * One scheduling round. Outcome area (f64): [pullCount, maskCount, announce(0/1),
 * announceLastId, announceLength, announceTarget]. Returns the pull count.
 */
export function round(now: f64): i32 {
  setF64(pOutcome, 0, 0);
  setF64(pOutcome, 1, 0);
  setF64(pOutcome, 2, 0);
  setF64(pOutcome, 3, -1);
  setF64(pOutcome, 4, 0);
  setF64(pOutcome, 5, -1);
  if (!validTime(now)) {
    rejected += 1;
    return 0;
  }
  tick(now);
  if (clock - lastPushRound >= pushPeriod) {
    lastPushRound = clock;
    pushRound();
    setF64(pOutcome, 1, <f64>collectMasks());
  }
  const pulls = pullRound();
  setF64(pOutcome, 0, <f64>pulls);
  announceRound();
  return pulls;
}

// ---- inspection ----

export function holds(id: f64): i32 {
  if (!validId(id) || id < base || id > head) return 0;
  return bitTest(pHeld, slotOf(id)) ? 1 : 0;
}

export function neighborHolds(slot: i32, id: f64): i32 {
  if (slot < 0 || slot >= M || !present(slot)) return 0;
  if (!validId(id) || id < base || id > head) return 0;
  return nHolds(slot, id) ? 1 : 0;
}

/** Stats area (f64), in WindowStats field order. */
export function writeStats(): void {
  setF64(pStats, 0, base);
  setF64(pStats, 1, head);
  setF64(pStats, 2, lastHeld);
  setF64(pStats, 3, <f64>heldCount);
  setF64(pStats, 4, accepted);
  setF64(pStats, 5, duplicates);
  setF64(pStats, 6, late);
  setF64(pStats, 7, evicted);
  setF64(pStats, 8, missed);
  setF64(pStats, 9, rejected);
  setF64(pStats, 10, <f64>outstanding);
  setF64(pStats, 11, <f64>neighborCount);
}

/** Info area (f64): [present, pushInMask, pushOutMask, latency, mapLastId, mapTime, classMask]. */
export function writeNeighborInfo(slot: i32): void {
  if (slot < 0 || slot >= M || !present(slot)) {
    setF64(pInfo, 0, 0);
    setF64(pInfo, 1, 0);
    setF64(pInfo, 2, 0);
    setF64(pInfo, 3, 0);
    setF64(pInfo, 4, -1);
    setF64(pInfo, 5, -1);
    setF64(pInfo, 6, 0);
    return;
  }
  setF64(pInfo, 0, 1);
  setF64(pInfo, 1, <f64>i32At(pAsked, slot));
  setF64(pInfo, 2, <f64>i32At(pRequest, slot));
  setF64(pInfo, 3, f64At(pLatency, slot));
  setF64(pInfo, 4, f64At(pNMapLast, slot));
  setF64(pInfo, 5, f64At(pNMapTime, slot));
  setF64(pInfo, 6, <f64>i32At(pClass, slot));
}
