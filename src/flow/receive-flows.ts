/**
 * The receiving flows of one session (RFC 7016 §3.6.3; wire-reference C.1-C.5) over the
 * project's reassembly engine. Pure and clock-free: every entry point takes `now` (ms).
 *
 * In: the (Next) User Data chunks of each packet, resolved to absolute numbers
 * (`resolveUserData` / `UserDataSequencer`), and Buffer Probes. Out: owner callbacks
 * (new flow decision, messages, abandonment, completion, rejection) and, when the session asks,
 * Ack Ranges and Flow Exception Report chunks appended to a PacketBuilder.
 *
 * - A flow is created by its first User Data chunk, which must carry the metadata option (C.1).
 *   Unknown option types below 0x2000 (C.2), an association to a flow this end is not sending
 *   (C.5), the flow cap, or the owner's verdict reject it: Flow Exception Report (code 0 unless
 *   the owner chose one) followed by an ack, repeated before every later ack of that flow while
 *   its sender keeps sending; its data is dropped but its sequence numbers are acknowledged (C.4,
 *   as rtmfp-cpp does).
 * - Delivery order: sequence by default; network arrival order when the TC metadata asks for it
 *   (RXI bit, RFC 7425 §5.1, wire-reference E.1) or the owner says so.
 * - A complete flow (FIN and everything before it done) leaves the reassembler and lingers for
 *   `lingerMs` (120 s, C.4) as a few numbers, so late retransmissions are re-acked rather than
 *   opening a new flow; then it is forgotten. Rejected flows linger the same way (refreshed by
 *   new data). Parked flows are capped (`maxParkedFlows`, oldest evicted), so a flood of new flow
 *   IDs costs bounded memory.
 * - Buffering: the reassembler's caps are the per-flow and, for a reassembler owned by this
 *   session (the default), the per-session byte limits. Refused fragments are not acknowledged,
 *   so the sender retransmits them. With an injected shared reassembler, `maxBufferedBytes` adds
 *   a session cap: out-of-order data that would raise the session's reservation (every number
 *   between what it delivered and the highest it holds, one block each) above the cap is refused;
 *   in-order data and hole fills always reach the reassembler (its own caps bound them), so the
 *   cap can never stall a flow.
 *
 * Callbacks run synchronously inside `onUserData`/`onPacket`. Message bytes are views valid only
 * until the next `onUserData`/`onPacket` call: copy them to keep them. Callbacks may call
 * `reject` (applied when the current batch ends; later messages of that flow in the batch are
 * not delivered) but not the other methods.
 */
import { AckPolicy, LOW_WINDOW_BLOCKS, type AckPolicyOptions } from './ack-policy.js';
import {
  ParkedVerdict,
  ReceiveFlow,
  ReceiveFlowError,
  ReceiveFlowErrorCode,
  SequenceSet,
  type ReceiveFlowInfo,
  type RejectReason,
} from './receive-flow.js';
import { ChunkType } from '../wire/chunk-type.js';
import type { AnyChunk } from '../wire/chunk.js';
import { BUFFER_BLOCK_SIZE, type AckRangesChunk, type SequenceRange } from '../wire/chunks/ack.js';
import type { FlowExceptionReportChunk } from '../wire/chunks/flow-control.js';
import {
  UserDataFlag,
  UserDataOptionType,
  UserDataSequencer,
  type NextUserDataChunk,
  type ResolvedUserData,
  type UserDataChunk,
} from '../wire/chunks/user-data.js';
import { WireError } from '../wire/errors.js';
import { decodeTcMetadata, isTcMetadata, ReceiveIntent } from '../wire/flash/tc-metadata.js';
import type { PacketBuilder } from '../wire/packet.js';
import { createReassembler } from '../engine/reassembly/index.js';
import {
  bufferBlocksAvailable,
  ReassemblyError,
  Verdict,
  type DeliveryOrder,
  type Reassembler,
  type ReassemblyConfig,
} from '../engine/reassembly/types.js';

/** Receiver linger after completion (rtmfp-cpp: 120 s, wire-reference C.4). */
export const RECEIVE_LINGER_MS = 120_000;
/** Option types from here up may be ignored; below, unknown ones reject the flow (C.2). */
export const IGNORABLE_OPTION_TYPE = 0x2000;
/** Default cap on rejected plus lingering flows remembered per session. */
export const DEFAULT_MAX_PARKED_FLOWS = 256;

/**
 * The owner's answer to a new flow: true/undefined accept (with the metadata's order), false
 * reject with code 0, or an object choosing the order or the exception code.
 */
export type FlowDecision =
  | boolean
  | void
  | { accept: true; order?: DeliveryOrder }
  | { accept: false; exceptionCode?: number };

export interface ReceiveFlowsHandler {
  /** A new flow with acceptable options; decide on its metadata (default: accept). */
  onFlow?(flow: ReceiveFlowInfo): FlowDecision;
  /** A complete message. `message` is a view valid until the next onUserData/onPacket call. */
  onMessage?(flow: ReceiveFlowInfo, message: Uint8Array, firstSequence: number, lastSequence: number): void;
  /** Buffered fragments given up on (FSN jump or ABN, C.1): one run of one message. */
  onAbandoned?(flow: ReceiveFlowInfo, firstSequence: number, lastSequence: number, fragments: number, bytes: number): void;
  /** FIN and everything before it were delivered or abandoned (C.4). */
  onComplete?(flow: ReceiveFlowInfo): void;
  /** A flow was rejected (by these rules or by the owner). */
  onRejected?(flowId: number, exceptionCode: number, reason: RejectReason): void;
}

export interface ReceiveFlowsOptions {
  handler?: ReceiveFlowsHandler;
  /** A reassembler to share (for example one per endpoint). Default: one owned by this session. */
  reassembler?: Reassembler;
  /** Kind of the owned reassembler (default 'reference'). */
  reassemblerKind?: 'reference' | 'wasm';
  /** Config of the owned reassembler. */
  reassembly?: Partial<ReassemblyConfig>;
  /** Open flows per session (default: the reassembler's maxFlows). */
  maxFlows?: number;
  /** Session buffer cap in bytes for a shared reassembler (default: none beyond the reassembler's). */
  maxBufferedBytes?: number;
  /** Rejected plus lingering flows remembered (default 256; oldest forgotten first). */
  maxParkedFlows?: number;
  lingerMs?: number;
  ack?: AckPolicyOptions;
  /**
   * Whether this end has an open sending flow with this ID: the target of a return-flow
   * association (C.5). Without it associations are not checked.
   */
  isSendFlowOpen?: (flowId: number) => boolean;
}

/** Counters; every dropped or refused record lands in exactly one of them. */
export interface ReceiveFlowsStats {
  openFlows: number;
  parkedFlows: number;
  flowsAccepted: number;
  flowsRejected: number;
  /** User data records seen. */
  records: number;
  duplicates: number;
  /** Over the reassembler's buffer caps: not acked. */
  refusedCapacity: number;
  /** Beyond the reassembler's sequence window: not acked. */
  refusedWindow: number;
  refusedMessageLimit: number;
  /** Over maxBufferedBytes: not acked. */
  refusedSessionCap: number;
  /** Bad numbers, oversized payload, data after FIN, on open flows. */
  invalid: number;
  /** Records of rejected/lingering flows that could not be recorded (not acked). */
  parkedRefused: number;
  /** Next User Data chunks with nothing to continue (onPacket). */
  malformed: number;
  /** Buffer Probes for flows this session does not know. */
  unknownProbes: number;
  /** Parked flows forgotten early because of maxParkedFlows. */
  parkedEvicted: number;
}

const EMPTY = new Uint8Array(0);

function flagsOf(c: UserDataChunk | NextUserDataChunk): number {
  return (c.fragmentControl << 4) | (c.abandon ? UserDataFlag.Abandon : 0) | (c.final ? UserDataFlag.Final : 0);
}

/** Delivery order asked for by TC metadata (RXI, RFC 7425 §5.1); sequence for anything else. */
export function orderFromMetadata(metadata: Uint8Array): DeliveryOrder {
  if (!isTcMetadata(metadata)) return 'sequence';
  try {
    return (decodeTcMetadata(metadata).receiveIntent & 1) === ReceiveIntent.NetworkArrivalOrder ? 'network' : 'sequence';
  } catch {
    return 'sequence'; // malformed TC metadata: the owner judges it in onFlow
  }
}

export class ReceiveFlows {
  readonly reassembler: Reassembler;
  readonly policy: AckPolicy<ReceiveFlow>;
  readonly stats: ReceiveFlowsStats = {
    openFlows: 0,
    parkedFlows: 0,
    flowsAccepted: 0,
    flowsRejected: 0,
    records: 0,
    duplicates: 0,
    refusedCapacity: 0,
    refusedWindow: 0,
    refusedMessageLimit: 0,
    refusedSessionCap: 0,
    invalid: 0,
    parkedRefused: 0,
    malformed: 0,
    unknownProbes: 0,
    parkedEvicted: 0,
  };

  private readonly handler: ReceiveFlowsHandler;
  private maxFlows: number;
  private readonly maxBufferedBytes: number;
  private readonly maxParkedFlows: number;
  private readonly lingerMs: number;
  private readonly isSendFlowOpen: ((flowId: number) => boolean) | undefined;
  private readonly flows = new Map<number, ReceiveFlow>();
  /** Reassembler slot -> flow. */
  private readonly slotFlows: (ReceiveFlow | undefined)[] = [];
  /** Parked flows in expiry order (insertion order; refresh = delete + add). */
  private readonly parked = new Set<ReceiveFlow>();
  /** Flows whose last advertisement was below LOW_WINDOW_BLOCKS. */
  private readonly lowWindow = new Set<ReceiveFlow>();
  /** Record index -> flow, for the batch being built. */
  private readonly batchFlows: ReceiveFlow[] = [];
  private readonly touched: ReceiveFlow[] = [];
  private readonly deferredRejects: ReceiveFlow[] = [];
  /** Flows refused in this batch for a message over maxFragmentsPerMessage (applied after its deliveries). */
  private readonly messageLimitRejects = new Set<ReceiveFlow>();
  private epoch = 0;
  /** Abandonment reports already given in the current batch. */
  private abandonDone = new Uint8Array(64);
  private sessionCharge = 0;
  /** Reservation added by the batch being built (conservative; recomputed after it runs). */
  private batchCharge = 0;
  private busy = false;
  private readonly sequencer = new UserDataSequencer();
  private readonly resolved: ResolvedUserData[] = [];
  private readonly ackChunk: AckRangesChunk = { type: ChunkType.AckRanges, flowId: 0, bufferBlocksAvailable: 0, cumulativeAck: 0, ranges: [] };
  private readonly exceptionChunk: FlowExceptionReportChunk = { type: ChunkType.FlowExceptionReport, flowId: 0, exceptionCode: 0 };
  private readonly parkedBlocks: number;

  constructor(options: ReceiveFlowsOptions = {}) {
    this.reassembler = options.reassembler ?? createReassembler(options.reassemblerKind ?? 'reference', options.reassembly);
    this.handler = options.handler ?? {};
    const c = this.reassembler.config;
    this.maxFlows = options.maxFlows ?? c.maxFlows;
    this.maxBufferedBytes = options.maxBufferedBytes ?? Infinity;
    this.maxParkedFlows = options.maxParkedFlows ?? DEFAULT_MAX_PARKED_FLOWS;
    this.lingerMs = options.lingerMs ?? RECEIVE_LINGER_MS;
    this.isSendFlowOpen = options.isSendFlowOpen;
    if (!Number.isInteger(this.maxFlows) || this.maxFlows < 0) {
      throw new ReceiveFlowError(ReceiveFlowErrorCode.Config, `maxFlows must be a non-negative integer, got ${this.maxFlows}`);
    }
    // At least 1, so a flow just rejected is never forgotten before its exception goes out.
    if (!Number.isInteger(this.maxParkedFlows) || this.maxParkedFlows < 1) {
      throw new ReceiveFlowError(ReceiveFlowErrorCode.Config, `maxParkedFlows must be a positive integer, got ${this.maxParkedFlows}`);
    }
    if (!(this.maxBufferedBytes > 0) || !(this.lingerMs >= 0)) {
      throw new ReceiveFlowError(ReceiveFlowErrorCode.Config, 'maxBufferedBytes must be positive and lingerMs non-negative');
    }
    this.policy = new AckPolicy<ReceiveFlow>(options.ack);
    // What a flow without a buffer advertises: its cap, never 0 (Mona and librtmfp treat a zero
    // window as fatal, C.3).
    this.parkedBlocks = Math.max(1, Math.ceil((c.flowBlocks * c.blockBytes) / BUFFER_BLOCK_SIZE));
  }

  /** A flow by its (sender-chosen) ID, while it is open, rejected or lingering. */
  flow(flowId: number): ReceiveFlowInfo | undefined {
    return this.flows.get(flowId);
  }

  /** Every remembered flow. */
  allFlows(): IterableIterator<ReceiveFlowInfo> {
    return this.flows.values();
  }

  // ---- input ----

  /**
   * The user data of one packet, Next User Data already resolved. Counts as one packet for the
   * every-2-packets rule when any of it was data for a known or new flow.
   */
  onUserData(records: readonly ResolvedUserData[], now: number): void {
    this.enter(now);
    try {
      this.expire(now);
      const r = this.reassembler;
      const maxFragment = Math.min(r.config.maxFragmentBytes, r.batchData.length);
      let any = false;
      let n = 0;
      let dataOff = 0;
      for (const rec of records) {
        this.stats.records++;
        const chunk = rec.chunk;
        const len = chunk.abandon ? 0 : chunk.data.length;
        if (n === r.config.maxBatch || dataOff + Math.min(len, maxFragment) > r.batchData.length) {
          any = this.flush(n, now) || any;
          n = 0;
          dataOff = 0;
        }
        const flow = this.flows.get(rec.flowId) ?? this.newFlow(rec, now);
        if (flow.state !== 'open') {
          any = this.recordParked(flow, rec, now) || any;
          continue;
        }
        if (len > maxFragment) {
          this.stats.invalid++;
          continue;
        }
        const seq = rec.sequenceNumber;
        if (flow.batchEpoch !== this.epoch) {
          flow.batchEpoch = this.epoch;
          flow.expect = flow.cumulativeAck;
          flow.batchTop = flow.highestSeen;
          flow.hadHoles = flow.cumulativeAck < flow.highestSeen;
          flow.ackMarked = false;
          this.touched.push(flow);
        }
        if (this.maxBufferedBytes !== Infinity && seq > flow.batchTop && Number.isSafeInteger(seq)) {
          // Raising a flow's top reserves every number up to it (see the file comment); only
          // out-of-order data is refused for it.
          const add = (seq - Math.max(flow.batchTop, flow.deliveredThrough)) * r.config.blockBytes;
          if (seq > flow.batchTop + 1 && len > 0 && this.sessionCharge + this.batchCharge + add > this.maxBufferedBytes) {
            this.stats.refusedSessionCap++;
            continue;
          }
          this.batchCharge += add;
        }
        if (seq > flow.batchTop) flow.batchTop = seq;
        if (len > 0) r.batchData.set(len === chunk.data.length ? chunk.data : chunk.data.subarray(0, len), dataOff);
        r.batchFlow[n] = flow.slot;
        r.batchFlags[n] = flagsOf(chunk);
        r.batchSequence[n] = seq;
        r.batchForward[n] = rec.forwardSequenceNumber;
        r.batchOffset[n] = dataOff;
        r.batchLength[n] = len;
        this.batchFlows[n] = flow;
        dataOff += len;
        n++;
      }
      any = this.flush(n, now) || any;
      this.applyDeferredRejects(now);
      if (any) this.policy.dataPacket(now);
    } finally {
      this.leave();
    }
  }

  /**
   * The chunks of one decoded packet: user data (resolved here) and Buffer Probes; other chunk
   * types are ignored. A Next User Data chunk with nothing before it is counted and skipped.
   */
  onPacket(chunks: readonly AnyChunk[], now: number): void {
    const resolved = this.resolved;
    resolved.length = 0;
    this.sequencer.reset();
    let probes = false;
    for (const c of chunks) {
      if (c.type === ChunkType.UserData || c.type === ChunkType.NextUserData) {
        try {
          resolved.push(this.sequencer.resolve(c as UserDataChunk | NextUserDataChunk));
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
          this.stats.malformed++;
        }
      } else if (c.type === ChunkType.BufferProbe) {
        probes = true;
      }
    }
    if (resolved.length > 0) this.onUserData(resolved, now);
    resolved.length = 0;
    if (probes) for (const c of chunks) if (c.type === ChunkType.BufferProbe) this.onBufferProbe(c.flowId, now);
  }

  /** Buffer Probe (RFC 7016 §3.6.3.5): ack that flow at once. */
  onBufferProbe(flowId: number, now: number): void {
    this.enter(now);
    try {
      const flow = this.flows.get(flowId);
      if (flow) this.policy.mark(flow, now, true);
      else this.stats.unknownProbes++;
    } finally {
      this.leave();
    }
  }

  /**
   * Rejects an open flow (C.4): its buffer is dropped, a Flow Exception Report with `code`
   * and an ack go out at once. Returns false if the flow is not open. From inside a callback the
   * rejection is applied when the current batch ends.
   */
  reject(flowId: number, now: number, exceptionCode = 0): boolean {
    const flow = this.flows.get(flowId);
    if (!flow || flow.state !== 'open' || flow.rejecting) return false;
    flow.exceptionCode = exceptionCode;
    flow.rejectReason = 'owner';
    if (this.busy) {
      flow.rejecting = true;
      this.deferredRejects.push(flow);
    } else {
      this.rejectOpen(flow, now);
    }
    return true;
  }

  // ---- acks and time ----

  /** When an ack becomes due (<= now when it is), Infinity when nothing is owed (C.3). */
  nextAckDeadline(): number {
    return this.policy.nextAckDeadline();
  }

  ackDue(now: number): boolean {
    return this.policy.ackDue(now);
  }

  /** The next time `onTimeout` has work (ack due or a lingering flow to forget). */
  nextTimeout(): number {
    let t = this.policy.nextAckDeadline();
    const first = this.parked.values().next();
    if (!first.done && first.value.expiresAt < t) t = first.value.expiresAt;
    return t;
  }

  /** Forgets lingering and rejected flows whose time is up. Acks are sent through writeAcks. */
  onTimeout(now: number): void {
    this.enter(now);
    try {
      this.expire(now);
    } finally {
      this.leave();
    }
  }

  /**
   * Appends, for every flow owing an ack (oldest first), its Flow Exception Report if it is
   * rejected and then its Ack Ranges chunk, ranges truncated to the room left (C.3). Stops at the
   * first flow that does not fit; those stay owed. Call it when `ackDue(now)`, or whenever a packet
   * is going out anyway (piggybacking). Returns the number of flows acknowledged.
   */
  writeAcks(builder: PacketBuilder, now: number): number {
    this.enter(now);
    try {
      return this.policy.drain((flow) => this.writeFlowAck(builder, flow));
    } finally {
      this.leave();
    }
  }

  /**
   * The session is closing (RFC 7016 section 3.5.5, wire-reference B.4): every open flow gives
   * its slot and buffered fragments back to the reassembler and lingers as its sequence set, so
   * late data is still acknowledged (C.4) but no longer delivered; flows opened from now on are
   * rejected. Nothing is reported to the handler.
   */
  parkAll(now: number): void {
    this.enter(now);
    try {
      this.maxFlows = 0;
      for (const flow of this.flows.values()) if (flow.state === 'open') this.park(flow, 'complete', now);
    } finally {
      this.leave();
    }
  }

  /** Closes every open flow's reassembler slot (for a shared reassembler when the session ends). */
  close(): void {
    for (const flow of this.flows.values()) if (flow.slot >= 0) this.releaseSlot(flow);
    this.flows.clear();
    this.parked.clear();
    this.lowWindow.clear();
    this.stats.openFlows = 0;
    this.stats.parkedFlows = 0;
  }

  // ---- internals ----

  private enter(_now: number): void {
    if (this.busy) throw new ReceiveFlowError(ReceiveFlowErrorCode.Reentrant, 'ReceiveFlows called from inside one of its callbacks');
    this.busy = true;
  }

  private leave(): void {
    this.busy = false;
  }

  private newFlow(rec: ResolvedUserData, now: number): ReceiveFlow {
    const opts = rec.chunk.options;
    const metadata = opts?.userMetadata;
    const association = opts?.returnFlowAssociation;
    if (!opts || metadata === undefined || rec.chunk.type !== ChunkType.UserData) {
      return this.rejectNew(rec.flowId, EMPTY, association, 'no-metadata', 0, now);
    }
    const copy = metadata.slice();
    if (opts.otherOptions?.some((o) => o.type < IGNORABLE_OPTION_TYPE && o.type !== UserDataOptionType.UserMetadata && o.type !== UserDataOptionType.ReturnFlowAssociation)) {
      return this.rejectNew(rec.flowId, copy, association, 'unknown-option', 0, now);
    }
    if (association !== undefined && this.isSendFlowOpen && !this.isSendFlowOpen(association)) {
      return this.rejectNew(rec.flowId, copy, association, 'association', 0, now);
    }
    if (this.stats.openFlows >= this.maxFlows) return this.rejectNew(rec.flowId, copy, association, 'flow-limit', 0, now);
    const flow = new ReceiveFlow(rec.flowId, copy, association, orderFromMetadata(copy));
    const d = this.handler.onFlow?.(flow);
    if (d === false || (typeof d === 'object' && !d.accept)) {
      const code = typeof d === 'object' && !d.accept ? d.exceptionCode ?? 0 : 0;
      return this.rejectNew(rec.flowId, copy, association, 'metadata', code, now);
    }
    if (typeof d === 'object' && d.accept && d.order) flow.order = d.order;
    try {
      flow.slot = this.reassembler.openFlow(flow.order);
    } catch (e) {
      if (!(e instanceof ReassemblyError)) throw e;
      return this.rejectNew(rec.flowId, copy, association, 'flow-limit', 0, now);
    }
    this.slotFlows[flow.slot] = flow;
    this.flows.set(flow.flowId, flow);
    this.stats.openFlows++;
    this.stats.flowsAccepted++;
    return flow;
  }

  private rejectNew(flowId: number, metadata: Uint8Array, association: number | undefined, reason: RejectReason, code: number, now: number): ReceiveFlow {
    const flow = new ReceiveFlow(flowId, metadata, association, 'sequence');
    flow.rejectReason = reason;
    flow.exceptionCode = code;
    this.flows.set(flowId, flow);
    this.park(flow, 'rejected', now);
    this.stats.flowsRejected++;
    this.policy.mark(flow, now, true);
    this.handler.onRejected?.(flowId, code, reason);
    return flow;
  }

  private rejectOpen(flow: ReceiveFlow, now: number): void {
    flow.rejecting = false;
    if (flow.state !== 'open') return;
    this.park(flow, 'rejected', now);
    this.stats.flowsRejected++;
    this.policy.mark(flow, now, true);
    this.handler.onRejected?.(flow.flowId, flow.exceptionCode, flow.rejectReason ?? 'owner');
  }

  /** Data for a rejected or lingering flow: track and re-ack it, drop the payload. */
  private recordParked(flow: ReceiveFlow, rec: ResolvedUserData, now: number): boolean {
    const set = flow.parked!;
    const c = rec.chunk;
    const v = set.record(rec.sequenceNumber, rec.forwardSequenceNumber, c.final);
    if (v === ParkedVerdict.Refused) {
      this.stats.parkedRefused++;
      return false;
    }
    if (v === ParkedVerdict.Duplicate) this.stats.duplicates++;
    if (flow.state === 'rejected' && !set.complete) {
      // Keep remembering a rejected flow while its sender keeps sending.
      flow.expiresAt = now + this.lingerMs;
      this.parked.delete(flow);
      this.parked.add(flow);
    }
    this.policy.mark(flow, now, true);
    return true;
  }

  /** Moves a flow out of the reassembler into the parked table. */
  private park(flow: ReceiveFlow, state: 'rejected' | 'complete', now: number): void {
    if (flow.slot >= 0) {
      const r = this.reassembler;
      const st = r.flowState(flow.slot);
      const set = new SequenceSet(st.cumulativeAck, st.finalSequence);
      const k = r.ackRanges(flow.slot);
      for (let i = 0; i < k; i++) set.appendRange(r.ackFrom[i]!, r.ackTo[i]!);
      flow.parked = set;
      this.releaseSlot(flow);
      this.stats.openFlows--;
    } else {
      flow.parked ??= new SequenceSet();
    }
    flow.state = state;
    flow.expiresAt = now + this.lingerMs;
    this.lowWindow.delete(flow);
    this.parked.add(flow);
    this.stats.parkedFlows = this.parked.size;
    while (this.parked.size > this.maxParkedFlows) {
      const oldest = this.parked.values().next().value!;
      this.forget(oldest);
      this.stats.parkedEvicted++;
    }
  }

  private releaseSlot(flow: ReceiveFlow): void {
    this.reassembler.closeFlow(flow.slot);
    this.slotFlows[flow.slot] = undefined;
    flow.slot = -1;
    this.sessionCharge -= flow.charge;
    flow.charge = 0;
  }

  private forget(flow: ReceiveFlow): void {
    this.parked.delete(flow);
    this.lowWindow.delete(flow);
    this.policy.forget(flow);
    if (this.flows.get(flow.flowId) === flow) this.flows.delete(flow.flowId);
    this.stats.parkedFlows = this.parked.size;
  }

  private expire(now: number): void {
    for (const flow of this.parked) {
      if (flow.expiresAt > now) break;
      this.forget(flow);
    }
  }

  /** Runs one reassembler batch and reacts to it; true when it contained data to ack. */
  private flush(n: number, now: number): boolean {
    if (n === 0) return false;
    const r = this.reassembler;
    const out = r.process(n);
    this.batchCharge = 0;
    let any = false;
    // 1. Verdicts: what to ack and how soon (C.3; RFC 7016 §3.6.3.4).
    for (let i = 0; i < n; i++) {
      const flow = this.batchFlows[i]!;
      const seq = r.batchSequence[i]!;
      const fsn = r.batchForward[i]!;
      const flags = r.batchFlags[i]!;
      switch (r.batchVerdict[i]) {
        case Verdict.Accepted: {
          any = true;
          if (fsn > flow.expect) flow.expect = fsn;
          const inOrder = seq === flow.expect + 1;
          if (inOrder) flow.expect = seq;
          if (seq > flow.highestSeen) flow.highestSeen = seq;
          if (fsn > flow.highestSeen) flow.highestSeen = fsn;
          const low = flow.lastAdvertisedBlocks >= 0 && flow.lastAdvertisedBlocks < LOW_WINDOW_BLOCKS;
          this.policy.mark(flow, now, !inOrder || low || (flags & (UserDataFlag.Abandon | UserDataFlag.Final)) !== 0);
          flow.ackMarked = true;
          break;
        }
        case Verdict.Duplicate:
          any = true;
          if (fsn > flow.highestSeen) flow.highestSeen = fsn;
          this.stats.duplicates++;
          this.policy.mark(flow, now, true);
          flow.ackMarked = true;
          break;
        case Verdict.RefusedCapacity:
          this.stats.refusedCapacity++;
          break;
        case Verdict.RefusedWindow:
          this.stats.refusedWindow++;
          break;
        case Verdict.RefusedMessageLimit:
          this.stats.refusedMessageLimit++;
          // A message of more than maxFragmentsPerMessage fragments can never be delivered. Its
          // buffered part would hold the flow's buffer (the window drops to 0, so not even the
          // sender's abandonment could reach us) and its sender would retransmit the rest
          // forever: a silent stall. Refuse the flow instead (C.4), after this batch's deliveries,
          // so the sender stops and reports the exception.
          this.messageLimitRejects.add(flow);
          break;
        default:
          this.stats.invalid++;
      }
    }
    // 2. Flow state after the batch. Holes above the cumulative ack before or after it (data out
    // of order, or a hole filled) ack at once, as rtmfp-cpp does when the range count changes.
    const blockBytes = r.config.blockBytes;
    for (const flow of this.touched) {
      if (flow.slot < 0) continue;
      const st = r.flowState(flow.slot);
      flow.cumulativeAck = st.cumulativeAck;
      flow.deliveredThrough = st.deliveredThrough;
      flow.bufferedBytes = st.bufferedBytes;
      if (st.forwardSequence > flow.highestSeen) flow.highestSeen = st.forwardSequence;
      const charge = (Math.max(flow.highestSeen, st.cumulativeAck) - st.deliveredThrough) * blockBytes;
      this.sessionCharge += charge - flow.charge;
      flow.charge = charge;
      if (flow.ackMarked && (flow.hadHoles || st.cumulativeAck < flow.highestSeen)) this.policy.mark(flow, now, true);
    }
    // 3. Deliveries and abandonment. The reassembler lists them separately; per flow, a run given
    // up on is reported before a message that follows it in sequence.
    const h = this.handler;
    const nd = out.delivered;
    const na = out.abandoned;
    let aDone = 0;
    if (na > this.abandonDone.length) this.abandonDone = new Uint8Array(na);
    this.abandonDone.fill(0, 0, na);
    for (let i = 0; i < nd; i++) {
      const slot = r.deliveryFlow[i]!;
      if (aDone < na) {
        const firstSeq = r.deliveryFirst[i]!;
        for (let j = aDone; j < na; j++) {
          if (this.abandonDone[j] || r.abandonFlow[j] !== slot || r.abandonFirst[j]! > firstSeq) continue;
          this.abandonDone[j] = 1;
          this.reportAbandoned(j);
        }
        while (aDone < na && this.abandonDone[aDone]) aDone++;
      }
      const flow = this.slotFlows[slot];
      if (!flow || flow.rejecting || flow.state !== 'open') continue;
      h.onMessage?.(flow, r.message(i), r.deliveryFirst[i]!, r.deliveryLast[i]!);
    }
    for (let j = aDone; j < na; j++) if (!this.abandonDone[j]) this.reportAbandoned(j);
    // 4. Rejections asked for by callbacks or for oversized messages, then completions (C.4).
    for (const flow of this.messageLimitRejects) {
      if (flow.rejecting || flow.state !== 'open') continue;
      flow.rejecting = true;
      flow.rejectReason = 'message-limit';
      this.deferredRejects.push(flow);
    }
    this.messageLimitRejects.clear();
    this.applyDeferredRejects(now);
    for (const flow of this.touched) {
      if (flow.state !== 'open' || flow.slot < 0) continue;
      if (r.flowState(flow.slot).complete) {
        this.park(flow, 'complete', now);
        this.policy.mark(flow, now, true);
        h.onComplete?.(flow);
      }
    }
    // 5. A window that was advertised below 2 blocks and has opened again: tell the sender now.
    for (const flow of this.lowWindow) {
      if (flow.slot >= 0 && this.windowBlocks(flow) >= LOW_WINDOW_BLOCKS) this.policy.mark(flow, now, true);
    }
    this.touched.length = 0;
    this.epoch++;
    return any;
  }

  private reportAbandoned(j: number): void {
    const r = this.reassembler;
    const flow = this.slotFlows[r.abandonFlow[j]!];
    if (!flow || flow.rejecting || flow.state !== 'open') return;
    this.handler.onAbandoned?.(flow, r.abandonFirst[j]!, r.abandonLast[j]!, r.abandonFragments[j]!, r.abandonBytes[j]!);
  }

  private applyDeferredRejects(now: number): void {
    for (let i = 0; i < this.deferredRejects.length; i++) this.rejectOpen(this.deferredRejects[i]!, now);
    this.deferredRejects.length = 0;
  }

  /** bufferBlocksAvailable for an open flow, with the session cap applied. */
  private windowBlocks(flow: ReceiveFlow): number {
    let blocks = bufferBlocksAvailable(this.reassembler.flowState(flow.slot));
    if (this.maxBufferedBytes !== Infinity) {
      blocks = Math.min(blocks, Math.floor(Math.max(0, this.maxBufferedBytes - this.sessionCharge) / BUFFER_BLOCK_SIZE));
    }
    return blocks;
  }

  private writeFlowAck(builder: PacketBuilder, flow: ReceiveFlow): boolean {
    const w = builder.w;
    const pos = w.pos;
    const count = builder.chunkCount;
    const set = flow.parked;
    if (flow.state === 'rejected' && set && !set.complete) {
      this.exceptionChunk.flowId = flow.flowId;
      this.exceptionChunk.exceptionCode = flow.exceptionCode;
      if (!builder.append(this.exceptionChunk)) return false;
    }
    const ack = this.ackChunk;
    const ranges = ack.ranges;
    ack.flowId = flow.flowId;
    let k: number;
    if (flow.slot >= 0) {
      const r = this.reassembler;
      ack.cumulativeAck = r.flowState(flow.slot).cumulativeAck;
      ack.bufferBlocksAvailable = this.windowBlocks(flow);
      k = r.ackRanges(flow.slot);
      for (let i = 0; i < k; i++) setRange(ranges, i, r.ackFrom[i]!, r.ackTo[i]!);
    } else {
      ack.cumulativeAck = set!.cumulativeAck;
      ack.bufferBlocksAvailable = this.parkedBlocks;
      k = set!.from.length;
      for (let i = 0; i < k; i++) setRange(ranges, i, set!.from[i]!, set!.to[i]!);
    }
    ranges.length = k;
    if (builder.appendAckRanges(ack) < 0) {
      w.pos = pos;
      builder.chunkCount = count;
      return false;
    }
    flow.lastAdvertisedBlocks = ack.bufferBlocksAvailable;
    if (flow.slot >= 0 && ack.bufferBlocksAvailable < LOW_WINDOW_BLOCKS) this.lowWindow.add(flow);
    else this.lowWindow.delete(flow);
    return true;
  }
}

function setRange(ranges: SequenceRange[], i: number, from: number, to: number): void {
  const x = ranges[i];
  if (x) {
    x.from = from;
    x.to = to;
  } else {
    ranges[i] = { from, to };
  }
}
