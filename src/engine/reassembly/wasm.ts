import { instantiateWasm } from '../wasm-loader.js';
import {
  ReassemblyError,
  ReassemblyErrorCode,
  resolveReassemblyConfig,
  type BatchOutcome,
  type DeliveryOrder,
  type FlowState,
  type Reassembler,
  type ReassemblyArrays,
  type ReassemblyConfig,
  type ReassemblyLayout,
  type ReassemblyStats,
} from './types.js';
import { checkBatchCount, placeReassemblyArrays } from './common.js';

/** Exports of build/wasm/reassembly.wasm (assembly/reassembly/index.ts). */
interface ReassemblyExports extends Record<string, unknown> {
  memory: WebAssembly.Memory;
  init(
    maxFlows: number, maxFragmentBytes: number, blockBytes: number, poolBlocks: number, flowBlocks: number,
    maxFragmentsPerMessage: number, window: number, ringSize: number, maxBatch: number,
    batchDataBytes: number, deliveryBytes: number, outputs: number, maxAckRanges: number,
  ): number;
  layout(i: number): number;
  layoutCount(): number;
  openFlow(network: number): number;
  closeFlow(slot: number): number;
  isOpen(slot: number): number;
  poolFree(): number;
  promisedBlocks(): number;
  openFlows(): number;
  invalidRecordCount(): number;
  abandonedInLastCall(): number;
  ackRanges(slot: number): number;
  process(count: number): number;
}

// Layout indices, as in assembly/reassembly/index.ts.
// The array areas are named as the ReassemblyArrays they back.
const L = {
  batchFlow: 0, batchFlags: 1, batchSequence: 2, batchForward: 3, batchOffset: 4, batchLength: 5, batchVerdict: 6,
  batchData: 7, deliveryData: 8, deliveryFlow: 9, deliveryFirst: 10, deliveryLast: 11, deliveryOffset: 12,
  deliveryLength: 13, abandonFlow: 14, abandonFirst: 15, abandonLast: 16, abandonFragments: 17, abandonBytes: 18,
  ackFrom: 19, ackTo: 20, flows: 21, end: 22, count: 23,
} as const;

// Per-flow f64 fields, as in assembly/reassembly/index.ts.
const F = {
  open: 0, network: 1, deliveredThrough: 2, csn: 3, fsn: 4, final: 5, highest: 6, occupied: 7, blocks: 8,
  bufferedBytes: 9, accepted: 10, duplicates: 11, refusedCapacity: 12, refusedWindow: 13, refusedMessage: 14,
  refusedInvalid: 15, deliveredMessages: 16, deliveredBytes: 17, abandonedRuns: 18, abandonedBytes: 19,
  aboveCsn: 20, holes: 21,
} as const;
const FLOW_FIELDS = 32; // 256 bytes per flow

/** The typed arrays of the Reassembler interface, created by placeReassemblyArrays. */
export interface WasmReassembler extends Readonly<ReassemblyArrays> {}

/**
 * WASM-backed reassembler. All inputs and outputs are typed-array views of the module's linear
 * memory, laid out once by `init` (memory never grows afterwards, so the views stay valid).
 * Each instance has its own module instance and memory.
 */
export class WasmReassembler implements Reassembler {
  readonly kind = 'wasm' as const;
  readonly config: Readonly<ReassemblyLayout>;

  private readonly x: ReassemblyExports;
  private readonly flowFields: Float64Array;
  private delivered = 0;
  private readonly outcome: BatchOutcome = { delivered: 0, abandoned: 0 };

  constructor(partial: Partial<ReassemblyConfig> = {}, options: { debug?: boolean } = {}) {
    const c = resolveReassemblyConfig(partial);
    this.config = Object.freeze(c);
    const inst = instantiateWasm<ReassemblyExports>('reassembly', { debug: options.debug ?? false });
    const x = inst.exports as unknown as ReassemblyExports;
    this.x = x;
    if (x.layoutCount() !== L.count) {
      throw new ReassemblyError(ReassemblyErrorCode.Wasm, 'reassembly.wasm layout does not match this wrapper; rebuild it');
    }
    const rc = x.init(
      c.maxFlows, c.maxFragmentBytes, c.blockBytes, c.poolBlocks, c.flowBlocks,
      c.maxFragmentsPerMessage, c.windowSequences, c.ringSize, c.maxBatch,
      c.batchDataBytes, c.deliveryBytes, c.maxOutputs, c.maxAckRanges,
    );
    if (rc !== 0) throw new ReassemblyError(ReassemblyErrorCode.Wasm, 'reassembly.wasm could not grow its memory');
    const buf = x.memory.buffer;
    const at = (i: number): number => x.layout(i) >>> 0;
    placeReassemblyArrays(this, c, (type, name, length) => new type(buf, at(L[name]), length));
    this.flowFields = new Float64Array(buf, at(L.flows), c.maxFlows * FLOW_FIELDS);
  }

  process(count: number): BatchOutcome {
    checkBatchCount(count, this.config.maxBatch);
    this.delivered = this.x.process(count);
    this.outcome.delivered = this.delivered;
    this.outcome.abandoned = this.x.abandonedInLastCall();
    return this.outcome;
  }

  message(i: number): Uint8Array {
    if (!(i >= 0 && i < this.delivered)) {
      throw new ReassemblyError(ReassemblyErrorCode.BadFlow, `no delivered message ${i}`);
    }
    const off = this.deliveryOffset[i]!;
    return this.deliveryData.subarray(off, off + this.deliveryLength[i]!);
  }

  openFlow(order: DeliveryOrder = 'sequence'): number {
    const slot = this.x.openFlow(order === 'network' ? 1 : 0);
    if (slot < 0) throw new ReassemblyError(ReassemblyErrorCode.FlowLimit, `all ${this.config.maxFlows} flow slots are open`);
    return slot;
  }

  closeFlow(flow: number): void {
    this.checkFlow(flow);
    this.x.closeFlow(flow);
  }

  flowState(flow: number): FlowState {
    this.checkFlow(flow);
    const v = this.flowFields;
    const b = flow * FLOW_FIELDS;
    const c = this.config;
    const final = v[b + F.final]!;
    const delivered = v[b + F.deliveredThrough]!;
    const free = Math.min(c.flowBlocks - v[b + F.blocks]! - v[b + F.holes]!, this.x.poolFree() - this.x.promisedBlocks());
    return {
      open: true,
      order: v[b + F.network] ? 'network' : 'sequence',
      cumulativeAck: v[b + F.csn]!,
      forwardSequence: v[b + F.fsn]!,
      deliveredThrough: delivered,
      finalSequence: final,
      complete: final >= 0 && delivered >= final,
      bufferedFragments: v[b + F.blocks]!,
      bufferedBytes: v[b + F.bufferedBytes]!,
      availableBytes: Math.max(0, free) * c.blockBytes,
      accepted: v[b + F.accepted]!,
      duplicates: v[b + F.duplicates]!,
      refusedCapacity: v[b + F.refusedCapacity]!,
      refusedWindow: v[b + F.refusedWindow]!,
      refusedMessageLimit: v[b + F.refusedMessage]!,
      refusedInvalid: v[b + F.refusedInvalid]!,
      deliveredMessages: v[b + F.deliveredMessages]!,
      deliveredBytes: v[b + F.deliveredBytes]!,
      abandonedRuns: v[b + F.abandonedRuns]!,
      abandonedBytes: v[b + F.abandonedBytes]!,
    };
  }

  ackRanges(flow: number): number {
    this.checkFlow(flow);
    return this.x.ackRanges(flow);
  }

  stats(): ReassemblyStats {
    const c = this.config;
    return {
      openFlows: this.x.openFlows(),
      poolBlocks: c.poolBlocks,
      poolBlocksUsed: c.poolBlocks - this.x.poolFree(),
      invalidRecords: this.x.invalidRecordCount(),
    };
  }

  private checkFlow(flow: number): void {
    if (!Number.isInteger(flow) || flow < 0 || flow >= this.config.maxFlows || !this.x.isOpen(flow)) {
      throw new ReassemblyError(ReassemblyErrorCode.BadFlow, `flow slot ${flow} is not open`);
    }
  }
}
