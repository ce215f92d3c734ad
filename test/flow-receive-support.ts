// Helpers for the receive-flow tests: build User Data chunks, push them through a real packet
// encode/decode round trip into ReceiveFlows, and collect what comes out (events and acks).
import { ReceiveFlows, type ReceiveFlowsOptions } from '../src/flow/receive-flows.js';
import type { ReceiveFlowInfo, RejectReason } from '../src/flow/receive-flow.js';
import { ChunkType, PacketMode } from '../src/wire/chunk-type.js';
import type { AnyChunk } from '../src/wire/chunk.js';
import type { AckRangesChunk } from '../src/wire/chunks/ack.js';
import type { FlowExceptionReportChunk } from '../src/wire/chunks/flow-control.js';
import type { FragmentControl, NextUserDataChunk, UserDataChunk, UserDataOptions } from '../src/wire/chunks/user-data.js';
import { decodePacket, encodePacket, PacketBuilder } from '../src/wire/packet.js';
import { ByteWriter } from '../src/wire/writer.js';

export const HEADER = { timeCritical: false, timeCriticalReverse: false, mode: PacketMode.Initiator } as const;
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** TC metadata of a NetConnection flow (E.1). */
export const TC = Uint8Array.of(0x54, 0x43, 0x04, 0x00);
/** TC metadata with RXI = network arrival order, stream 1. */
export const TC_NETWORK = Uint8Array.of(0x54, 0x43, 0x05, 0x01);

export interface UdSpec {
  fra?: FragmentControl;
  abandon?: boolean;
  final?: boolean;
  /** Forward sequence number (default seq - 1... i.e. fsnOffset 1 is NOT assumed: default FSN 0). */
  fsn?: number;
  options?: UserDataOptions;
  data?: Uint8Array | string;
}

export function ud(flowId: number, seq: number, spec: UdSpec = {}): UserDataChunk {
  const data = spec.data === undefined ? new Uint8Array(0) : typeof spec.data === 'string' ? enc(spec.data) : spec.data;
  const c: UserDataChunk = {
    type: ChunkType.UserData,
    flowId,
    sequenceNumber: seq,
    fsnOffset: seq - (spec.fsn ?? 0),
    fragmentControl: spec.fra ?? 0,
    abandon: spec.abandon ?? false,
    final: spec.final ?? false,
    data,
  };
  if (spec.options) c.options = spec.options;
  return c;
}

export function nud(spec: UdSpec = {}): NextUserDataChunk {
  const data = spec.data === undefined ? new Uint8Array(0) : typeof spec.data === 'string' ? enc(spec.data) : spec.data;
  const c: NextUserDataChunk = {
    type: ChunkType.NextUserData,
    fragmentControl: spec.fra ?? 0,
    abandon: spec.abandon ?? false,
    final: spec.final ?? false,
    data,
  };
  if (spec.options) c.options = spec.options;
  return c;
}

/** The first chunk of a flow: OPT with metadata (and association). */
export function first(flowId: number, seq: number, data: string | Uint8Array, metadata = TC, association?: number, spec: UdSpec = {}): UserDataChunk {
  const options: UserDataOptions = { userMetadata: metadata };
  if (association !== undefined) options.returnFlowAssociation = association;
  return ud(flowId, seq, { ...spec, data, options });
}

/** Encodes the chunks as one packet, decodes it again and feeds it to `rf`. */
export function send(rf: ReceiveFlows, now: number, ...chunks: AnyChunk[]): void {
  const w = new ByteWriter(new Uint8Array(70000));
  encodePacket(w, HEADER, chunks, 65000);
  rf.onPacket(decodePacket(w.buf.subarray(0, w.pos)).chunks, now);
}

export interface AckOut {
  /** Chunks of the ack packet (after an encode/decode round trip). */
  chunks: AnyChunk[];
  acks: AckRangesChunk[];
  exceptions: FlowExceptionReportChunk[];
  /** The chunk bytes after the packet header. */
  bytes: Uint8Array;
  written: number;
}

/** Writes the acks into a packet of at most maxLength bytes and decodes it. */
export function writeAcks(rf: ReceiveFlows, now: number, maxLength = 1192): AckOut {
  const w = new ByteWriter(new Uint8Array(maxLength + 64));
  const b = new PacketBuilder(w, maxLength).begin(HEADER);
  const written = rf.writeAcks(b, now);
  const bytes = b.bytes();
  const chunks = decodePacket(bytes).chunks;
  return {
    chunks,
    acks: chunks.filter((c): c is AckRangesChunk => c.type === ChunkType.AckRanges),
    exceptions: chunks.filter((c): c is FlowExceptionReportChunk => c.type === ChunkType.FlowExceptionReport),
    bytes: bytes.slice(1),
    written,
  };
}

export type Event =
  | { kind: 'flow'; flowId: number; metadata: string; association: number | undefined; order: string }
  | { kind: 'message'; flowId: number; text: string; first: number; last: number }
  | { kind: 'abandoned'; flowId: number; first: number; last: number; fragments: number; bytes: number }
  | { kind: 'complete'; flowId: number }
  | { kind: 'rejected'; flowId: number; code: number; reason: RejectReason };

export interface Recorder {
  rf: ReceiveFlows;
  events: Event[];
  messages(flowId?: number): string[];
  take(): Event[];
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** ReceiveFlows with a handler recording every event (messages as latin1-safe text). */
export function recorder(options: ReceiveFlowsOptions = {}, onFlow?: (f: ReceiveFlowInfo) => ReturnType<NonNullable<NonNullable<ReceiveFlowsOptions['handler']>['onFlow']>>): Recorder {
  const events: Event[] = [];
  const rf = new ReceiveFlows({
    reassembly: { maxFlows: 8, poolBytes: 64 * 1200, flowBufferBytes: 32 * 1200, maxFragmentsPerMessage: 16, windowSequences: 256 },
    ...options,
    handler: {
      onFlow: (f) => {
        events.push({ kind: 'flow', flowId: f.flowId, metadata: hex(f.metadata), association: f.associatedFlowId, order: f.order });
        return onFlow?.(f);
      },
      onMessage: (f, m, a, z) => events.push({ kind: 'message', flowId: f.flowId, text: dec(m), first: a, last: z }),
      onAbandoned: (f, a, z, n, bytes) => events.push({ kind: 'abandoned', flowId: f.flowId, first: a, last: z, fragments: n, bytes }),
      onComplete: (f) => events.push({ kind: 'complete', flowId: f.flowId }),
      onRejected: (id, code, reason) => events.push({ kind: 'rejected', flowId: id, code, reason }),
      ...options.handler,
    },
  });
  return {
    rf,
    events,
    messages: (flowId) => events.flatMap((e) => (e.kind === 'message' && (flowId === undefined || e.flowId === flowId) ? [e.text] : [])),
    take: () => events.splice(0, events.length),
  };
}

/** Ack as plain data for deep-equal checks. */
export function ackOf(flowId: number, cumulativeAck: number, bufferBlocksAvailable: number, ranges: [number, number][] = []): AckRangesChunk {
  return { type: ChunkType.AckRanges, flowId, bufferBlocksAvailable, cumulativeAck, ranges: ranges.map(([from, to]) => ({ from, to })) };
}
