// Test driver for the reassemblers: feeds plain record objects through the batch staging and
// copies the outputs out, so two implementations (or expected values) can be compared.
import { createReassembler, type Reassembler, type ReassemblyConfig } from '../src/engine/reassembly/index.js';
import { mulberry32 } from './support/prng.js';

export const WHOLE = 0x00;
export const BEGIN = 0x10;
export const END = 0x20;
export const MIDDLE = 0x30;
export const ABN = 0x02;
export const FIN = 0x01;

export const KINDS = ['reference', 'wasm'] as const;

export interface Rec {
  flow: number;
  seq: number;
  /** Forward sequence number; default 0. */
  fsn?: number;
  flags?: number;
  data?: Uint8Array | string;
  /** Override the staging offset / length (hostile input). */
  offset?: number;
  length?: number;
}

export interface Delivery {
  flow: number;
  first: number;
  last: number;
  bytes: Uint8Array;
}
export interface Abandonment {
  flow: number;
  first: number;
  last: number;
  fragments: number;
  bytes: number;
}
export interface CallResult {
  verdicts: number[];
  delivered: Delivery[];
  abandoned: Abandonment[];
}

export function make(kind: (typeof KINDS)[number], config: Partial<ReassemblyConfig> = {}): Reassembler {
  return createReassembler(kind, config);
}

function bytesOf(d: Uint8Array | string | undefined): Uint8Array {
  if (d === undefined) return new Uint8Array(0);
  return typeof d === 'string' ? new TextEncoder().encode(d) : d;
}

/** One `process` call with these records (must fit maxBatch and batchDataBytes). */
export function call(r: Reassembler, recs: Rec[]): CallResult {
  let off = 0;
  recs.forEach((rec, i) => {
    const data = bytesOf(rec.data);
    r.batchFlow[i] = rec.flow;
    r.batchSequence[i] = rec.seq;
    r.batchForward[i] = rec.fsn ?? 0;
    r.batchFlags[i] = rec.flags ?? WHOLE;
    if (data.length > 0 && off + data.length <= r.batchData.length) r.batchData.set(data, off);
    r.batchOffset[i] = rec.offset ?? off;
    r.batchLength[i] = rec.length ?? data.length;
    off += data.length;
  });
  const out = r.process(recs.length);
  const delivered: Delivery[] = [];
  for (let i = 0; i < out.delivered; i++) {
    delivered.push({ flow: r.deliveryFlow[i]!, first: r.deliveryFirst[i]!, last: r.deliveryLast[i]!, bytes: r.message(i).slice() });
  }
  const abandoned: Abandonment[] = [];
  for (let i = 0; i < out.abandoned; i++) {
    abandoned.push({
      flow: r.abandonFlow[i]!,
      first: r.abandonFirst[i]!,
      last: r.abandonLast[i]!,
      fragments: r.abandonFragments[i]!,
      bytes: r.abandonBytes[i]!,
    });
  }
  return { verdicts: Array.from(r.batchVerdict.subarray(0, recs.length)), delivered, abandoned };
}

/** Delivered messages as [first, last, text] triples, for hand-written expectations. */
export function texts(res: CallResult): [number, number, string][] {
  const dec = new TextDecoder();
  return res.delivered.map((d) => [d.first, d.last, dec.decode(d.bytes)]);
}

export function ranges(r: Reassembler, flow: number): [number, number][] {
  const n = r.ackRanges(flow);
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) out.push([r.ackFrom[i]!, r.ackTo[i]!]);
  return out;
}

/** Deterministic PRNG (mulberry32). */
export const prng = mulberry32;
