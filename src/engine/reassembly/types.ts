import { RtmfpError } from '../../errors.js';

/**
 * Flow receiver reassembly (RFC 7016 §3.6.3; wire-reference C.1-C.4): the receiving side of
 * many flows. User Data fragments go in as batches; complete messages, abandonment reports and
 * ack state come out. Two implementations share this interface: `ReferenceReassembler` (plain
 * TypeScript) and `WasmReassembler` (AssemblyScript in `assembly/reassembly/`). Tests hold them
 * byte-equal on random scenarios.
 *
 * Model, per flow (sequence numbers start at 1, C.1):
 * - The *sequence set* is every number received, abandoned (ABN) or at or below the forward
 *   sequence number (FSN). `cumulativeAck` (CSN) is the highest N with 1..N all in the set;
 *   the numbers in the set above it are the Ack Ranges (C.3).
 * - A record whose sequence number is already in the set is a duplicate (ack it at once, C.3).
 * - `deliveredThrough` (D <= CSN) is how far the receiver has consumed the sequence: every
 *   number <= D was delivered or given up. Delivery walks from D + 1 through the set:
 *   a whole fragment, or a begin..end run, is delivered; a begin whose run hits a number in the
 *   set that cannot continue it (an FSN-covered gap, an ABN, a new begin) is abandoned; middle
 *   or end fragments with no begin before them (their begin was abandoned) are abandoned.
 *   'sequence' order delivers only from that walk; 'network' order (RFC 7425 receive intent
 *   "network arrival order") also delivers any complete message the moment its last fragment
 *   arrives.
 * - An abandonment report names one *discarded run* of buffered fragments (first..last
 *   sequence number, fragment count, payload bytes). Numbers given up on with nothing buffered
 *   (pure gaps, ABN records) are not reported. A message whose pieces are discarded at
 *   different times can produce more than one report.
 * - FIN fixes the final sequence number; the flow is complete once everything up to it was
 *   delivered or abandoned (C.4).
 *
 * Memory: payloads are copied once from the batch staging area into fixed-size blocks of a
 * block pool preallocated for the instance (the arena), one block per fragment. Each flow may
 * hold at most `flowBufferBytes` worth of blocks, the instance at most `poolBytes`: a fragment
 * over either cap is refused (not added to the set, so the caller does not ack it and the
 * sender retransmits). Fixed blocks make frees O(1) in any order (out-of-order arrival,
 * network-order delivery, abandonment) with no compaction and no fragmentation; the price is
 * that a small fragment costs a whole block, which the caps count honestly.
 * Hole reservation: a flow's blocks plus the gaps (numbers not in the set) between its
 * cumulative ack and the highest number it holds must fit its cap, and the sum over flows must
 * fit the pool. A gap then always has a block waiting, so a retransmission that fills a hole is
 * never refused and out-of-order data cannot deadlock a flow (like a TCP window counted from
 * the cumulative ack). With maxFragmentsPerMessage <= the flow's blocks (checked), every
 * message can complete. A pool smaller than the sum of flow caps makes flows wait for each
 * other, never deadlock, as long as each flow's sender keeps retransmitting.
 * Delivered messages are copied (gathered) into the delivery area, which is reset at the start
 * of every `process` call: views of it are valid until the next call. A whole fragment that can
 * be delivered at once is copied straight from staging to the delivery area and never takes a
 * block. The delivery area is sized so that one call can never overflow it (pool plus staging).
 */

export const ReassemblyErrorCode = {
  Config: 'ERR_REASSEMBLY_CONFIG',
  FlowLimit: 'ERR_REASSEMBLY_FLOW_LIMIT',
  BadFlow: 'ERR_REASSEMBLY_BAD_FLOW',
  BatchLimit: 'ERR_REASSEMBLY_BATCH_LIMIT',
  Wasm: 'ERR_REASSEMBLY_WASM',
} as const;
export type ReassemblyErrorCode = (typeof ReassemblyErrorCode)[keyof typeof ReassemblyErrorCode];

export class ReassemblyError extends RtmfpError {
  constructor(code: ReassemblyErrorCode, message: string) {
    super(code, message);
  }
}

/** How a record of a batch was treated. Only Accepted records changed the sequence set by themselves. */
export const Verdict = {
  /** Stored, delivered, or (ABN) recorded as abandoned: the number is now in the set. */
  Accepted: 0,
  /** Already in the set (received before, or at or below the FSN): ack immediately (C.3). */
  Duplicate: 1,
  /** Over the per-flow or instance buffer cap (blocks plus gaps below the highest held number):
   *  not in the set, do not ack; the sender retransmits. */
  RefusedCapacity: 2,
  /** More than `windowSequences` above the cumulative ack. Its FSN was still applied. */
  RefusedWindow: 3,
  /** Would make a run of one message longer than `maxFragmentsPerMessage`. */
  RefusedMessageLimit: 4,
  /** Malformed: unknown or closed flow, bad sequence number or FSN, payload too long or outside
   *  staging, a fragment after FIN, a second different FIN. Nothing was applied. */
  Invalid: 5,
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export type DeliveryOrder = 'sequence' | 'network';

export interface ReassemblyConfig {
  /** Flow slots of the instance. */
  maxFlows: number;
  /** Largest fragment payload; also the block size (rounded up to 8). rtmfp-cpp's is 1161 (A.5). */
  maxFragmentBytes: number;
  /** Total buffer of the instance (the block pool), rounded down to whole blocks. */
  poolBytes: number;
  /** Per-flow buffer cap, rounded down to whole blocks. */
  flowBufferBytes: number;
  /** Longest message, in fragments. */
  maxFragmentsPerMessage: number;
  /** How far above the cumulative ack a sequence number may be stored. */
  windowSequences: number;
  /** Records per `process` call. */
  maxBatch: number;
  /** Size of the payload staging area. */
  batchDataBytes: number;
  /** Capacity of the `ackRanges` output. */
  maxAckRanges: number;
}

/**
 * Hard limits, and why: fragment payloads live in 16-bit chunk lengths (A.5); 65536 flows,
 * sequences and records bound the descriptor tables; the whole layout must fit 32-bit WASM
 * memory (checked again when it is computed).
 */
export const REASSEMBLY_LIMITS = {
  maxFlows: 65536,
  maxFragmentBytes: 65535,
  poolBytes: 1 << 30,
  flowBufferBytes: 1 << 30,
  maxFragmentsPerMessage: 65536,
  windowSequences: 65536,
  maxBatch: 65536,
  batchDataBytes: 64 * 1024 * 1024,
  maxAckRanges: 65536,
  /** Sequence numbers and FSNs must be integers in [0, 2^53 - 1] (exact in a double). */
  maxSequence: Number.MAX_SAFE_INTEGER,
  /** Everything an instance allocates. */
  totalBytes: 2 ** 31,
} as const;

export const DEFAULT_REASSEMBLY_CONFIG: Readonly<ReassemblyConfig> = Object.freeze({
  maxFlows: 64,
  maxFragmentBytes: 1200,
  poolBytes: 4 * 1024 * 1024,
  flowBufferBytes: 2 * 1024 * 1024,
  maxFragmentsPerMessage: 1024,
  windowSequences: 2048,
  maxBatch: 256,
  batchDataBytes: 256 * 1200,
  maxAckRanges: 256,
});

/** Config plus the sizes both implementations derive from it, identically. */
export interface ReassemblyLayout extends ReassemblyConfig {
  blockBytes: number;
  poolBlocks: number;
  flowBlocks: number;
  /** Slots per flow: a power of two > windowSequences + maxFragmentsPerMessage + 1. */
  ringSize: number;
  /** Delivery area: every byte one call could deliver (pool plus staging). */
  deliveryBytes: number;
  /** Delivery and abandonment descriptors per call (pool blocks plus records). */
  maxOutputs: number;
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new ReassemblyError(ReassemblyErrorCode.Config, `${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
}

/**
 * Fills defaults, validates, and derives the sizes; throws ReassemblyError(ERR_REASSEMBLY_CONFIG).
 * Everything must fit one 32-bit memory; with `allocatesUpFront` false (the reference
 * implementation, which gives each flow its ring when it opens) the flow rings are not counted,
 * so a reassembler shared by many sessions may have many flow slots.
 */
export function resolveReassemblyConfig(partial: Partial<ReassemblyConfig> = {}, allocatesUpFront = true): ReassemblyLayout {
  const c: ReassemblyConfig = { ...DEFAULT_REASSEMBLY_CONFIG, ...partial };
  const L = REASSEMBLY_LIMITS;
  checkInt('maxFlows', c.maxFlows, 1, L.maxFlows);
  checkInt('maxFragmentBytes', c.maxFragmentBytes, 1, L.maxFragmentBytes);
  checkInt('poolBytes', c.poolBytes, 1, L.poolBytes);
  checkInt('flowBufferBytes', c.flowBufferBytes, 1, L.flowBufferBytes);
  checkInt('maxFragmentsPerMessage', c.maxFragmentsPerMessage, 1, L.maxFragmentsPerMessage);
  checkInt('windowSequences', c.windowSequences, 1, L.windowSequences);
  checkInt('maxBatch', c.maxBatch, 1, L.maxBatch);
  checkInt('batchDataBytes', c.batchDataBytes, 1, L.batchDataBytes);
  checkInt('maxAckRanges', c.maxAckRanges, 1, L.maxAckRanges);
  const blockBytes = (c.maxFragmentBytes + 7) & ~7;
  const poolBlocks = Math.floor(c.poolBytes / blockBytes);
  const flowBlocks = Math.floor(c.flowBufferBytes / blockBytes);
  if (poolBlocks < 1 || flowBlocks < 1) {
    throw new ReassemblyError(ReassemblyErrorCode.Config, `poolBytes and flowBufferBytes must hold at least one ${blockBytes}-byte block`);
  }
  if (c.maxFragmentsPerMessage > Math.min(flowBlocks, poolBlocks)) {
    throw new ReassemblyError(
      ReassemblyErrorCode.Config,
      `maxFragmentsPerMessage ${c.maxFragmentsPerMessage} exceeds the blocks of a flow (${flowBlocks}) or of the pool (${poolBlocks}): such a message could never complete`,
    );
  }
  let ringSize = 1;
  while (ringSize <= c.windowSequences + c.maxFragmentsPerMessage + 1) ringSize *= 2;
  const layout: ReassemblyLayout = {
    ...c,
    blockBytes,
    poolBlocks,
    flowBlocks,
    ringSize,
    deliveryBytes: poolBlocks * blockBytes + c.batchDataBytes,
    maxOutputs: poolBlocks + c.maxBatch,
  };
  // Flow rings are allocated per open flow by an implementation that does not allocate up front.
  const total = estimateReassemblyBytes(layout) - (allocatesUpFront ? 0 : layout.maxFlows * (layout.ringSize * 12 + 256));
  if (total > L.totalBytes) {
    throw new ReassemblyError(ReassemblyErrorCode.Config, `configuration needs ${total} bytes, more than ${L.totalBytes}`);
  }
  return layout;
}

/** Upper bound of the memory an instance allocates for a layout (both implementations). */
export function estimateReassemblyBytes(l: ReassemblyLayout): number {
  return (
    l.poolBlocks * (l.blockBytes + 4) +
    l.deliveryBytes +
    l.batchDataBytes +
    l.maxBatch * 32 +
    l.maxOutputs * 2 * 32 +
    l.maxAckRanges * 16 +
    l.maxFlows * (l.ringSize * 12 + 256)
  );
}

export interface FlowState {
  open: boolean;
  order: DeliveryOrder;
  /** Highest N with 1..N all in the sequence set (Ack Ranges cumulativeAck, C.3). */
  cumulativeAck: number;
  /** Highest forward sequence number received. */
  forwardSequence: number;
  /** Every number <= this was delivered or given up. */
  deliveredThrough: number;
  /** Sequence number carrying FIN, or -1 while unknown. */
  finalSequence: number;
  /** FIN known and everything up to it delivered or abandoned. */
  complete: boolean;
  bufferedFragments: number;
  bufferedBytes: number;
  /** Room for new data above the highest number held, in bytes: the flow's and the pool's
   *  free blocks less those reserved for gaps. */
  availableBytes: number;
  accepted: number;
  duplicates: number;
  refusedCapacity: number;
  refusedWindow: number;
  refusedMessageLimit: number;
  refusedInvalid: number;
  deliveredMessages: number;
  deliveredBytes: number;
  abandonedRuns: number;
  abandonedBytes: number;
}

export interface ReassemblyStats {
  openFlows: number;
  poolBlocks: number;
  poolBlocksUsed: number;
  /** Records naming no open flow. */
  invalidRecords: number;
}

/** Counts produced by the last `process` call; the rows are in the output arrays. */
export interface BatchOutcome {
  delivered: number;
  abandoned: number;
}

/** bufferBlocksAvailable of an Ack Ranges chunk: 1024-byte units, rounded up (C.3). */
export function bufferBlocksAvailable(state: Pick<FlowState, 'availableBytes'>): number {
  return Math.ceil(state.availableBytes / 1024);
}

/**
 * The typed arrays of a reassembler: batch staging in, per-call results out. Owned by the
 * reassembler (views of WASM memory for the WASM version; the caller can decrypt packets
 * straight into `batchData`).
 */
export interface ReassemblyArrays {
  /**
   * Batch staging. Record i: flow slot batchFlow[i], User Data flags byte batchFlags[i],
   * sequence number batchSequence[i], forward sequence number batchForward[i]
   * (= sequence - fsnOffset, A.8), payload batchData[batchOffset[i] .. + batchLength[i])
   * (ignored with ABN).
   */
  batchFlow: Int32Array;
  batchFlags: Uint8Array;
  batchSequence: Float64Array;
  batchForward: Float64Array;
  batchOffset: Uint32Array;
  batchLength: Uint32Array;
  batchData: Uint8Array;
  /** Output: the Verdict of each record of the last call. */
  batchVerdict: Uint8Array;

  /** Delivered messages of the last call, in delivery order: bytes deliveryData[offset .. + length). */
  deliveryFlow: Int32Array;
  deliveryFirst: Float64Array;
  deliveryLast: Float64Array;
  deliveryOffset: Uint32Array;
  deliveryLength: Uint32Array;
  deliveryData: Uint8Array;

  /** Abandonment reports of the last call, in order: one per discarded run of buffered fragments. */
  abandonFlow: Int32Array;
  abandonFirst: Float64Array;
  abandonLast: Float64Array;
  abandonFragments: Uint32Array;
  abandonBytes: Uint32Array;

  /** Output of `ackRanges(flow)`. */
  ackFrom: Float64Array;
  ackTo: Float64Array;
}

export type ReassemblyArrayName = keyof ReassemblyArrays;

export interface Reassembler extends Readonly<ReassemblyArrays> {
  readonly kind: 'reference' | 'wasm';
  readonly config: Readonly<ReassemblyLayout>;

  /**
   * Processes records [0, count) of the batch staging in order. Throws
   * ReassemblyError(ERR_REASSEMBLY_BATCH_LIMIT) if count is out of range; bad records get
   * Verdict.Invalid instead of throwing. The outputs of the previous call are overwritten.
   */
  process(count: number): BatchOutcome;

  /** View of delivered message i of the last call; valid until the next call. */
  message(i: number): Uint8Array;

  /** Takes the lowest free flow slot; throws ReassemblyError(ERR_REASSEMBLY_FLOW_LIMIT) when full. */
  openFlow(order?: DeliveryOrder): number;
  /** Frees a flow slot and its buffered blocks (nothing is reported). */
  closeFlow(flow: number): void;
  flowState(flow: number): FlowState;
  /**
   * Writes the ranges of the sequence set above the cumulative ack to ackFrom/ackTo, ascending,
   * at most maxAckRanges (the rest truncated, C.3), and returns how many.
   */
  ackRanges(flow: number): number;
  stats(): ReassemblyStats;
}
