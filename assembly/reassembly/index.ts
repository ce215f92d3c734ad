// Flow receiver reassembly (RFC 7016 §3.6.3), the WASM twin of
// src/engine/reassembly/reference.ts; the semantics are documented in
// src/engine/reassembly/types.ts and the two are held equal by test/reassembly-*.test.ts.
//
// Manual memory (runtime stub, no GC objects): init() lays out every region once above
// __heap_base and grows memory to fit; the TS side reads the layout through layout(i) and
// keeps typed-array views of it. Sequence numbers are f64 (integers up to 2^53, exact).

// ---- layout indices (mirrored in src/engine/reassembly/wasm.ts) ----
const L_BATCH_FLOW: i32 = 0;
const L_BATCH_FLAGS: i32 = 1;
const L_BATCH_SEQ: i32 = 2;
const L_BATCH_FWD: i32 = 3;
const L_BATCH_OFF: i32 = 4;
const L_BATCH_LEN: i32 = 5;
const L_BATCH_VERDICT: i32 = 6;
const L_BATCH_DATA: i32 = 7;
const L_DELIVERY_DATA: i32 = 8;
const L_DELIV_FLOW: i32 = 9;
const L_DELIV_FIRST: i32 = 10;
const L_DELIV_LAST: i32 = 11;
const L_DELIV_OFF: i32 = 12;
const L_DELIV_LEN: i32 = 13;
const L_AB_FLOW: i32 = 14;
const L_AB_FIRST: i32 = 15;
const L_AB_LAST: i32 = 16;
const L_AB_FRAGS: i32 = 17;
const L_AB_BYTES: i32 = 18;
const L_ACK_FROM: i32 = 19;
const L_ACK_TO: i32 = 20;
const L_FLOWS: i32 = 21;
const L_END: i32 = 22;
const L_COUNT: i32 = 23;

// ---- per-flow fields, f64 each (mirrored in wasm.ts) ----
const F_OPEN: u32 = 0;
const F_NETWORK: u32 = 1;
const F_DELIVERED_THROUGH: u32 = 2;
const F_CSN: u32 = 3;
const F_FSN: u32 = 4;
const F_FINAL: u32 = 5;
const F_HIGHEST: u32 = 6;
const F_OCCUPIED: u32 = 7;
const F_BLOCKS: u32 = 8;
const F_BUFFERED_BYTES: u32 = 9;
const F_ACCEPTED: u32 = 10;
const F_DUPLICATES: u32 = 11;
const F_REF_CAPACITY: u32 = 12;
const F_REF_WINDOW: u32 = 13;
const F_REF_MESSAGE: u32 = 14;
const F_REF_INVALID: u32 = 15;
const F_DELIV_MESSAGES: u32 = 16;
const F_DELIV_BYTES: u32 = 17;
const F_AB_RUNS: u32 = 18;
const F_AB_BYTES: u32 = 19;
const F_ABOVE_CSN: u32 = 20;
const F_HOLES: u32 = 21;
const FLOW_BYTES: u32 = 256;

// ---- ring slot: state u8 @0, fra u8 @1, length u16 @2, block i32 @4, run u32 @8 ----
const SLOT_BYTES: u32 = 12;
const S_EMPTY: u8 = 0;
const S_BUFFERED: u8 = 1;
const S_ABANDONED: u8 = 2;
const S_DELIVERED: u8 = 3;

const FRA_WHOLE: u8 = 0;
const FRA_BEGIN: u8 = 1;
const FRA_END: u8 = 2;
const FRA_MIDDLE: u8 = 3;

const V_ACCEPTED: u8 = 0;
const V_DUPLICATE: u8 = 1;
const V_CAPACITY: u8 = 2;
const V_WINDOW: u8 = 3;
const V_MESSAGE: u8 = 4;
const V_INVALID: u8 = 5;

const MAX_SEQUENCE: f64 = 9007199254740991.0;

// ---- configuration (set by init) ----
let maxFlows: u32 = 0;
let maxFragmentBytes: u32 = 0;
let blockBytes: u32 = 0;
let poolBlocks: u32 = 0;
let flowBlocks: u32 = 0;
let maxFragmentsPerMessage: u32 = 0;
let windowSequences: f64 = 0;
let ringSize: u32 = 0;
let ringMask: i64 = 0;
let maxBatch: u32 = 0;
let batchDataBytes: u32 = 0;
let maxAckRanges: u32 = 0;

// ---- regions ----
let batchFlow: usize = 0;
let batchFlags: usize = 0;
let batchSeq: usize = 0;
let batchFwd: usize = 0;
let batchOff: usize = 0;
let batchLen: usize = 0;
let batchVerdict: usize = 0;
let batchData: usize = 0;
let pool: usize = 0;
let freeList: usize = 0;
let deliveryData: usize = 0;
let delivFlow: usize = 0;
let delivFirst: usize = 0;
let delivLast: usize = 0;
let delivOff: usize = 0;
let delivLen: usize = 0;
let abFlow: usize = 0;
let abFirst: usize = 0;
let abLast: usize = 0;
let abFrags: usize = 0;
let abBytes: usize = 0;
let ackFrom: usize = 0;
let ackTo: usize = 0;
let flows: usize = 0;
let rings: usize = 0;
let end: usize = 0;

// ---- mutable state ----
let freeTop: u32 = 0;
let deliveryUsed: u32 = 0;
let deliveredCount: u32 = 0;
let abandonedCount: u32 = 0;
let invalidRecords: f64 = 0;
let openFlowCount: u32 = 0;
/** Sum of every open flow's holes: blocks promised to gaps (see admit). */
let sumHoles: f64 = 0;

@inline function align8(p: usize): usize {
  return (p + 7) & ~(<usize>7);
}

/**
 * Lays out all memory; returns 0, or -1 if memory cannot grow that far. The TS side has
 * validated the parameters (resolveReassemblyConfig) and computed the derived sizes.
 */
export function init(
  flowsMax: u32, fragmentMax: u32, blockSize: u32, blocksInPool: u32, blocksPerFlow: u32,
  fragmentsPerMessage: u32, window: u32, ring: u32, batchMax: u32,
  stagingBytes: u32, deliveryBytes: u32, outputs: u32, ackRangesMax: u32,
): i32 {
  maxFlows = flowsMax;
  maxFragmentBytes = fragmentMax;
  blockBytes = blockSize;
  poolBlocks = blocksInPool;
  flowBlocks = blocksPerFlow;
  maxFragmentsPerMessage = fragmentsPerMessage;
  windowSequences = <f64>window;
  ringSize = ring;
  ringMask = <i64>(ring - 1);
  maxBatch = batchMax;
  batchDataBytes = stagingBytes;
  maxAckRanges = ackRangesMax;

  let p: usize = align8(__heap_base);
  batchFlow = p; p = align8(p + <usize>batchMax * 4);
  batchFlags = p; p = align8(p + <usize>batchMax);
  batchSeq = p; p = align8(p + <usize>batchMax * 8);
  batchFwd = p; p = align8(p + <usize>batchMax * 8);
  batchOff = p; p = align8(p + <usize>batchMax * 4);
  batchLen = p; p = align8(p + <usize>batchMax * 4);
  batchVerdict = p; p = align8(p + <usize>batchMax);
  batchData = p; p = align8(p + <usize>stagingBytes);
  pool = p; p = align8(p + <usize>blocksInPool * <usize>blockSize);
  freeList = p; p = align8(p + <usize>blocksInPool * 4);
  deliveryData = p; p = align8(p + <usize>deliveryBytes);
  delivFlow = p; p = align8(p + <usize>outputs * 4);
  delivFirst = p; p = align8(p + <usize>outputs * 8);
  delivLast = p; p = align8(p + <usize>outputs * 8);
  delivOff = p; p = align8(p + <usize>outputs * 4);
  delivLen = p; p = align8(p + <usize>outputs * 4);
  abFlow = p; p = align8(p + <usize>outputs * 4);
  abFirst = p; p = align8(p + <usize>outputs * 8);
  abLast = p; p = align8(p + <usize>outputs * 8);
  abFrags = p; p = align8(p + <usize>outputs * 4);
  abBytes = p; p = align8(p + <usize>outputs * 4);
  ackFrom = p; p = align8(p + <usize>ackRangesMax * 8);
  ackTo = p; p = align8(p + <usize>ackRangesMax * 8);
  flows = p; p = align8(p + <usize>flowsMax * FLOW_BYTES);
  rings = p; p = align8(p + <usize>flowsMax * <usize>ring * SLOT_BYTES);
  end = p;

  const needPages = <i32>((end + 0xffff) >> 16);
  const have = memory.size();
  if (needPages > have) {
    if (memory.grow(needPages - have) < 0) return -1;
  }
  // Hand out low blocks first (stack popped from the top).
  for (let i: u32 = 0; i < blocksInPool; i++) store<i32>(freeList + (<usize>i << 2), <i32>(blocksInPool - 1 - i));
  freeTop = blocksInPool;
  memory.fill(flows, 0, <usize>flowsMax * FLOW_BYTES);
  return 0;
}

export function layout(i: i32): usize {
  switch (i) {
    case L_BATCH_FLOW: return batchFlow;
    case L_BATCH_FLAGS: return batchFlags;
    case L_BATCH_SEQ: return batchSeq;
    case L_BATCH_FWD: return batchFwd;
    case L_BATCH_OFF: return batchOff;
    case L_BATCH_LEN: return batchLen;
    case L_BATCH_VERDICT: return batchVerdict;
    case L_BATCH_DATA: return batchData;
    case L_DELIVERY_DATA: return deliveryData;
    case L_DELIV_FLOW: return delivFlow;
    case L_DELIV_FIRST: return delivFirst;
    case L_DELIV_LAST: return delivLast;
    case L_DELIV_OFF: return delivOff;
    case L_DELIV_LEN: return delivLen;
    case L_AB_FLOW: return abFlow;
    case L_AB_FIRST: return abFirst;
    case L_AB_LAST: return abLast;
    case L_AB_FRAGS: return abFrags;
    case L_AB_BYTES: return abBytes;
    case L_ACK_FROM: return ackFrom;
    case L_ACK_TO: return ackTo;
    case L_FLOWS: return flows;
    case L_END: return end;
    default: return 0;
  }
}

export function layoutCount(): i32 {
  return L_COUNT;
}

// ---- field and slot helpers ----
@inline function fget(f: usize, k: u32): f64 {
  return load<f64>(f + (<usize>k << 3));
}
@inline function fset(f: usize, k: u32, v: f64): void {
  store<f64>(f + (<usize>k << 3), v);
}
@inline function finc(f: usize, k: u32, by: f64): void {
  const a = f + (<usize>k << 3);
  store<f64>(a, load<f64>(a) + by);
}
@inline function flowPtr(slot: u32): usize {
  return flows + <usize>slot * FLOW_BYTES;
}
@inline function ringPtr(slot: u32): usize {
  return rings + <usize>slot * <usize>ringSize * SLOT_BYTES;
}
@inline function slotPtr(ring: usize, seq: f64): usize {
  return ring + <usize>(<i64>seq & ringMask) * SLOT_BYTES;
}
@inline function sState(s: usize): u8 { return load<u8>(s); }
@inline function sFra(s: usize): u8 { return load<u8>(s, 1); }
@inline function sLen(s: usize): u32 { return <u32>load<u16>(s, 2); }
@inline function sBlock(s: usize): u32 { return load<u32>(s, 4); }
@inline function sRun(s: usize): u32 { return load<u32>(s, 8); }

export function openFlow(network: i32): i32 {
  for (let i: u32 = 0; i < maxFlows; i++) {
    const f = flowPtr(i);
    if (fget(f, F_OPEN) != 0) continue;
    memory.fill(f, 0, FLOW_BYTES);
    fset(f, F_OPEN, 1);
    fset(f, F_NETWORK, network ? 1 : 0);
    fset(f, F_FINAL, -1);
    memory.fill(ringPtr(i), 0, <usize>ringSize * SLOT_BYTES);
    openFlowCount++;
    return <i32>i;
  }
  return -1;
}

/** Returns 0, or -1 if the slot is not open. */
export function closeFlow(slot: i32): i32 {
  if (slot < 0 || <u32>slot >= maxFlows) return -1;
  const f = flowPtr(<u32>slot);
  if (fget(f, F_OPEN) == 0) return -1;
  const r = ringPtr(<u32>slot);
  for (let i: u32 = 0; i < ringSize; i++) {
    const s = r + <usize>i * SLOT_BYTES;
    if (sState(s) == S_BUFFERED) {
      store<u32>(freeList + (<usize>freeTop << 2), sBlock(s));
      freeTop++;
    }
    store<u8>(s, S_EMPTY);
  }
  sumHoles -= fget(f, F_HOLES);
  fset(f, F_OPEN, 0);
  openFlowCount--;
  return 0;
}

export function isOpen(slot: i32): i32 {
  if (slot < 0 || <u32>slot >= maxFlows) return 0;
  return fget(flowPtr(<u32>slot), F_OPEN) != 0 ? 1 : 0;
}

export function poolFree(): u32 { return freeTop; }
export function promisedBlocks(): f64 { return sumHoles; }
export function openFlows(): u32 { return openFlowCount; }
export function invalidRecordCount(): f64 { return invalidRecords; }
export function abandonedInLastCall(): u32 { return abandonedCount; }

/** Ranges of the set above the cumulative ack, written to ackFrom/ackTo; returns the count. */
export function ackRanges(slot: i32): u32 {
  const f = flowPtr(<u32>slot);
  const r = ringPtr(<u32>slot);
  let hi = fget(f, F_HIGHEST);
  const lim = fget(f, F_DELIVERED_THROUGH) + <f64>ringSize;
  if (lim < hi) hi = lim;
  let q = fget(f, F_CSN) + 1;
  let n: u32 = 0;
  while (n < maxAckRanges) {
    while (q <= hi && sState(slotPtr(r, q)) == S_EMPTY) q += 1;
    if (q > hi) break;
    const from = q;
    while (q <= hi && sState(slotPtr(r, q)) != S_EMPTY) q += 1;
    store<f64>(ackFrom + (<usize>n << 3), from);
    store<f64>(ackTo + (<usize>n << 3), q - 1);
    n++;
  }
  return n;
}

// ---- outputs ----
function emitDelivery(slot: u32, first: f64, last: f64, start: u32, len: u32): void {
  const k = <usize>deliveredCount;
  deliveredCount++;
  store<i32>(delivFlow + (k << 2), <i32>slot);
  store<f64>(delivFirst + (k << 3), first);
  store<f64>(delivLast + (k << 3), last);
  store<u32>(delivOff + (k << 2), start);
  store<u32>(delivLen + (k << 2), len);
}

/** Gathers a run into the delivery area and frees its blocks; slots become `after`. */
function deliverRun(slot: u32, f: usize, r: usize, first: f64, last: f64, after: u8): void {
  const start = deliveryUsed;
  let dst = deliveryData + <usize>start;
  let bytes: u32 = 0;
  for (let q = first; q <= last; q += 1) {
    const s = slotPtr(r, q);
    const b = sBlock(s);
    const len = sLen(s);
    memory.copy(dst, pool + <usize>b * <usize>blockBytes, <usize>len);
    dst += <usize>len;
    bytes += len;
    store<u32>(freeList + (<usize>freeTop << 2), b);
    freeTop++;
    store<u8>(s, after);
  }
  const n = last - first + 1;
  finc(f, F_BLOCKS, -n);
  finc(f, F_BUFFERED_BYTES, -<f64>bytes);
  if (after == S_EMPTY) finc(f, F_OCCUPIED, -n);
  emitDelivery(slot, first, last, start, bytes);
  deliveryUsed = start + bytes;
  finc(f, F_DELIV_MESSAGES, 1);
  finc(f, F_DELIV_BYTES, <f64>bytes);
}

function abandonRun(slot: u32, f: usize, r: usize, first: f64, last: f64): void {
  let bytes: u32 = 0;
  for (let q = first; q <= last; q += 1) {
    const s = slotPtr(r, q);
    bytes += sLen(s);
    store<u32>(freeList + (<usize>freeTop << 2), sBlock(s));
    freeTop++;
    store<u8>(s, S_EMPTY);
  }
  const n = last - first + 1;
  finc(f, F_BLOCKS, -n);
  finc(f, F_OCCUPIED, -n);
  finc(f, F_BUFFERED_BYTES, -<f64>bytes);
  const k = <usize>abandonedCount;
  abandonedCount++;
  store<i32>(abFlow + (k << 2), <i32>slot);
  store<f64>(abFirst + (k << 3), first);
  store<f64>(abLast + (k << 3), last);
  store<u32>(abFrags + (k << 2), <u32>n);
  store<u32>(abBytes + (k << 2), bytes);
  finc(f, F_AB_RUNS, 1);
  finc(f, F_AB_BYTES, <f64>bytes);
}

/** Delivery walk from deliveredThrough + 1 (RFC 7016 §3.6.3.3); see reference.ts walk(). */
function walk(slot: u32, f: usize, r: usize): void {
  let d = fget(f, F_DELIVERED_THROUGH);
  const csn = fget(f, F_CSN);
  while (d < csn) {
    if (fget(f, F_OCCUPIED) == 0) {
      d = csn;
      break;
    }
    const s = d + 1;
    const sp = slotPtr(r, s);
    const st = sState(sp);
    if (st == S_EMPTY) {
      d = s;
      continue;
    }
    if (st != S_BUFFERED) {
      store<u8>(sp, S_EMPTY);
      finc(f, F_OCCUPIED, -1);
      d = s;
      continue;
    }
    const fr = sFra(sp);
    if (fr == FRA_WHOLE) {
      deliverRun(slot, f, r, s, s, S_EMPTY);
      d = s;
      continue;
    }
    const e = s + <f64>sRun(sp) - 1;
    if (fr == FRA_BEGIN) {
      if (sFra(slotPtr(r, e)) == FRA_END) {
        deliverRun(slot, f, r, s, e, S_EMPTY);
      } else if (e < csn) {
        abandonRun(slot, f, r, s, e);
      } else {
        break;
      }
    } else {
      abandonRun(slot, f, r, s, e);
    }
    d = e;
  }
  fset(f, F_DELIVERED_THROUGH, d);
}

function syncHoles(f: usize): void {
  const h = fget(f, F_HIGHEST) - fget(f, F_CSN) - fget(f, F_ABOVE_CSN);
  sumHoles += h - fget(f, F_HOLES);
  fset(f, F_HOLES, h);
}

/**
 * Buffer admission with hole reservation (see reference.ts admit): blocks plus gaps below the
 * highest number must fit the flow cap, and summed over flows the pool. On success the slot is
 * counted as occupied; the caller sets its state.
 */
function admit(f: usize, seq: f64, block: bool): u8 {
  const csn = fget(f, F_CSN);
  const above: f64 = seq > csn ? 1 : 0;
  let highest = fget(f, F_HIGHEST);
  if (seq > highest) highest = seq;
  const holes = highest - csn - fget(f, F_ABOVE_CSN) - above;
  const add: f64 = block ? 1 : 0;
  if (fget(f, F_BLOCKS) + add + holes > <f64>flowBlocks ||
      <f64>(poolBlocks - freeTop) + add + sumHoles - fget(f, F_HOLES) + holes > <f64>poolBlocks) {
    finc(f, F_REF_CAPACITY, 1);
    return V_CAPACITY;
  }
  finc(f, F_OCCUPIED, 1);
  finc(f, F_ABOVE_CSN, above);
  fset(f, F_HIGHEST, highest);
  syncHoles(f);
  return V_ACCEPTED;
}

/** Moves the cumulative ack up to an FSN, uncounting the occupied slots it passes. */
function advanceTo(f: usize, r: usize, fsn: f64): void {
  let end = fget(f, F_DELIVERED_THROUGH) + <f64>ringSize;
  if (fsn < end) end = fsn;
  let above = fget(f, F_ABOVE_CSN);
  for (let q = fget(f, F_CSN) + 1; above > 0 && q <= end; q += 1) {
    if (sState(slotPtr(r, q)) != S_EMPTY) above -= 1;
  }
  fset(f, F_ABOVE_CSN, above);
  fset(f, F_CSN, fsn);
  if (fsn > fget(f, F_HIGHEST)) fset(f, F_HIGHEST, fsn);
  syncHoles(f);
}

/** Copies a fragment into a pool block and links it to its neighbours; returns the verdict. */
function storeFragment(slot: u32, f: usize, r: usize, seq: f64, fra: u8, off: u32, len: u32): u8 {
  let leftLen: u32 = 0;
  let rightLen: u32 = 0;
  if (fra == FRA_END || fra == FRA_MIDDLE) {
    const q = slotPtr(r, seq - 1);
    const qf = sFra(q);
    if (seq - 1 > fget(f, F_DELIVERED_THROUGH) && sState(q) == S_BUFFERED && (qf == FRA_BEGIN || qf == FRA_MIDDLE)) leftLen = sRun(q);
  }
  if (fra == FRA_BEGIN || fra == FRA_MIDDLE) {
    const q = slotPtr(r, seq + 1);
    const qf = sFra(q);
    if (sState(q) == S_BUFFERED && (qf == FRA_MIDDLE || qf == FRA_END)) rightLen = sRun(q);
  }
  const total = leftLen + 1 + rightLen;
  if (total > maxFragmentsPerMessage) {
    finc(f, F_REF_MESSAGE, 1);
    return V_MESSAGE;
  }
  if (admit(f, seq, true) != V_ACCEPTED) return V_CAPACITY;
  freeTop--;
  const b = load<u32>(freeList + (<usize>freeTop << 2));
  memory.copy(pool + <usize>b * <usize>blockBytes, batchData + <usize>off, <usize>len);
  const sp = slotPtr(r, seq);
  store<u8>(sp, S_BUFFERED);
  store<u8>(sp, fra, 1);
  store<u16>(sp, <u16>len, 2);
  store<u32>(sp, b, 4);
  store<u32>(sp, total, 8);
  const first = seq - <f64>leftLen;
  const last = seq + <f64>rightLen;
  const fp = slotPtr(r, first);
  const lp = slotPtr(r, last);
  store<u32>(fp, total, 8);
  store<u32>(lp, total, 8);
  finc(f, F_BLOCKS, 1);
  finc(f, F_BUFFERED_BYTES, <f64>len);
  if (fget(f, F_NETWORK) != 0 && sFra(fp) == FRA_BEGIN && sFra(lp) == FRA_END) {
    deliverRun(slot, f, r, first, last, S_DELIVERED);
  }
  return V_ACCEPTED;
}

@inline function isSequence(x: f64, min: f64, max: f64): bool {
  return x >= min && x <= max && Math.floor(x) == x;
}

/** One User Data record (RFC 7016 §3.6.3.2); see reference.ts record(). */
function record(i: u32): u8 {
  const slotI = load<i32>(batchFlow + (<usize>i << 2));
  if (slotI < 0 || <u32>slotI >= maxFlows || fget(flowPtr(<u32>slotI), F_OPEN) == 0) {
    invalidRecords += 1;
    return V_INVALID;
  }
  const slot = <u32>slotI;
  const f = flowPtr(slot);
  const r = ringPtr(slot);
  const seq = load<f64>(batchSeq + (<usize>i << 3));
  const fsn = load<f64>(batchFwd + (<usize>i << 3));
  if (!isSequence(seq, 1, MAX_SEQUENCE) || !isSequence(fsn, 0, seq)) {
    finc(f, F_REF_INVALID, 1);
    return V_INVALID;
  }
  const flags = load<u8>(batchFlags + <usize>i);
  const abn = (flags & 0x02) != 0;
  const fin = (flags & 0x01) != 0;
  const fra: u8 = (flags >> 4) & 3;
  let off: u32 = 0;
  let len: u32 = 0;
  if (!abn) {
    off = load<u32>(batchOff + (<usize>i << 2));
    len = load<u32>(batchLen + (<usize>i << 2));
    if (len > maxFragmentBytes || <u64>off + <u64>len > <u64>batchDataBytes) {
      finc(f, F_REF_INVALID, 1);
      return V_INVALID;
    }
  }
  const csn0 = fget(f, F_CSN);
  const d = fget(f, F_DELIVERED_THROUGH);
  const sp = slotPtr(r, seq);
  const fresh = seq > csn0 && (seq > d + <f64>ringSize || sState(sp) == S_EMPTY);
  const finalSeq = fget(f, F_FINAL);
  if (fresh) {
    const finalKnown = finalSeq >= 0;
    if ((finalKnown && seq > finalSeq) || (fin && ((finalKnown && seq != finalSeq) || seq < fget(f, F_HIGHEST)))) {
      finc(f, F_REF_INVALID, 1);
      return V_INVALID;
    }
  }
  if (fsn > fget(f, F_FSN)) fset(f, F_FSN, fsn);
  if (fsn > csn0) advanceTo(f, r, fsn);

  let verdict: u8;
  if (!fresh) {
    finc(f, F_DUPLICATES, 1);
    verdict = V_DUPLICATE;
  } else if (seq > csn0 + windowSequences) {
    finc(f, F_REF_WINDOW, 1);
    verdict = V_WINDOW;
  } else if (abn) {
    verdict = admit(f, seq, false);
    if (verdict == V_ACCEPTED) store<u8>(sp, S_ABANDONED);
  } else if (fra == FRA_WHOLE && (fget(f, F_NETWORK) != 0 || seq == d + 1)) {
    // Deliverable at once: straight from staging, no block.
    verdict = admit(f, seq, false);
    if (verdict == V_ACCEPTED) {
      const start = deliveryUsed;
      memory.copy(deliveryData + <usize>start, batchData + <usize>off, <usize>len);
      emitDelivery(slot, seq, seq, start, len);
      deliveryUsed = start + len;
      finc(f, F_DELIV_MESSAGES, 1);
      finc(f, F_DELIV_BYTES, <f64>len);
      store<u8>(sp, S_DELIVERED);
    }
  } else {
    verdict = storeFragment(slot, f, r, seq, fra, off, len);
  }
  if (verdict == V_ACCEPTED) {
    finc(f, F_ACCEPTED, 1);
    if (fin) fset(f, F_FINAL, seq);
  }
  // Extend the cumulative ack over slots already in the set.
  let csn = fget(f, F_CSN);
  const csnBefore = csn;
  const limit = fget(f, F_DELIVERED_THROUGH) + <f64>ringSize;
  while (csn < limit && sState(slotPtr(r, csn + 1)) != S_EMPTY) csn += 1;
  if (csn != csnBefore) {
    fset(f, F_CSN, csn);
    finc(f, F_ABOVE_CSN, csnBefore - csn);
  }
  syncHoles(f);
  walk(slot, f, r);
  return verdict;
}

/** Processes batch records [0, count); returns messages delivered (abandonedInLastCall() for reports). */
export function process(count: u32): i32 {
  if (count > maxBatch) return -1;
  deliveryUsed = 0;
  deliveredCount = 0;
  abandonedCount = 0;
  for (let i: u32 = 0; i < count; i++) store<u8>(batchVerdict + <usize>i, record(i));
  return <i32>deliveredCount;
}
