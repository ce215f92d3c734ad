/**
 * One receiving flow of a session (RFC 7016 §3.6.3; wire-reference C.1-C.5): its identity
 * (sender-chosen flow ID, metadata, return-flow association), its lifecycle, and, once it no
 * longer holds a reassembler slot, a compact sequence set so it can still be acknowledged.
 *
 * Lifecycle:
 * - `open`: the flow owns a reassembler slot; data is buffered and delivered.
 * - `rejected`: refused by the receiver (C.4). Data is dropped but its sequence numbers are still
 *   tracked and acknowledged, each ack preceded by a Flow Exception Report, so the sender learns
 *   and stops. rtmfp-cpp behaves this way.
 * - `complete`: FIN and everything before it was received or abandoned (C.4). The flow lingers
 *   (receiver 120 s in rtmfp-cpp) so late retransmissions are re-acked instead of opening a
 *   new flow, then it is forgotten.
 * Rejected and complete flows are "parked": no slot, a few numbers of state, an expiry time.
 */
import { RtmfpError } from '../errors.js';
import type { DeliveryOrder } from '../engine/reassembly/types.js';

export const ReceiveFlowErrorCode = {
  /** A ReceiveFlows method was called from inside one of its own callbacks. */
  Reentrant: 'ERR_RECEIVE_FLOW_REENTRANT',
  /** Bad construction options. */
  Config: 'ERR_RECEIVE_FLOW_CONFIG',
} as const;
export type ReceiveFlowErrorCode = (typeof ReceiveFlowErrorCode)[keyof typeof ReceiveFlowErrorCode];

export class ReceiveFlowError extends RtmfpError {
  constructor(code: ReceiveFlowErrorCode, message: string) {
    super(code, message);
  }
}

export type ReceiveFlowState = 'open' | 'rejected' | 'complete';

/** Why a flow was rejected (every reason sends exception code 0 unless the owner chose one). */
export type RejectReason =
  /** The owner's `onFlow` refused the metadata. */
  | 'metadata'
  /** The first chunk seen for an unknown flow carried no metadata option (C.1). */
  | 'no-metadata'
  /** An option type below 0x2000 that this receiver does not understand (C.2). */
  | 'unknown-option'
  /** Return-flow association to a flow this end is not sending (C.5). */
  | 'association'
  /** The per-session flow cap, or no free reassembler slot. */
  | 'flow-limit'
  /** A message longer than the reassembler's maxFragmentsPerMessage: it could never complete. */
  | 'message-limit'
  /** The owner called `reject`. */
  | 'owner';

/** What the owner sees of a receiving flow. */
export interface ReceiveFlowInfo {
  readonly flowId: number;
  /** User's per-flow metadata (option 0x00), copied out of the packet. */
  readonly metadata: Uint8Array;
  /** Option 0x0a: the ID of this end's sending flow that this flow answers (C.5). */
  readonly associatedFlowId: number | undefined;
  readonly order: DeliveryOrder;
  readonly state: ReceiveFlowState;
}

/** Most ack ranges a parked flow remembers above its cumulative ack; more are refused (not acked). */
export const PARKED_MAX_RANGES = 32;

/** Outcome of recording a sequence number in a parked flow's set. */
export const ParkedVerdict = {
  Accepted: 0,
  Duplicate: 1,
  /** Not recorded (too many ranges, beyond FIN, bad numbers): do not ack it. */
  Refused: 2,
} as const;
export type ParkedVerdict = (typeof ParkedVerdict)[keyof typeof ParkedVerdict];

const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

/**
 * The sequence set of a flow without a buffer: cumulative ack plus at most PARKED_MAX_RANGES
 * ranges above it (C.1, C.3). Numbers at or below an FSN count as received.
 */
export class SequenceSet {
  cumulativeAck: number;
  /** Sequence number carrying FIN, or -1. */
  finalSequence: number;
  readonly from: number[] = [];
  readonly to: number[] = [];

  constructor(cumulativeAck = 0, finalSequence = -1) {
    this.cumulativeAck = cumulativeAck;
    this.finalSequence = finalSequence;
  }

  get complete(): boolean {
    return this.finalSequence >= 0 && this.cumulativeAck >= this.finalSequence;
  }

  /** Highest number in the set. */
  get highest(): number {
    return this.to.length > 0 ? this.to[this.to.length - 1]! : this.cumulativeAck;
  }

  /** Adds a range known to lie above the cumulative ack, in ascending order (used when parking). */
  appendRange(from: number, to: number): void {
    if (this.from.length < PARKED_MAX_RANGES && from > this.highest + 1 && to >= from) {
      this.from.push(from);
      this.to.push(to);
    }
  }

  record(seq: number, fsn: number, fin: boolean): ParkedVerdict {
    if (!(Number.isInteger(seq) && seq >= 1 && seq <= MAX_SEQUENCE) || !(Number.isInteger(fsn) && fsn >= 0 && fsn <= seq)) {
      return ParkedVerdict.Refused;
    }
    if (this.contains(seq)) {
      this.forward(fsn);
      return ParkedVerdict.Duplicate;
    }
    // Nothing may follow FIN, and FIN may not move (C.1).
    if (this.finalSequence >= 0 && (seq > this.finalSequence || fin)) return ParkedVerdict.Refused;
    if (fin && seq < this.highest) return ParkedVerdict.Refused;
    this.forward(fsn);
    // A fresh number may already be covered by its own FSN (ABN|FIN with FSN offset 0, C.1).
    if (!this.contains(seq) && !this.insert(seq)) return ParkedVerdict.Refused;
    if (fin) this.finalSequence = seq;
    this.merge();
    return ParkedVerdict.Accepted;
  }

  contains(seq: number): boolean {
    if (seq <= this.cumulativeAck) return true;
    for (let i = 0; i < this.from.length; i++) if (seq >= this.from[i]! && seq <= this.to[i]!) return true;
    return false;
  }

  private forward(fsn: number): void {
    if (fsn <= this.cumulativeAck) return;
    this.cumulativeAck = fsn;
    let drop = 0;
    while (drop < this.from.length && this.to[drop]! <= fsn) drop++;
    this.from.splice(0, drop);
    this.to.splice(0, drop);
    this.merge();
  }

  /** Inserts seq (not in the set, above the cumulative ack), joining neighbours; false when full. */
  private insert(seq: number): boolean {
    let i = 0;
    while (i < this.from.length && this.to[i]! < seq) i++;
    const joinLeft = i > 0 && this.to[i - 1] === seq - 1;
    const joinRight = i < this.from.length && this.from[i] === seq + 1;
    if (joinLeft && joinRight) {
      this.to[i - 1] = this.to[i]!;
      this.from.splice(i, 1);
      this.to.splice(i, 1);
    } else if (joinLeft) {
      this.to[i - 1] = seq;
    } else if (joinRight) {
      this.from[i] = seq;
    } else if (seq === this.cumulativeAck + 1) {
      this.cumulativeAck = seq;
    } else {
      if (this.from.length >= PARKED_MAX_RANGES) return false;
      this.from.splice(i, 0, seq);
      this.to.splice(i, 0, seq);
    }
    return true;
  }

  /** Folds a first range that touches the cumulative ack into it. */
  private merge(): void {
    while (this.from.length > 0 && this.from[0]! <= this.cumulativeAck + 1) {
      if (this.to[0]! > this.cumulativeAck) this.cumulativeAck = this.to[0]!;
      this.from.shift();
      this.to.shift();
    }
  }
}

/** A receiving flow's record, owned by ReceiveFlows. */
export class ReceiveFlow implements ReceiveFlowInfo {
  readonly flowId: number;
  readonly metadata: Uint8Array;
  readonly associatedFlowId: number | undefined;
  order: DeliveryOrder;
  state: ReceiveFlowState = 'open';
  /** Reassembler slot while open, else -1. */
  slot = -1;
  /** Sequence set once parked (rejected or complete), else null. */
  parked: SequenceSet | null = null;
  /** Parked flows are forgotten at this time. */
  expiresAt = Infinity;
  /** Exception code sent before each ack while rejected (C.4). */
  exceptionCode = 0;
  rejectReason: RejectReason | undefined;
  /** Last bufferBlocksAvailable sent, or -1 before the first ack. */
  lastAdvertisedBlocks = -1;
  /** Highest sequence number or FSN this flow has accepted (cumulative ack below it = holes). */
  highestSeen = 0;
  /** Cached after each batch (open flows). */
  cumulativeAck = 0;
  bufferedBytes = 0;
  /** Cached after each batch (open flows): every number at or below it was delivered or given up. */
  deliveredThrough = 0;
  /** Bytes this flow counts against a session buffer cap (see ReceiveFlows, maxBufferedBytes). */
  charge = 0;
  /** The owner rejected it during a callback; it is parked when the current batch ends. */
  rejecting = false;
  /** Batch bookkeeping of ReceiveFlows (epoch of the batch that last touched it). */
  batchEpoch = -1;
  /** Cumulative ack expected by in-order data during the current batch. */
  expect = 0;
  /** Highest sequence number put into the current batch. */
  batchTop = 0;
  /** There were holes above the cumulative ack when the current batch started. */
  hadHoles = false;
  /** Marked as owing an ack during the current batch. */
  ackMarked = false;

  constructor(flowId: number, metadata: Uint8Array, associatedFlowId: number | undefined, order: DeliveryOrder) {
    this.flowId = flowId;
    this.metadata = metadata;
    this.associatedFlowId = associatedFlowId;
    this.order = order;
  }
}
