import type { Bench } from 'tinybench';
import { ReferenceReassembler } from '../../src/engine/reassembly/reference.js';
import type { Reassembler, ReassemblyConfig } from '../../src/engine/reassembly/types.js';
import { WasmReassembler } from '../../src/engine/reassembly/wasm.js';
import { xorshift32 as rng } from '../rng.js';
import type { BenchSuite, SuiteHandle } from '../suite.js';

/**
 * Flow chunk reassembly (RFC 7016 §3.6.3), TypeScript reference vs WASM. Unit: one fragment.
 * Payloads are written into the batch staging area once at setup (in the engine they are
 * decrypted there in place), so a timed iteration is: write the record descriptors, process the
 * batches, i.e. copy each payload into a pool block, track the sequence set and deliver.
 *
 * - `<impl>/1MiB-random`: one 1 MiB message in 1000 fragments arriving in random order, in
 *   batches of 250; delivered (gathered into the delivery area) by the last batch.
 * - `<impl>/1MiB-inorder`: the same message in order.
 * - `<impl>/small-interleaved`: 16 flows (half sequence, half network order) sending messages of
 *   1-3 fragments of 20-1161 bytes, interleaved, with neighbouring records swapped 10 % of the
 *   time; 256 records per call.
 * - `baseline/1MiB-random-copy`: only the copies of 1MiB-random into a preallocated buffer at
 *   known offsets (the plain-JS floor of docs/performance-baselines.md, no bookkeeping).
 */
const FRAGMENTS = 1000;
const MESSAGE = 1 << 20;
const FRAG = Math.ceil(MESSAGE / FRAGMENTS); // 1049
const BATCH = 250;
const SMALL_FLOWS = 16;
const SMALL_BATCH = 256;

type Make = (c: Partial<ReassemblyConfig>) => Reassembler;
const IMPLS: Array<[string, Make]> = [
  ['reference', (c) => new ReferenceReassembler(c)],
  ['wasm', (c) => new WasmReassembler(c)],
];

function fail(msg: string): never {
  throw new Error(`reassembly bench self-check: ${msg}`);
}

/** 1 MiB message, fragments in `order`; each iteration reuses the flow with the next 1000 numbers. */
function setupLarge(make: Make, order: number[]): () => void {
  const r = make({
    maxFlows: 1,
    poolBytes: 1024 * 1200,
    flowBufferBytes: 1024 * 1200,
    maxFragmentsPerMessage: 1024,
    windowSequences: 2048,
    maxBatch: 256,
    batchDataBytes: MESSAGE + 64,
  });
  const message = new Uint8Array(MESSAGE);
  const rand = rng(7);
  for (let i = 0; i < MESSAGE; i++) message[i] = (rand() * 256) | 0;
  r.batchData.set(message, 0);
  const flow = r.openFlow('sequence');
  let base = 0;
  const iteration = (): void => {
    for (let b = 0; b < FRAGMENTS; b += BATCH) {
      for (let i = 0; i < BATCH; i++) {
        const k = order[b + i]!;
        r.batchFlow[i] = flow;
        r.batchSequence[i] = base + k + 1;
        r.batchForward[i] = base;
        r.batchFlags[i] = k === 0 ? 0x10 : k === FRAGMENTS - 1 ? 0x20 : 0x30;
        r.batchOffset[i] = k * FRAG;
        r.batchLength[i] = Math.min(FRAG, MESSAGE - k * FRAG);
      }
      const out = r.process(BATCH);
      if (b + BATCH >= FRAGMENTS && out.delivered !== 1) fail(`${r.kind}: 1 MiB message not delivered`);
    }
    base += FRAGMENTS;
  };
  iteration();
  const got = r.message(0);
  if (got.length !== MESSAGE || Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.length), Buffer.from(message)) !== 0) {
    fail(`${r.kind}: 1 MiB message corrupted`);
  }
  return iteration;
}

/** Small interleaved messages on 16 flows; one iteration = one batch of 256 records. */
function setupSmall(make: Make): () => void {
  const r = make({ maxFlows: SMALL_FLOWS, poolBytes: 2 * 1024 * 1024, flowBufferBytes: 256 * 1200, maxFragmentsPerMessage: 64, maxBatch: SMALL_BATCH, batchDataBytes: SMALL_BATCH * 1161 });
  const rand = rng(11);
  const flows = Array.from({ length: SMALL_FLOWS }, (_, i) => r.openFlow(i % 2 ? 'network' : 'sequence'));
  // A fixed pattern of 256 records: per flow, whole messages of 1-3 fragments, flows interleaved.
  const recFlow: number[] = [];
  const recRel: number[] = [];
  const recFlags: number[] = [];
  const recLen: number[] = [];
  const perFlow = new Array<number>(SMALL_FLOWS).fill(0);
  const queues: Array<Array<[number, number]>> = flows.map(() => []);
  for (let i = 0; i < SMALL_BATCH; ) {
    const f = (rand() * SMALL_FLOWS) | 0;
    const n = Math.min(SMALL_BATCH - i, 1 + ((rand() * 3) | 0));
    for (let k = 0; k < n; k++) {
      const flags = n === 1 ? 0x00 : k === 0 ? 0x10 : k === n - 1 ? 0x20 : 0x30;
      queues[f]!.push([++perFlow[f]!, flags]);
    }
    i += n;
  }
  // Interleave: repeatedly take the head of a random non-empty flow queue.
  const heads = new Array<number>(SMALL_FLOWS).fill(0);
  while (recFlow.length < SMALL_BATCH) {
    const f = (rand() * SMALL_FLOWS) | 0;
    const q = queues[f]!;
    if (heads[f]! >= q.length) continue;
    const [rel, flags] = q[heads[f]!++]!;
    recFlow.push(f);
    recRel.push(rel);
    recFlags.push(flags);
    recLen.push(20 + ((rand() * 1142) | 0));
  }
  for (let i = 0; i + 1 < SMALL_BATCH; i++) {
    if (rand() < 0.1) {
      for (const a of [recFlow, recRel, recFlags, recLen]) [a[i], a[i + 1]] = [a[i + 1]!, a[i]!];
      i++;
    }
  }
  let off = 0;
  const offsets = recLen.map((len) => {
    const o = off;
    off += len;
    return o;
  });
  for (let i = 0; i < off; i++) r.batchData[i] = (rand() * 256) | 0;
  const base = new Array<number>(SMALL_FLOWS).fill(0);
  let expected = 0;
  for (const q of queues) for (const [, flags] of q) if (flags === 0x00 || flags === 0x20) expected++;
  const iteration = (): number => {
    for (let i = 0; i < SMALL_BATCH; i++) {
      const f = recFlow[i]!;
      r.batchFlow[i] = flows[f]!;
      r.batchSequence[i] = base[f]! + recRel[i]!;
      r.batchForward[i] = base[f]!;
      r.batchFlags[i] = recFlags[i]!;
      r.batchOffset[i] = offsets[i]!;
      r.batchLength[i] = recLen[i]!;
    }
    const out = r.process(SMALL_BATCH);
    for (let f = 0; f < SMALL_FLOWS; f++) base[f]! += perFlow[f]!;
    return out.delivered;
  };
  if (iteration() !== expected) fail(`${r.kind}: small messages not all delivered`);
  return () => void iteration();
}

function setupCopyBaseline(order: number[]): () => void {
  const src = new Uint8Array(MESSAGE);
  const dst = new Uint8Array(MESSAGE);
  const rand = rng(7);
  for (let i = 0; i < MESSAGE; i++) src[i] = (rand() * 256) | 0;
  return () => {
    for (let i = 0; i < FRAGMENTS; i++) {
      const k = order[i]!;
      const o = k * FRAG;
      dst.set(src.subarray(o, Math.min(MESSAGE, o + FRAG)), o);
    }
  };
}

const suite: BenchSuite = {
  name: 'reassembly',
  description: 'flow chunk reassembly (RFC 7016 3.6.3), TypeScript reference vs WASM, per fragment',
  async register(bench: Bench): Promise<SuiteHandle> {
    const units: Record<string, number> = {};
    const rand = rng(42);
    const random = Array.from({ length: FRAGMENTS }, (_, i) => i);
    for (let i = FRAGMENTS - 1; i > 0; i--) {
      const j = (rand() * (i + 1)) | 0;
      [random[i], random[j]] = [random[j]!, random[i]!];
    }
    const inorder = Array.from({ length: FRAGMENTS }, (_, i) => i);
    for (const [label, make] of IMPLS) {
      bench.add(`${label}/1MiB-random`, setupLarge(make, random));
      units[`${label}/1MiB-random`] = FRAGMENTS;
      bench.add(`${label}/1MiB-inorder`, setupLarge(make, inorder));
      units[`${label}/1MiB-inorder`] = FRAGMENTS;
      bench.add(`${label}/small-interleaved`, setupSmall(make));
      units[`${label}/small-interleaved`] = SMALL_BATCH;
    }
    bench.add('baseline/1MiB-random-copy', setupCopyBaseline(random));
    units['baseline/1MiB-random-copy'] = FRAGMENTS;
    return { unitsPerIteration: units };
  },
};

export default suite;
