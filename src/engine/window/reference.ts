import { freshArray } from '../array-placement.js';
import {
  resolveWindowConfig,
  WindowError,
  WindowErrorCode,
  type FragmentWindow,
  type NeighborInfo,
  type RoundOutcome,
  type WindowArrays,
  type WindowConfig,
  type WindowStats,
} from './types.js';
import { checkBatchCount, emptyRoundOutcome, placeWindowArrays } from './common.js';

const MAX_ID = Number.MAX_SAFE_INTEGER;

/** A valid fragment ID or time: a finite number in [0, 2^53-1] (IDs must also be integers). */
function validTime(t: number): boolean {
  return t >= 0 && t <= MAX_ID;
}
function validId(id: number): boolean {
  return id >= 0 && id <= MAX_ID && Math.floor(id) === id;
}

function popcount8(m: number): number {
  m = m - ((m >> 1) & 0x55);
  m = (m & 0x33) + ((m >> 2) & 0x33);
  return (m + (m >> 4)) & 0x0f;
}

/** The typed arrays of the FragmentWindow interface, created by placeWindowArrays. */
export interface ReferenceFragmentWindow extends Readonly<WindowArrays> {}

/**
 * Plain TypeScript fragment window (see types.ts for the rules). State is structure-of-arrays
 * in typed arrays indexed by ring slot (fragment ID mod windowFragments) or neighbor slot, the
 * same layout as the WASM version, so the two can be compared rule by rule.
 *
 * Note: fragment IDs can exceed 2^32, so they are never used with JS bitwise operators; slots
 * are computed with `%`.
 */
export class ReferenceFragmentWindow implements FragmentWindow {
  readonly kind = 'reference' as const;
  readonly config: Readonly<WindowConfig>;

  // Window, per ring slot.
  private readonly C: number;
  private readonly W32: number;
  private readonly held: Uint32Array;
  /** Clock value when the slot's ID entered the window (non-decreasing with the ID). */
  private readonly entryTime: Float64Array;
  /** Time of the first copy received (for latency samples). */
  private readonly arrivalTime: Float64Array;
  /** Clock value when some neighbor first announced the ID, or -1. */
  private readonly announced: Float64Array;
  private readonly pullNeighbor: Int32Array;
  private readonly pullTime: Float64Array;

  // Neighbors, per neighbor slot.
  private readonly M: number;
  private readonly present: Uint8Array;
  private readonly nMapLow: Float64Array;
  private readonly nMapHigh: Float64Array;
  private readonly nMapTime: Float64Array;
  private readonly nMapLast: Float64Array;
  private readonly nClassMask: Uint8Array;
  private readonly nAsked: Uint8Array;
  private readonly nSent: Uint8Array;
  private readonly nRequest: Uint8Array;
  private readonly nLatency: Float64Array;
  private readonly nBits: Uint32Array;

  private base = 0;
  private head = -1;
  private clock = 0;
  private lastHeld = -1;
  private heldCount = 0;
  private outstanding = 0;
  /** One past the highest present neighbor slot. */
  private N = 0;
  private neighborCount = 0;
  private pullCursor = 0;
  private pushOutCursor = 0;
  private announceCursor = 0;
  private probeClass = 0;
  private lastPushRound = -Infinity;
  private lastAnnounceTime = -Infinity;
  private lastAnnouncedId = -1;

  private accepted = 0;
  private duplicates = 0;
  private late = 0;
  private evicted = 0;
  private missed = 0;
  private rejected = 0;

  private readonly outcome: RoundOutcome = emptyRoundOutcome();

  constructor(config: Partial<WindowConfig> = {}) {
    const c = resolveWindowConfig(config);
    this.config = Object.freeze(c);
    const C = (this.C = c.windowFragments);
    this.W32 = C / 32;
    const M = (this.M = c.maxNeighbors);
    placeWindowArrays(this, c, freshArray);

    this.held = new Uint32Array(this.W32);
    this.entryTime = new Float64Array(C);
    this.arrivalTime = new Float64Array(C);
    this.announced = new Float64Array(C).fill(-1);
    this.pullNeighbor = new Int32Array(C).fill(-1);
    this.pullTime = new Float64Array(C);

    this.present = new Uint8Array(M);
    this.nMapLow = new Float64Array(M);
    this.nMapHigh = new Float64Array(M).fill(-1);
    this.nMapTime = new Float64Array(M).fill(-1);
    this.nMapLast = new Float64Array(M).fill(-1);
    this.nClassMask = new Uint8Array(M);
    this.nAsked = new Uint8Array(M);
    this.nSent = new Uint8Array(M);
    this.nRequest = new Uint8Array(M);
    this.nLatency = new Float64Array(M);
    this.nBits = new Uint32Array(M * this.W32);
  }

  // ---- window maintenance ----

  private isHeld(s: number): boolean {
    return (this.held[s >>> 5]! & (1 << (s & 31))) !== 0;
  }

  private dropSlot(id: number): void {
    const s = id % this.C;
    if (this.isHeld(s)) {
      this.held[s >>> 5]! &= ~(1 << (s & 31));
      this.heldCount--;
      this.evicted++;
    } else {
      this.missed++;
      if (this.pullNeighbor[s]! >= 0) this.outstanding--;
    }
    this.pullNeighbor[s] = -1;
  }

  /** Drops IDs from the bottom whose entry is older than window + relay margin (F.7). */
  private evictOld(): void {
    const limit = this.config.windowDuration + this.config.relayMargin;
    while (this.base <= this.head && this.clock - this.entryTime[this.base % this.C]! > limit) {
      this.dropSlot(this.base);
      this.base++;
    }
  }

  /** Makes `id` (> head) the new head; IDs pushed out of the ring capacity are dropped. */
  private advanceHead(id: number): void {
    const C = this.C;
    const newBase = Math.max(this.base, id - C + 1);
    const dropTo = Math.min(newBase - 1, this.head);
    for (let x = this.base; x <= dropTo; x++) this.dropSlot(x);
    const from = Math.max(this.head + 1, newBase);
    this.base = newBase;
    for (let x = from; x <= id; x++) {
      const s = x % C;
      this.held[s >>> 5]! &= ~(1 << (s & 31));
      this.entryTime[s] = this.clock;
      this.arrivalTime[s] = 0;
      this.announced[s] = -1;
      this.pullNeighbor[s] = -1;
      this.pullTime[s] = 0;
    }
    this.head = id;
  }

  private tick(t: number): void {
    if (t > this.clock) this.clock = t;
    this.evictOld();
  }

  // ---- neighbors ----

  private nHolds(n: number, id: number): boolean {
    if (id < this.nMapLow[n]! || id > this.nMapHigh[n]!) return false;
    const s = id % this.C;
    return (this.nBits[n * this.W32 + (s >>> 5)]! & (1 << (s & 31))) !== 0;
  }

  addNeighbor(): number {
    for (let n = 0; n < this.M; n++) {
      if (this.present[n]) continue;
      this.present[n] = 1;
      this.nMapLow[n] = 0;
      this.nMapHigh[n] = -1;
      this.nMapTime[n] = -1;
      this.nMapLast[n] = -1;
      this.nClassMask[n] = 0;
      this.nAsked[n] = 0;
      this.nSent[n] = 0;
      this.nRequest[n] = 0;
      // Unknown neighbors start as slow as a pull, so a measured one is preferred.
      this.nLatency[n] = this.config.fetchPeriod;
      if (n + 1 > this.N) this.N = n + 1;
      this.neighborCount++;
      return n;
    }
    throw new WindowError(WindowErrorCode.NeighborLimit, `all ${this.M} neighbor slots are in use`);
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.M || !this.present[slot]) {
      throw new WindowError(WindowErrorCode.BadNeighbor, `no neighbor in slot ${slot}`);
    }
  }

  removeNeighbor(slot: number): void {
    this.checkSlot(slot);
    this.present[slot] = 0;
    this.nAsked[slot] = 0;
    this.nSent[slot] = 0;
    this.nRequest[slot] = 0;
    this.nMapHigh[slot] = -1;
    this.nMapLow[slot] = 0;
    this.neighborCount--;
    for (let s = 0; s < this.C; s++) {
      if (this.pullNeighbor[s] === slot) {
        this.pullNeighbor[s] = -1;
        this.outstanding--;
      }
    }
    let n = this.N;
    while (n > 0 && !this.present[n - 1]) n--;
    this.N = n;
  }

  setPushRequest(slot: number, mask: number): void {
    this.checkSlot(slot);
    this.nRequest[slot] = mask & 0xff;
  }

  // ---- arrivals ----

  ingestArrivals(count: number): number {
    checkBatchCount(count, this.config.maxBatch, 'arrival');
    const C = this.C;
    const wd = this.config.windowDuration;
    const cap = this.config.pushLimit + 1;
    let out = 0;
    for (let i = 0; i < count; i++) {
      const id = this.arrivalIds[i]!;
      const t = this.arrivalTimes[i]!;
      let from = this.arrivalFrom[i]!;
      if (!validId(id) || !validTime(t)) {
        this.rejected++;
        continue;
      }
      if (from < 0 || from >= this.M || !this.present[from]) from = -1;
      this.tick(t);
      if (id < this.base) {
        this.late++;
        continue;
      }
      if (id > this.head) this.advanceHead(id);
      const s = id % C;
      let sample: number;
      if (this.isHeld(s)) {
        this.duplicates++;
        sample = t - this.arrivalTime[s]!;
        if (sample < 0) sample = 0;
      } else {
        if (this.clock - this.entryTime[s]! > wd) {
          this.late++;
          continue;
        }
        this.held[s >>> 5]! |= 1 << (s & 31);
        this.heldCount++;
        this.accepted++;
        this.arrivalTime[s] = t;
        if (this.pullNeighbor[s]! >= 0) {
          this.pullNeighbor[s] = -1;
          this.outstanding--;
        }
        if (id > this.lastHeld) this.lastHeld = id;
        sample = 0;
        out = this.pushOut(id, from, cap, out);
      }
      if (from >= 0) this.nLatency[from] = Math.floor((this.nLatency[from]! * 3 + sample) / 4);
    }
    return out;
  }

  /** Push targets for a new fragment: requesters of its class, in slot order from a rotating cursor (F.7). */
  private pushOut(id: number, from: number, cap: number, out: number): number {
    const N = this.N;
    if (N === 0) return out;
    const bit = 1 << (id % 8);
    const start = this.pushOutCursor < N ? this.pushOutCursor : 0;
    let sent = 0;
    let last = -1;
    for (let i = 0; i < N && sent < cap; i++) {
      let n = start + i;
      if (n >= N) n -= N;
      if (!this.present[n] || n === from || (this.nRequest[n]! & bit) === 0) continue;
      if (this.nHolds(n, id)) continue;
      this.pushOutIds[out] = id;
      this.pushOutNeighbors[out] = n;
      out++;
      sent++;
      last = n;
    }
    if (last >= 0) this.pushOutCursor = last + 1 < N ? last + 1 : 0;
    return out;
  }

  // ---- neighbor maps ----

  ingestMaps(count: number): void {
    checkBatchCount(count, this.config.maxBatch, 'map');
    for (let i = 0; i < count; i++) {
      const n = this.mapNeighbor[i]!;
      const t = this.mapTime[i]!;
      const L = this.mapLastId[i]!;
      const off = this.mapOffset[i]!;
      const len = this.mapLength[i]!;
      if (
        n < 0 || n >= this.M || !this.present[n] || !validTime(t) || !validId(L) ||
        off < 0 || len < 0 || off > this.mapBytes.length - len
      ) {
        this.rejected++;
        continue;
      }
      this.tick(t);
      if (L > this.head) this.advanceHead(L);
      this.ingestMap(n, L, off, len);
      this.nMapTime[n] = t;
      this.nMapLast[n] = L;
    }
  }

  private ingestMap(n: number, L: number, off: number, len: number): void {
    const C = this.C;
    const W32 = this.W32;
    const bits = this.nBits;
    const wb = n * W32;
    bits.fill(0, wb, wb + W32);
    let classMask = 0;
    if (L < this.base) {
      this.nMapLow[n] = 0;
      this.nMapHigh[n] = -1;
      this.nClassMask[n] = 0;
      return;
    }
    // Valid range: [low, L], within the window (so no two IDs share a ring slot).
    const low = Math.max(this.base, L - 8 * len);
    const clock = this.clock;
    // The last fragment ID itself is held by the sender (F.5 `22`).
    let s = L % C;
    bits[wb + (s >>> 5)]! |= 1 << (s & 31);
    classMask |= 1 << (L % 8);
    if (this.announced[s]! < 0) this.announced[s] = clock;
    const src = this.mapBytes;
    // Slots are walked down from L - 1 as small integers (C is a multiple of 8, so the class of
    // an ID is its slot's low 3 bits): no floating-point % per bit.
    let sTop = s - 1 < 0 ? C - 1 : s - 1;
    for (let i = 0; i < len; i++, sTop = sTop - 8 < 0 ? sTop - 8 + C : sTop - 8) {
      const top = L - 1 - 8 * i;
      if (top < low) break;
      const byte = src[off + i]!;
      if (byte === 0) continue;
      for (let b = 0; b < 8; b++) {
        if ((byte & (1 << b)) === 0) continue;
        if (top - b < low) break;
        s = sTop - b < 0 ? sTop - b + C : sTop - b;
        bits[wb + (s >>> 5)]! |= 1 << (s & 31);
        classMask |= 1 << (s & 7);
        if (this.announced[s]! < 0) this.announced[s] = clock;
      }
    }
    this.nMapLow[n] = low;
    this.nMapHigh[n] = L;
    this.nClassMask[n] = classMask;
  }

  // ---- round ----

  round(now: number): RoundOutcome {
    const o = this.outcome;
    o.pullCount = 0;
    o.maskCount = 0;
    o.announce = false;
    o.announceLastId = -1;
    o.announceLength = 0;
    o.announceTarget = -1;
    if (!validTime(now)) {
      this.rejected++;
      return o;
    }
    this.tick(now);
    if (this.clock - this.lastPushRound >= this.config.pushPeriod) {
      this.lastPushRound = this.clock;
      this.pushRound();
      o.maskCount = this.collectMasks();
    }
    o.pullCount = this.pullRound();
    this.announceRound(o);
    return o;
  }

  /** Better push source: lower latency, then fewer classes already pushed, then lower slot. */
  private better(a: number, b: number): boolean {
    if (b < 0) return true;
    const la = this.nLatency[a]!;
    const lb = this.nLatency[b]!;
    if (la !== lb) return la < lb;
    const pa = popcount8(this.nAsked[a]!);
    const pb = popcount8(this.nAsked[b]!);
    if (pa !== pb) return pa < pb;
    return a < b;
  }

  private pickPusher(k: number, exclude: number, distinct: number): number {
    const bit = 1 << k;
    const full = distinct >= this.config.pushNeighborLimit;
    let best = -1;
    for (let n = 0; n < this.N; n++) {
      if (!this.present[n] || n === exclude) continue;
      if ((this.nClassMask[n]! & bit) === 0 || (this.nAsked[n]! & bit) !== 0) continue;
      if (full && this.nAsked[n] === 0) continue;
      if (this.better(n, best)) best = n;
    }
    return best;
  }

  /** F.7 push: keep one pusher per class (the faster), fill uncovered classes, probe one class. */
  private pushRound(): void {
    const N = this.N;
    // (a) two neighbors pushing the same class: keep the one with the lower latency.
    for (let k = 0; k < 8; k++) {
      const bit = 1 << k;
      let keep = -1;
      for (let n = 0; n < N; n++) {
        if (!this.present[n] || (this.nAsked[n]! & bit) === 0) continue;
        if (keep < 0) {
          keep = n;
          continue;
        }
        const ln = this.nLatency[n]!;
        const lk = this.nLatency[keep]!;
        if (ln < lk) {
          this.nAsked[keep]! &= ~bit;
          keep = n;
        } else {
          this.nAsked[n]! &= ~bit;
        }
      }
    }
    let distinct = 0;
    let covered = 0;
    for (let n = 0; n < N; n++) {
      if (!this.present[n]) continue;
      if (this.nAsked[n] !== 0) distinct++;
      covered |= this.nAsked[n]!;
    }
    // (b) every class nobody pushes to us: one neighbor that has fragments of it.
    let filled = 0;
    for (let k = 0; k < 8; k++) {
      const bit = 1 << k;
      if ((covered & bit) !== 0) continue;
      const n = this.pickPusher(k, -1, distinct);
      if (n < 0) continue;
      if (this.nAsked[n] === 0) distinct++;
      this.nAsked[n]! |= bit;
      filled |= bit;
    }
    // (c) probe: a second source for one class covered before this round.
    if (this.config.pushProbe) {
      const k = this.probeClass;
      this.probeClass = (k + 1) & 7;
      const bit = 1 << k;
      if ((covered & bit) !== 0 && (filled & bit) === 0) {
        let pusher = -1;
        for (let n = 0; n < N; n++) {
          if (this.present[n] && (this.nAsked[n]! & bit) !== 0) {
            pusher = n;
            break;
          }
        }
        const n = this.pickPusher(k, pusher, distinct);
        if (n >= 0) this.nAsked[n]! |= bit;
      }
    }
  }

  private collectMasks(): number {
    let count = 0;
    for (let n = 0; n < this.N; n++) {
      if (!this.present[n] || this.nAsked[n] === this.nSent[n]) continue;
      this.nSent[n] = this.nAsked[n]!;
      this.maskNeighbors[count] = n;
      this.maskValues[count] = this.nAsked[n]!;
      count++;
    }
    return count;
  }

  /** A holder of `id` other than `exclude`, from the rotating cursor; else `exclude` if it holds it; else -1. */
  private pickHolder(id: number, exclude: number): number {
    const N = this.N;
    const start = this.pullCursor < N ? this.pullCursor : 0;
    for (let i = 0; i < N; i++) {
      let n = start + i;
      if (n >= N) n -= N;
      if (n === exclude || !this.present[n]) continue;
      if (this.nHolds(n, id)) return n;
    }
    if (exclude >= 0 && this.present[exclude] && this.nHolds(exclude, id)) return exclude;
    return -1;
  }

  /** F.7 pull: missing fragments announced more than fetchPeriod ago, newest first. */
  private pullRound(): number {
    const C = this.C;
    const fetch = this.config.fetchPeriod;
    const wd = this.config.windowDuration;
    const maxOut = this.config.maxOutstandingPulls;
    const cap = this.config.maxPullsPerRound;
    const clock = this.clock;
    if (this.N === 0) return 0;
    let count = 0;
    let s = (this.head % C) + 1;
    for (let id = this.head; id >= this.base && count < cap; id--) {
      s = s === 0 ? C - 1 : s - 1; // id % C, walked down
      // Entry times do not decrease with the ID: everything below is too old as well.
      if (clock - this.entryTime[s]! > wd) break;
      if (this.isHeld(s)) continue;
      const a = this.announced[s]!;
      if (a < 0 || clock - a <= fetch) continue;
      const p = this.pullNeighbor[s]!;
      if (p >= 0) {
        if (clock - this.pullTime[s]! <= fetch) continue;
      } else if (this.outstanding >= maxOut) {
        continue;
      }
      const n = this.pickHolder(id, p);
      if (n < 0) continue;
      if (p < 0) this.outstanding++;
      this.pullNeighbor[s] = n;
      this.pullTime[s] = clock;
      this.pullCursor = n + 1 < this.N ? n + 1 : 0;
      this.pullIds[count] = id;
      this.pullNeighbors[count] = n;
      count++;
    }
    return count;
  }

  /** F.7 availability: our `22` when the last fragment ID changed, at most every update period. */
  private announceRound(o: RoundOutcome): void {
    const L = this.lastHeld;
    if (L < this.base || L === this.lastAnnouncedId) return;
    if (this.clock - this.lastAnnounceTime < this.config.availabilityUpdatePeriod) return;
    let target = -1;
    if (!this.config.availabilitySendToAll) {
      const N = this.N;
      const start = this.announceCursor < N ? this.announceCursor : 0;
      for (let i = 0; i < N; i++) {
        let n = start + i;
        if (n >= N) n -= N;
        if (this.present[n]) {
          target = n;
          break;
        }
      }
      if (target < 0) return;
      this.announceCursor = target + 1 < N ? target + 1 : 0;
    }
    const C = this.C;
    const nbits = L - this.base;
    const nbytes = Math.ceil(nbits / 8);
    const out = this.announceBitmap;
    let used = 0;
    let s = L % C;
    for (let i = 0; i < nbytes; i++) {
      let byte = 0;
      for (let b = 0; b < 8; b++) {
        s = s === 0 ? C - 1 : s - 1; // (L - 1 - 8i - b) % C, walked down
        if (L - 1 - 8 * i - b < this.base) break;
        if (this.isHeld(s)) byte |= 1 << b;
      }
      out[i] = byte;
      if (byte !== 0) used = i + 1;
    }
    this.lastAnnouncedId = L;
    this.lastAnnounceTime = this.clock;
    o.announce = true;
    o.announceLastId = L;
    o.announceLength = used;
    o.announceTarget = target;
  }

  // ---- inspection ----

  holds(id: number): boolean {
    if (!validId(id) || id < this.base || id > this.head) return false;
    return this.isHeld(id % this.C);
  }

  neighborHolds(slot: number, id: number): boolean {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.M || !this.present[slot]) return false;
    if (!validId(id) || id < this.base || id > this.head) return false;
    return this.nHolds(slot, id);
  }

  stats(): WindowStats {
    return {
      base: this.base,
      head: this.head,
      lastHeld: this.lastHeld,
      held: this.heldCount,
      accepted: this.accepted,
      duplicates: this.duplicates,
      late: this.late,
      evicted: this.evicted,
      missed: this.missed,
      rejected: this.rejected,
      outstandingPulls: this.outstanding,
      neighbors: this.neighborCount,
    };
  }

  neighborInfo(slot: number): NeighborInfo {
    const ok = Number.isInteger(slot) && slot >= 0 && slot < this.M && this.present[slot] === 1;
    if (!ok) {
      return { present: false, pushInMask: 0, pushOutMask: 0, latency: 0, mapLastId: -1, mapTime: -1, classMask: 0 };
    }
    return {
      present: true,
      pushInMask: this.nAsked[slot]!,
      pushOutMask: this.nRequest[slot]!,
      latency: this.nLatency[slot]!,
      mapLastId: this.nMapLast[slot]!,
      mapTime: this.nMapTime[slot]!,
      classMask: this.nClassMask[slot]!,
    };
  }
}
