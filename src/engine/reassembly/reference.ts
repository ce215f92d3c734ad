import {
  ReassemblyError,
  ReassemblyErrorCode,
  REASSEMBLY_LIMITS,
  Verdict,
  resolveReassemblyConfig,
  type BatchOutcome,
  type DeliveryOrder,
  type FlowState,
  type Reassembler,
  type ReassemblyArrayName,
  type ReassemblyArrays,
  type ReassemblyConfig,
  type ReassemblyLayout,
  type ReassemblyStats,
} from './types.js';
import { checkBatchCount, placeReassemblyArrays } from './common.js';
import { freshArray, type TypedArrayType } from '../array-placement.js';
import { FragmentControl, UserDataFlag } from '../../wire/chunks/user-data.js';

/** What a ring slot holds for the sequence number that maps to it. */
const enum Slot {
  /** Not in the set (or at or below deliveredThrough). */
  Empty = 0,
  /** A fragment whose payload sits in a pool block. */
  Buffered = 1,
  /** An ABN record: in the set, no payload (A.8). */
  Abandoned = 2,
  /** Network order: delivered before the walk reached it; still in the set. */
  Delivered = 3,
}

/** Slots of a flow's ring when it opens; it doubles on demand up to the layout's ringSize. */
const INITIAL_RING = 16;

/**
 * The receiving state of one flow (RFC 7016 §3.6.3). Slots are a ring indexed by sequence
 * number modulo `size`; every occupied slot's sequence number lies in
 * (deliveredThrough, deliveredThrough + size], which the window check and the
 * message-length cap guarantee (cumulativeAck - deliveredThrough <= maxFragmentsPerMessage)
 * for the layout's ringSize. The ring starts small and doubles when a number beyond it is
 * admitted (an idle or in-order flow never pays for the whole window), and drops back when the
 * flow closes.
 */
class FlowReceiver {
  open = false;
  network = false;
  deliveredThrough = 0;
  cumulativeAck = 0;
  forwardSequence = 0;
  finalSequence = -1;
  /** Highest number known to be in the set (accepted records and the cumulative ack). */
  highest = 0;
  /** Slots not Empty. */
  occupied = 0;
  /** Slots not Empty above the cumulative ack. */
  aboveCsn = 0;
  /** Gaps below the top: highest - cumulativeAck - aboveCsn. Each has a block reserved. */
  holes = 0;
  blocksUsed = 0;
  bufferedBytes = 0;
  accepted = 0;
  duplicates = 0;
  refusedCapacity = 0;
  refusedWindow = 0;
  refusedMessageLimit = 0;
  refusedInvalid = 0;
  deliveredMessages = 0;
  deliveredBytes = 0;
  abandonedRuns = 0;
  abandonedBytes = 0;

  size = 0;
  mask = 0;
  state!: Uint8Array;
  fra!: Uint8Array;
  length!: Uint16Array;
  block!: Int32Array;
  /**
   * Length of the run of linked Buffered slots (one message's contiguous fragments), valid at
   * both ends of the run. Runs never cross a message boundary: a begin or whole never links to
   * its left, an end or whole never to its right.
   */
  run!: Uint32Array;

  constructor(size: number) {
    this.allocate(size);
  }

  /** Fresh (empty) ring arrays of `size` slots, a power of two. */
  allocate(size: number): void {
    this.size = size;
    this.mask = size - 1;
    this.state = new Uint8Array(size);
    this.fra = new Uint8Array(size);
    this.length = new Uint16Array(size);
    this.block = new Int32Array(size);
    this.run = new Uint32Array(size);
  }

  /** Doubles the ring until it has `need` slots, moving every slot above deliveredThrough. */
  grow(need: number): void {
    let size = this.size;
    while (size < need) size *= 2;
    const { state, fra, length, block, run, mask: oldMask } = this;
    const from = this.deliveredThrough + 1;
    const to = this.deliveredThrough + this.size;
    this.allocate(size);
    const mask = this.mask;
    for (let q = from; q <= to; q++) {
      const o = q & oldMask;
      if (state[o] === Slot.Empty) continue;
      const n = q & mask;
      this.state[n] = state[o]!;
      this.fra[n] = fra[o]!;
      this.length[n] = length[o]!;
      this.block[n] = block[o]!;
      this.run[n] = run[o]!;
    }
  }

  reset(network: boolean, initialSize: number): void {
    this.open = true;
    this.network = network;
    this.deliveredThrough = 0;
    this.cumulativeAck = 0;
    this.forwardSequence = 0;
    this.finalSequence = -1;
    this.highest = 0;
    this.occupied = 0;
    this.aboveCsn = 0;
    this.holes = 0;
    this.blocksUsed = 0;
    this.bufferedBytes = 0;
    this.accepted = 0;
    this.duplicates = 0;
    this.refusedCapacity = 0;
    this.refusedWindow = 0;
    this.refusedMessageLimit = 0;
    this.refusedInvalid = 0;
    this.deliveredMessages = 0;
    this.deliveredBytes = 0;
    this.abandonedRuns = 0;
    this.abandonedBytes = 0;
    if (this.size !== initialSize) this.allocate(initialSize);
    else this.state.fill(Slot.Empty);
  }
}

/** Areas of ReassemblyArrays the reference implementation sizes on demand (getters below). */
type GrownArrayName = 'batchData' | 'deliveryData';

/** The typed arrays of the Reassembler interface, created by placeReassemblyArrays. */
export interface ReferenceReassembler extends Readonly<Omit<ReassemblyArrays, GrownArrayName>> {}

/** Output rows (deliveries, abandonments) and ack ranges the arrays start with; they double on demand. */
const INITIAL_ROWS = 16;
/** Pool blocks of the first pool allocation; the pool doubles on demand up to poolBlocks. */
const INITIAL_POOL_BLOCKS = 16;
/** Bytes of the first delivery area; it doubles on demand up to deliveryBytes. */
const INITIAL_DELIVERY_BYTES = 16 * 1024;

/**
 * Plain TypeScript reassembler. Staging, pool and delivery area share one ArrayBuffer so every
 * copy is a `copyWithin` (no subarray object per fragment, never Buffer.concat).
 *
 * Memory is taken as it is used, never for the whole configuration up front: the buffer is
 * allocated at the first batch, the pool and the delivery area double when they run out (up to
 * poolBytes and deliveryBytes; growing moves bytes, block numbers and delivery offsets stay
 * valid), output rows and flow rings double likewise, and everything but the flow slots is
 * given back when the last flow closes. An idle instance holds no buffer at all, so one
 * reassembler shared by thousands of mostly idle sessions costs what they buffer, not what they
 * could.
 */
export class ReferenceReassembler implements Reassembler {
  readonly kind = 'reference' as const;
  readonly config: Readonly<ReassemblyLayout>;

  /** batchData | pool | delivery area, one buffer; empty until the first batch. */
  private memory: Uint8Array = EMPTY_BYTES;
  private staging: Uint8Array = EMPTY_BYTES;
  private delivery: Uint8Array = EMPTY_BYTES;
  private readonly poolBase: number;
  private deliveryBase: number;
  /** Pool blocks allocated so far (<= poolBlocks). */
  private poolAllocated = 0;
  private freeBlocks: Int32Array = new Int32Array(0);
  private freeTop = 0;
  private readonly flows: FlowReceiver[] = [];
  /** Every slot below this one is open (openFlow takes the lowest free slot). */
  private lowestFree = 0;
  private readonly initialRing: number;
  private deliveryUsed = 0;
  private delivered = 0;
  private abandoned = 0;
  private invalidRecords = 0;
  /** Sum of every open flow's holes: blocks promised to gaps. */
  private sumHoles = 0;
  private openFlows = 0;
  private readonly outcome: BatchOutcome = { delivered: 0, abandoned: 0 };

  constructor(partial: Partial<ReassemblyConfig> = {}) {
    const c = resolveReassemblyConfig(partial, false);
    this.config = Object.freeze(c);
    this.initialRing = Math.min(INITIAL_RING, c.ringSize);
    this.poolBase = c.batchDataBytes;
    this.deliveryBase = this.poolBase;
    // The byte areas come from `memory` (getters); output rows and ack ranges start small.
    const grown: Partial<Record<ReassemblyArrayName, number>> = {
      batchData: 0,
      deliveryData: 0,
      deliveryFlow: INITIAL_ROWS,
      deliveryFirst: INITIAL_ROWS,
      deliveryLast: INITIAL_ROWS,
      deliveryOffset: INITIAL_ROWS,
      deliveryLength: INITIAL_ROWS,
      abandonFlow: INITIAL_ROWS,
      abandonFirst: INITIAL_ROWS,
      abandonLast: INITIAL_ROWS,
      abandonFragments: INITIAL_ROWS,
      abandonBytes: INITIAL_ROWS,
      ackFrom: Math.min(INITIAL_ROWS, c.maxAckRanges),
      ackTo: Math.min(INITIAL_ROWS, c.maxAckRanges),
    };
    const target = {} as ReassemblyArrays;
    placeReassemblyArrays(target, c, <T>(type: TypedArrayType<T>, name: ReassemblyArrayName, length: number): T => {
      const n = grown[name];
      return freshArray(type, name, n === undefined ? length : Math.min(n, length));
    });
    const { batchData: _b, deliveryData: _d, ...arrays } = target;
    Object.assign(this, arrays);
  }

  /** Batch staging (allocated at first use: an instance that never receives holds no buffer). */
  get batchData(): Uint8Array {
    if (this.memory.length === 0) this.resize(0, 0);
    return this.staging;
  }

  /** The delivery area of the last call. */
  get deliveryData(): Uint8Array {
    return this.delivery;
  }

  openFlow(order: DeliveryOrder = 'sequence'): number {
    for (let i = this.lowestFree; i < this.config.maxFlows; i++) {
      let f = this.flows[i];
      if (f?.open) continue;
      if (!f) {
        f = new FlowReceiver(this.initialRing);
        this.flows[i] = f;
      }
      f.reset(order === 'network', this.initialRing);
      this.openFlows++;
      this.lowestFree = i + 1;
      return i;
    }
    throw new ReassemblyError(ReassemblyErrorCode.FlowLimit, `all ${this.config.maxFlows} flow slots are open`);
  }

  closeFlow(flow: number): void {
    const f = this.flowAt(flow);
    for (let p = 0; p < f.size; p++) {
      if (f.state[p] === Slot.Buffered) this.freeBlocks[this.freeTop++] = f.block[p]!;
    }
    // The slot keeps a small ring for its next flow; a grown one is given back.
    if (f.size !== this.initialRing) f.allocate(this.initialRing);
    else f.state.fill(Slot.Empty);
    this.sumHoles -= f.holes;
    f.open = false;
    this.openFlows--;
    if (flow < this.lowestFree) this.lowestFree = flow;
    if (this.openFlows === 0) this.release();
  }

  flowState(flow: number): FlowState {
    const f = this.flowAt(flow);
    const c = this.config;
    const free = Math.min(c.flowBlocks - f.blocksUsed - f.holes, this.poolFree() - this.sumHoles);
    return {
      open: true,
      order: f.network ? 'network' : 'sequence',
      cumulativeAck: f.cumulativeAck,
      forwardSequence: f.forwardSequence,
      deliveredThrough: f.deliveredThrough,
      finalSequence: f.finalSequence,
      complete: f.finalSequence >= 0 && f.deliveredThrough >= f.finalSequence,
      bufferedFragments: f.blocksUsed,
      bufferedBytes: f.bufferedBytes,
      availableBytes: Math.max(0, free) * c.blockBytes,
      accepted: f.accepted,
      duplicates: f.duplicates,
      refusedCapacity: f.refusedCapacity,
      refusedWindow: f.refusedWindow,
      refusedMessageLimit: f.refusedMessageLimit,
      refusedInvalid: f.refusedInvalid,
      deliveredMessages: f.deliveredMessages,
      deliveredBytes: f.deliveredBytes,
      abandonedRuns: f.abandonedRuns,
      abandonedBytes: f.abandonedBytes,
    };
  }

  ackRanges(flow: number): number {
    const f = this.flowAt(flow);
    const { state, mask } = f;
    const hi = Math.min(f.highest, f.deliveredThrough + f.size);
    const max = this.config.maxAckRanges;
    let n = 0;
    let q = f.cumulativeAck + 1;
    while (n < max) {
      while (q <= hi && state[q & mask] === Slot.Empty) q++;
      if (q > hi) break;
      const from = q;
      while (q <= hi && state[q & mask] !== Slot.Empty) q++;
      if (n === this.ackFrom.length) this.growAckRows();
      this.ackFrom[n] = from;
      this.ackTo[n] = q - 1;
      n++;
    }
    return n;
  }

  stats(): ReassemblyStats {
    return {
      openFlows: this.openFlows,
      poolBlocks: this.config.poolBlocks,
      poolBlocksUsed: this.poolAllocated - this.freeTop,
      invalidRecords: this.invalidRecords,
    };
  }

  /** Bytes this instance holds in typed arrays now (buffers, rows, flow rings). */
  allocatedBytes(): number {
    let n = this.memory.byteLength + this.freeBlocks.byteLength + (this.ackFrom.length + this.ackTo.length) * 8;
    n += (this.deliveryFlow.length + this.abandonFlow.length) * 32;
    for (const f of this.flows) if (f) n += f.size * 12;
    return n;
  }

  message(i: number): Uint8Array {
    if (!(i >= 0 && i < this.delivered)) {
      throw new ReassemblyError(ReassemblyErrorCode.BadFlow, `no delivered message ${i}`);
    }
    const off = this.deliveryOffset[i]!;
    return this.delivery.subarray(off, off + this.deliveryLength[i]!);
  }

  process(count: number): BatchOutcome {
    checkBatchCount(count, this.config.maxBatch);
    if (this.memory.length === 0) this.resize(0, 0);
    this.deliveryUsed = 0;
    this.delivered = 0;
    this.abandoned = 0;
    for (let i = 0; i < count; i++) this.batchVerdict[i] = this.record(i);
    this.outcome.delivered = this.delivered;
    this.outcome.abandoned = this.abandoned;
    return this.outcome;
  }

  // ---- memory on demand ----

  /** Free pool blocks: on the stack, plus those not allocated yet. */
  private poolFree(): number {
    return this.freeTop + this.config.poolBlocks - this.poolAllocated;
  }

  /**
   * Reallocates `memory` with `poolBlocks` pool blocks and a delivery area of `deliveryBytes`
   * (each at least what it has), keeping the staging bytes, every pool block and the delivery
   * bytes of the current call where their offsets expect them.
   */
  private resize(poolBlocks: number, deliveryBytes: number): void {
    const c = this.config;
    const pool = Math.max(poolBlocks, this.poolAllocated);
    const deliveryBase = this.poolBase + pool * c.blockBytes;
    const old = this.memory;
    const size = deliveryBase + Math.max(deliveryBytes, old.length > 0 ? this.delivery.length : 0);
    const memory = new Uint8Array(size);
    if (old.length > 0) {
      memory.set(old.subarray(0, this.poolBase + this.poolAllocated * c.blockBytes));
      memory.set(old.subarray(this.deliveryBase, this.deliveryBase + this.deliveryUsed), deliveryBase);
    }
    this.memory = memory;
    this.deliveryBase = deliveryBase;
    this.staging = memory.subarray(0, c.batchDataBytes);
    this.delivery = memory.subarray(deliveryBase);
    if (pool > this.poolAllocated) {
      // New blocks go on the stack below the free ones, highest first, so low blocks go out first.
      const free = new Int32Array(pool);
      let k = 0;
      for (let b = pool - 1; b >= this.poolAllocated; b--) free[k++] = b;
      free.set(this.freeBlocks.subarray(0, this.freeTop), k);
      this.freeBlocks = free;
      this.freeTop = k + this.freeTop;
      this.poolAllocated = pool;
    }
  }

  /** A block from the pool, growing it when the stack is empty (admission already checked room). */
  private takeBlock(): number {
    if (this.freeTop === 0) this.resize(Math.min(this.config.poolBlocks, Math.max(INITIAL_POOL_BLOCKS, this.poolAllocated * 2)), 0);
    return this.freeBlocks[--this.freeTop]!;
  }

  /** Room for `bytes` more in the delivery area of this call. */
  private reserveDelivery(bytes: number): void {
    const need = this.deliveryUsed + bytes;
    if (need <= this.delivery.length) return;
    let size = Math.max(INITIAL_DELIVERY_BYTES, this.delivery.length * 2);
    while (size < need) size *= 2;
    this.resize(0, Math.min(size, Math.max(need, this.config.deliveryBytes)));
  }

  /** One more delivery row (k is the row about to be written). */
  private deliveryRow(k: number): void {
    if (k < this.deliveryFlow.length) return;
    const n = this.deliveryFlow.length * 2;
    const self = this as unknown as ReassemblyArrays;
    self.deliveryFlow = grownCopy(this.deliveryFlow, n);
    self.deliveryFirst = grownCopy(this.deliveryFirst, n);
    self.deliveryLast = grownCopy(this.deliveryLast, n);
    self.deliveryOffset = grownCopy(this.deliveryOffset, n);
    self.deliveryLength = grownCopy(this.deliveryLength, n);
  }

  private abandonRow(k: number): void {
    if (k < this.abandonFlow.length) return;
    const n = this.abandonFlow.length * 2;
    const self = this as unknown as ReassemblyArrays;
    self.abandonFlow = grownCopy(this.abandonFlow, n);
    self.abandonFirst = grownCopy(this.abandonFirst, n);
    self.abandonLast = grownCopy(this.abandonLast, n);
    self.abandonFragments = grownCopy(this.abandonFragments, n);
    self.abandonBytes = grownCopy(this.abandonBytes, n);
  }

  private growAckRows(): void {
    const n = Math.min(this.config.maxAckRanges, this.ackFrom.length * 2);
    const self = this as unknown as ReassemblyArrays;
    self.ackFrom = grownCopy(this.ackFrom, n);
    self.ackTo = grownCopy(this.ackTo, n);
  }

  /** No flow open: give back the buffer, the pool and grown rows (nothing is held). */
  private release(): void {
    // Views of the last call's deliveries stay valid: the old buffer is dropped, not cleared.
    this.memory = EMPTY_BYTES;
    this.staging = EMPTY_BYTES;
    this.poolAllocated = 0;
    this.freeBlocks = new Int32Array(0);
    this.freeTop = 0;
    const self = this as unknown as ReassemblyArrays;
    if (this.deliveryFlow.length > INITIAL_ROWS) {
      self.deliveryFlow = new Int32Array(INITIAL_ROWS);
      self.deliveryFirst = new Float64Array(INITIAL_ROWS);
      self.deliveryLast = new Float64Array(INITIAL_ROWS);
      self.deliveryOffset = new Uint32Array(INITIAL_ROWS);
      self.deliveryLength = new Uint32Array(INITIAL_ROWS);
    }
    if (this.abandonFlow.length > INITIAL_ROWS) {
      self.abandonFlow = new Int32Array(INITIAL_ROWS);
      self.abandonFirst = new Float64Array(INITIAL_ROWS);
      self.abandonLast = new Float64Array(INITIAL_ROWS);
      self.abandonFragments = new Uint32Array(INITIAL_ROWS);
      self.abandonBytes = new Uint32Array(INITIAL_ROWS);
    }
  }

  private flowAt(flow: number): FlowReceiver {
    const f = Number.isInteger(flow) ? this.flows[flow] : undefined;
    if (!f?.open) throw new ReassemblyError(ReassemblyErrorCode.BadFlow, `flow slot ${flow} is not open`);
    return f;
  }

  /** One User Data record (RFC 7016 §3.6.3.2), then delivery (§3.6.3.3). */
  private record(i: number): Verdict {
    const c = this.config;
    const slot = this.batchFlow[i]!;
    const f = slot >= 0 && slot < c.maxFlows ? this.flows[slot] : undefined;
    if (!f?.open) {
      this.invalidRecords++;
      return Verdict.Invalid;
    }
    const seq = this.batchSequence[i]!;
    const fsn = this.batchForward[i]!;
    if (
      !(Number.isInteger(seq) && seq >= 1 && seq <= REASSEMBLY_LIMITS.maxSequence) ||
      !(Number.isInteger(fsn) && fsn >= 0 && fsn <= seq)
    ) {
      f.refusedInvalid++;
      return Verdict.Invalid;
    }
    const flags = this.batchFlags[i]!;
    const abn = (flags & UserDataFlag.Abandon) !== 0;
    const fin = (flags & UserDataFlag.Final) !== 0;
    const fra = (flags & UserDataFlag.FragmentMask) >> 4;
    let off = 0;
    let len = 0;
    if (!abn) {
      off = this.batchOffset[i]!;
      len = this.batchLength[i]!;
      if (len > c.maxFragmentBytes || off + len > c.batchDataBytes) {
        f.refusedInvalid++;
        return Verdict.Invalid;
      }
    }
    const csn0 = f.cumulativeAck;
    const D = f.deliveredThrough;
    // A number the window admits (and its right neighbour, which store() looks at) must map into
    // the ring: grow it first. Within the window this never exceeds the layout's ringSize.
    if (seq <= csn0 + c.windowSequences && seq + 1 - D > f.size) f.grow(Math.min(c.ringSize, seq + 1 - D));
    const mask = f.mask;
    const p = seq & mask;
    const fresh = seq > csn0 && (seq > D + f.size || f.state[p] === Slot.Empty);
    if (fresh) {
      // Nothing may follow FIN, and FIN may not move (C.1, C.4).
      const finalKnown = f.finalSequence >= 0;
      if ((finalKnown && seq > f.finalSequence) || (fin && ((finalKnown && seq !== f.finalSequence) || seq < f.highest))) {
        f.refusedInvalid++;
        return Verdict.Invalid;
      }
    }
    // The FSN applies even when the fragment itself is refused (C.1: the receiver gives up on
    // everything at or below it).
    if (fsn > f.forwardSequence) f.forwardSequence = fsn;
    if (fsn > f.cumulativeAck) this.advanceTo(f, fsn);

    let verdict: Verdict;
    if (!fresh) {
      f.duplicates++;
      verdict = Verdict.Duplicate;
    } else if (seq > csn0 + c.windowSequences) {
      f.refusedWindow++;
      verdict = Verdict.RefusedWindow;
    } else if (abn) {
      verdict = this.admit(f, seq, false);
      if (verdict === Verdict.Accepted) f.state[p] = Slot.Abandoned;
    } else if (fra === FragmentControl.Whole && (f.network || seq === D + 1)) {
      // Deliverable at once: straight from staging, no block.
      verdict = this.admit(f, seq, false);
      if (verdict === Verdict.Accepted) {
        this.emitDelivery(slot, seq, seq, off, len);
        f.deliveredMessages++;
        f.deliveredBytes += len;
        f.state[p] = Slot.Delivered;
      }
    } else {
      verdict = this.store(f, slot, seq, fra, off, len);
    }
    if (verdict === Verdict.Accepted) {
      f.accepted++;
      if (fin) f.finalSequence = seq;
    }
    // Extend the cumulative ack over slots already in the set.
    const limit = f.deliveredThrough + f.size;
    while (f.cumulativeAck < limit && f.state[(f.cumulativeAck + 1) & mask] !== Slot.Empty) {
      f.cumulativeAck++;
      f.aboveCsn--;
    }
    this.syncHoles(f);
    this.walk(f, slot);
    return verdict;
  }

  /**
   * Buffer admission with hole reservation: a flow's blocks plus the gaps below its highest
   * number must fit its cap, and the same summed over flows must fit the pool. Filling a gap
   * therefore never needs more room than was promised to it, so the retransmissions that
   * complete messages are never refused and out-of-order data cannot deadlock a flow (the same
   * reasoning as a TCP window counted from the cumulative ack). On success the slot is counted
   * as occupied; the caller sets its state.
   */
  private admit(f: FlowReceiver, seq: number, block: boolean): Verdict {
    const c = this.config;
    const above = seq > f.cumulativeAck ? 1 : 0;
    const highest = seq > f.highest ? seq : f.highest;
    const holes = highest - f.cumulativeAck - f.aboveCsn - above;
    const add = block ? 1 : 0;
    if (f.blocksUsed + add + holes > c.flowBlocks || c.poolBlocks - this.poolFree() + add + this.sumHoles - f.holes + holes > c.poolBlocks) {
      f.refusedCapacity++;
      return Verdict.RefusedCapacity;
    }
    f.occupied++;
    f.aboveCsn += above;
    f.highest = highest;
    this.syncHoles(f);
    return Verdict.Accepted;
  }

  private syncHoles(f: FlowReceiver): void {
    const h = f.highest - f.cumulativeAck - f.aboveCsn;
    this.sumHoles += h - f.holes;
    f.holes = h;
  }

  /** Moves the cumulative ack up to an FSN, uncounting the occupied slots it passes. */
  private advanceTo(f: FlowReceiver, fsn: number): void {
    const mask = f.mask;
    const end = Math.min(fsn, f.deliveredThrough + f.size);
    for (let q = f.cumulativeAck + 1; f.aboveCsn > 0 && q <= end; q++) {
      if (f.state[q & mask] !== Slot.Empty) f.aboveCsn--;
    }
    f.cumulativeAck = fsn;
    if (fsn > f.highest) f.highest = fsn;
    this.syncHoles(f);
  }

  /** Copies a fragment into a pool block and links it to its neighbours. */
  private store(f: FlowReceiver, slot: number, seq: number, fra: number, off: number, len: number): Verdict {
    const c = this.config;
    const mask = f.mask;
    const { state, run } = f;
    let leftLen = 0;
    let rightLen = 0;
    if (fra === FragmentControl.End || fra === FragmentControl.Middle) {
      const q = (seq - 1) & mask;
      const qf = f.fra[q]!;
      if (seq - 1 > f.deliveredThrough && state[q] === Slot.Buffered && (qf === FragmentControl.Begin || qf === FragmentControl.Middle)) leftLen = run[q]!;
    }
    if (fra === FragmentControl.Begin || fra === FragmentControl.Middle) {
      const q = (seq + 1) & mask;
      const qf = f.fra[q]!;
      if (state[q] === Slot.Buffered && (qf === FragmentControl.Middle || qf === FragmentControl.End)) rightLen = run[q]!;
    }
    const total = leftLen + 1 + rightLen;
    if (total > c.maxFragmentsPerMessage) {
      f.refusedMessageLimit++;
      return Verdict.RefusedMessageLimit;
    }
    if (this.admit(f, seq, true) !== Verdict.Accepted) return Verdict.RefusedCapacity;
    const b = this.takeBlock();
    this.memory.copyWithin(this.poolBase + b * c.blockBytes, off, off + len);
    const p = seq & mask;
    state[p] = Slot.Buffered;
    f.fra[p] = fra;
    f.length[p] = len;
    f.block[p] = b;
    run[p] = total;
    run[(seq - leftLen) & mask] = total;
    run[(seq + rightLen) & mask] = total;
    f.blocksUsed++;
    f.bufferedBytes += len;
    if (f.network) {
      const first = seq - leftLen;
      const last = seq + rightLen;
      if (f.fra[first & mask] === FragmentControl.Begin && f.fra[last & mask] === FragmentControl.End) this.deliverRun(f, slot, first, last, Slot.Delivered);
    }
    return Verdict.Accepted;
  }

  /**
   * Delivery walk from deliveredThrough + 1 over numbers in the set (§3.6.3.3): deliver whole
   * fragments and complete begin..end runs, abandon runs that can no longer complete and
   * orphaned middle/end runs, stop at a message still in progress at the cumulative ack.
   */
  private walk(f: FlowReceiver, slot: number): void {
    const mask = f.mask;
    const { state } = f;
    while (f.deliveredThrough < f.cumulativeAck) {
      if (f.occupied === 0) {
        // Nothing held: jump over an FSN-covered stretch of any length in O(1).
        f.deliveredThrough = f.cumulativeAck;
        break;
      }
      const s = f.deliveredThrough + 1;
      const p = s & mask;
      const st = state[p];
      if (st === Slot.Empty) {
        f.deliveredThrough = s;
        continue;
      }
      if (st !== Slot.Buffered) {
        state[p] = Slot.Empty;
        f.occupied--;
        f.deliveredThrough = s;
        continue;
      }
      const fr = f.fra[p];
      if (fr === FragmentControl.Whole) {
        this.deliverRun(f, slot, s, s, Slot.Empty);
        f.deliveredThrough = s;
        continue;
      }
      const e = s + f.run[p]! - 1;
      if (fr === FragmentControl.Begin) {
        if (f.fra[e & mask] === FragmentControl.End) {
          this.deliverRun(f, slot, s, e, Slot.Empty);
        } else if (e < f.cumulativeAck) {
          this.abandonRun(f, slot, s, e);
        } else {
          break; // in progress
        }
      } else {
        this.abandonRun(f, slot, s, e); // orphan: its begin is gone
      }
      f.deliveredThrough = e;
    }
  }

  private deliverRun(f: FlowReceiver, slot: number, first: number, last: number, after: Slot): void {
    const c = this.config;
    const mask = f.mask;
    let need = 0;
    for (let q = first; q <= last; q++) need += f.length[q & mask]!;
    this.reserveDelivery(need);
    const start = this.deliveryUsed;
    let dst = this.deliveryBase + start;
    for (let q = first; q <= last; q++) {
      const p = q & mask;
      const b = f.block[p]!;
      const len = f.length[p]!;
      const src = this.poolBase + b * c.blockBytes;
      this.memory.copyWithin(dst, src, src + len);
      dst += len;
      this.freeBlocks[this.freeTop++] = b;
      f.state[p] = after;
      f.bufferedBytes -= len;
    }
    const n = last - first + 1;
    f.blocksUsed -= n;
    if (after === Slot.Empty) f.occupied -= n;
    const bytes = dst - this.deliveryBase - start;
    const k = this.delivered++;
    this.deliveryRow(k);
    this.deliveryFlow[k] = slot;
    this.deliveryFirst[k] = first;
    this.deliveryLast[k] = last;
    this.deliveryOffset[k] = start;
    this.deliveryLength[k] = bytes;
    this.deliveryUsed = start + bytes;
    f.deliveredMessages++;
    f.deliveredBytes += bytes;
  }

  private emitDelivery(slot: number, first: number, last: number, off: number, len: number): void {
    this.reserveDelivery(len);
    const start = this.deliveryUsed;
    this.memory.copyWithin(this.deliveryBase + start, off, off + len);
    const k = this.delivered++;
    this.deliveryRow(k);
    this.deliveryFlow[k] = slot;
    this.deliveryFirst[k] = first;
    this.deliveryLast[k] = last;
    this.deliveryOffset[k] = start;
    this.deliveryLength[k] = len;
    this.deliveryUsed = start + len;
  }

  private abandonRun(f: FlowReceiver, slot: number, first: number, last: number): void {
    const mask = f.mask;
    let bytes = 0;
    for (let q = first; q <= last; q++) {
      const p = q & mask;
      bytes += f.length[p]!;
      this.freeBlocks[this.freeTop++] = f.block[p]!;
      f.state[p] = Slot.Empty;
    }
    const n = last - first + 1;
    f.blocksUsed -= n;
    f.occupied -= n;
    f.bufferedBytes -= bytes;
    const k = this.abandoned++;
    this.abandonRow(k);
    this.abandonFlow[k] = slot;
    this.abandonFirst[k] = first;
    this.abandonLast[k] = last;
    this.abandonFragments[k] = n;
    this.abandonBytes[k] = bytes;
    f.abandonedRuns++;
    f.abandonedBytes += bytes;
  }
}

const EMPTY_BYTES = new Uint8Array(0);

/** A typed array of `length` elements starting with the contents of `a`. */
function grownCopy<T extends Int32Array | Uint32Array | Float64Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
