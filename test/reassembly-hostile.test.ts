// Hostile and malformed input: refusals and typed errors, never a trap, a RangeError or a hang.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ReassemblyError, Verdict, WasmReassembler, type Reassembler } from '../src/engine/reassembly/index.js';
import { ABN, BEGIN, FIN, KINDS, MIDDLE, call, make, prng, ranges, type CallResult, type Rec } from './reassembly-harness.js';
import { cpuMs } from './support/cpu-time.js';

const isCode = (code: string) => (e: unknown) => e instanceof ReassemblyError && e.code === code;

for (const kind of KINDS) {
  const t = suite(`reassembly hostile input (${kind})`);

  t('malformed records are Invalid and change nothing', () => {
    const r = make(kind, { maxFragmentBytes: 100, batchDataBytes: 1000 });
    const f = r.openFlow();
    const closed = r.openFlow();
    r.closeFlow(closed);
    const recs: Rec[] = [
      { flow: f, seq: NaN, data: 'x' },
      { flow: f, seq: Infinity, data: 'x' },
      { flow: f, seq: 0, data: 'x' },
      { flow: f, seq: -3, data: 'x' },
      { flow: f, seq: 1.5, data: 'x' },
      { flow: f, seq: 2 ** 53, data: 'x' },
      { flow: f, seq: 4, fsn: 5, data: 'fsn above seq' },
      { flow: f, seq: 4, fsn: -1, data: 'x' },
      { flow: f, seq: 4, fsn: NaN, data: 'x' },
      { flow: f, seq: 4, data: 'x', length: 101 },
      { flow: f, seq: 4, data: 'x', offset: 999, length: 2 },
      { flow: f, seq: 4, data: 'x', offset: 0xffffffff, length: 2 },
      { flow: -1, seq: 1, data: 'x' },
      { flow: 99, seq: 1, data: 'x' },
      { flow: closed, seq: 1, data: 'x' },
    ];
    const res = call(r, recs);
    assert.equal(res.verdicts, recs.map(() => Verdict.Invalid));
    assert.equal(res.delivered, []);
    const s = r.flowState(f);
    assert.is(s.refusedInvalid, 12);
    assert.is(s.cumulativeAck, 0);
    assert.is(s.forwardSequence, 0);
    assert.is(r.stats().invalidRecords, 3);
    assert.is(r.stats().poolBlocksUsed, 0);
  });

  t('a sequence number at the top of the range is refused by the window; a huge FSN is applied in O(1)', () => {
    const r = make(kind);
    const f = r.openFlow();
    // Buffer out-of-order fragments first so the jump has to walk through held slots.
    const pre: Rec[] = [];
    for (let s = 2; s <= 200; s += 2) pre.push({ flow: f, seq: s, flags: MIDDLE, data: 'm' });
    call(r, pre);
    const top = Number.MAX_SAFE_INTEGER;
    // CPU time, not wall time: the bound is on the work, whatever the machine's load.
    const t0 = cpuMs();
    const res = call(r, [{ flow: f, seq: top, fsn: top, flags: ABN }]);
    const ms = cpuMs() - t0;
    assert.equal(res.verdicts, [Verdict.RefusedWindow]);
    assert.is(res.abandoned.length, 100);
    const s = r.flowState(f);
    assert.is(s.cumulativeAck, top);
    assert.is(s.deliveredThrough, top);
    assert.is(s.bufferedFragments, 0);
    assert.equal(ranges(r, f), []);
    assert.ok(ms < 200, `took ${ms} ms`);
    // Everything is now at or below the FSN.
    assert.equal(call(r, [{ flow: f, seq: top, data: 'x' }, { flow: f, seq: 5, data: 'y' }]).verdicts, [Verdict.Duplicate, Verdict.Duplicate]);
  });

  t('sequence numbers far ahead of the cumulative ack are refused', () => {
    const r = make(kind, { windowSequences: 64 });
    const f = r.openFlow();
    const recs: Rec[] = [64, 65, 1e6, 2 ** 40, 2 ** 52].map((seq) => ({ flow: f, seq, flags: BEGIN, data: 'x' }));
    const res = call(r, recs);
    assert.equal(res.verdicts, [Verdict.Accepted, Verdict.RefusedWindow, Verdict.RefusedWindow, Verdict.RefusedWindow, Verdict.RefusedWindow]);
    assert.equal(ranges(r, f), [[64, 64]]);
  });

  t('FIN twice, FIN moved, data after FIN', () => {
    const r = make(kind);
    const f = r.openFlow();
    const res = call(r, [
      { flow: f, seq: 3, flags: FIN, data: 'c' },
      { flow: f, seq: 3, flags: FIN, data: 'c' },
      { flow: f, seq: 5, flags: FIN, data: 'e' },
      { flow: f, seq: 2, flags: FIN, data: 'b' },
      { flow: f, seq: 4, data: 'd' },
      { flow: f, seq: 1, data: 'a' },
      { flow: f, seq: 2, data: 'b' },
    ]);
    assert.equal(res.verdicts, [
      Verdict.Accepted, Verdict.Duplicate, Verdict.Invalid, Verdict.Invalid, Verdict.Invalid, Verdict.Accepted, Verdict.Accepted,
    ]);
    const s = r.flowState(f);
    assert.is(s.finalSequence, 3);
    assert.is(s.complete, true);
  });

  t('flooding ahead of a hole hits the caps and is refused, and the hole still gets in', () => {
    const r = make(kind, { maxFragmentBytes: 1200, flowBufferBytes: 64 * 1200, poolBytes: 100 * 1200, maxFragmentsPerMessage: 32 });
    const f = r.openFlow();
    const g = r.openFlow();
    const payload = new Uint8Array(1200).fill(7);
    let refused = 0;
    for (let base = 2; base < 2000; base += 200) {
      const recs: Rec[] = [];
      for (let k = 0; k < 200; k++) recs.push({ flow: k & 1 ? f : g, seq: base + k, flags: k % 7 ? MIDDLE : BEGIN, data: payload });
      const res = call(r, recs);
      refused += res.verdicts.filter((v) => v !== Verdict.Accepted).length;
      assert.ok(r.stats().poolBlocksUsed <= 100);
      assert.ok(r.flowState(f).bufferedFragments <= 64);
    }
    assert.ok(refused > 1500);
    assert.is(r.flowState(f).bufferedFragments + r.flowState(g).bufferedFragments, r.stats().poolBlocksUsed);
    // The gap at 1 was reserved all along.
    const res = call(r, [
      { flow: f, seq: 1, flags: BEGIN, data: 'x' },
      { flow: g, seq: 1, flags: BEGIN, data: 'y' },
    ]);
    assert.equal(res.verdicts, [Verdict.Accepted, Verdict.Accepted]);
  });

  t('API misuse throws ReassemblyError with a stable code', () => {
    const r = make(kind, { maxFlows: 2, maxBatch: 4 });
    assert.throws(() => r.process(5), isCode('ERR_REASSEMBLY_BATCH_LIMIT'));
    assert.throws(() => r.process(-1), isCode('ERR_REASSEMBLY_BATCH_LIMIT'));
    assert.throws(() => r.process(1.5), isCode('ERR_REASSEMBLY_BATCH_LIMIT'));
    r.openFlow();
    r.openFlow();
    assert.throws(() => r.openFlow(), isCode('ERR_REASSEMBLY_FLOW_LIMIT'));
    assert.throws(() => r.closeFlow(7), isCode('ERR_REASSEMBLY_BAD_FLOW'));
    assert.throws(() => r.flowState(-1), isCode('ERR_REASSEMBLY_BAD_FLOW'));
    r.closeFlow(1);
    assert.throws(() => r.ackRanges(1), isCode('ERR_REASSEMBLY_BAD_FLOW'));
    assert.is(r.openFlow('network'), 1, 'a closed slot is reused');
    assert.is(r.flowState(1).cumulativeAck, 0, 'with fresh state');
  });

  t('bad configurations are refused', () => {
    for (const bad of [
      { maxFragmentBytes: 0 },
      { maxFragmentBytes: 70000 },
      { windowSequences: 0 },
      { maxFlows: 1.5 },
      { poolBytes: 10, maxFragmentBytes: 100 },
      { maxFragmentsPerMessage: 100, flowBufferBytes: 50 * 1200 },
      { maxFragmentsPerMessage: 100, poolBytes: 50 * 1200 },
      { poolBytes: 2 ** 30, batchDataBytes: 64 * 1024 * 1024, maxFlows: 65536 },
    ]) {
      assert.throws(() => make(kind, bad), isCode('ERR_REASSEMBLY_CONFIG'), JSON.stringify(bad));
    }
  });

  t.run();
}

const z = suite('reassembly fuzz: random garbage records, both implementations and the debug WASM build agree');

function snapshot(r: Reassembler, res: CallResult, flows: number[]): unknown {
  return { res, states: flows.map((f) => r.flowState(f)), ranges: flows.map((f) => ranges(r, f)), stats: r.stats() };
}

z('20k random records', () => {
  const cfg = { maxFragmentBytes: 64, poolBytes: 64 * 40, flowBufferBytes: 64 * 16, windowSequences: 48, maxFragmentsPerMessage: 4, maxBatch: 64, batchDataBytes: 8192 };
  const impls: Reassembler[] = [make('reference', cfg), make('wasm', cfg), new WasmReassembler(cfg, { debug: true })];
  const flows = impls.map((r) => [r.openFlow('sequence'), r.openFlow('network'), r.openFlow('sequence')]);
  const rand = prng(0xbadc0de);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const base = [0, 0, 0];
  const seen = { verdicts: new Set<number>(), delivered: 0, abandoned: 0 };
  const hist: number[] = [];
  for (let round = 0; round < 320; round++) {
    // A flow that has seen FIN, or was pushed to the top of the sequence space by a hostile FSN,
    // accepts nothing new: close and reopen it (also exercises slot reuse).
    for (let fi = 0; fi < 3; fi++) {
      const st = impls[0]!.flowState(flows[0]![fi]!);
      if (st.finalSequence < 0 && st.cumulativeAck < 1e6) continue;
      impls.forEach((r, k) => {
        r.closeFlow(flows[k]![fi]!);
        flows[k]![fi] = r.openFlow(fi === 1 ? 'network' : 'sequence');
      });
    }
    // Aim near each flow's cumulative ack, as a sender would.
    for (let fi = 0; fi < 3; fi++) base[fi] = impls[0]!.flowState(flows[0]![fi]!).cumulativeAck;
    const recs: Rec[] = [];
    const n = 1 + Math.floor(rand() * 64);
    for (let i = 0; i < n; i++) {
      const fi = Math.floor(rand() * 3);
      const u = rand();
      let seq: number;
      if (u < 0.8) seq = base[fi]! + 1 + Math.floor(rand() * 24);
      else if (u < 0.9) seq = pick([0, -1, NaN, 0.5, 2 ** 53, Number.MAX_SAFE_INTEGER, base[fi]! + 1000]);
      else seq = Math.max(1, base[fi]! - Math.floor(rand() * 10));
      let fsn = rand() < 0.9 ? Math.max(0, Math.min(seq, base[fi]! - 2 + Math.floor(rand() * (rand() < 0.1 ? 30 : 4)))) : pick([seq, seq + 1, -1, NaN, 3]);
      if (rand() < 0.02) fsn = seq; // abandon through
      const flags = rand() < 0.05 ? Math.floor(rand() * 256) & ~FIN : pick(round % 2 ? [0x00, 0x00, 0x10, 0x20, 0x30] : [0x10, 0x20, 0x30, 0x30, 0x30, 0x30, 0x30]) | (rand() < 0.05 ? ABN : 0) | (rand() < 0.002 ? FIN : 0);
      const len = Math.floor(rand() * (rand() < 0.05 ? 100 : 65));
      const data = new Uint8Array(len);
      for (let k = 0; k < len; k++) data[k] = Math.floor(rand() * 256);
      const flow = rand() < 0.02 ? pick([-1, 7, 100]) : fi;
      recs.push({ flow, seq, fsn, flags, data });
    }
    // The generator's flow index is the slot index in every implementation (opened in the same order).
    const snaps = impls.map((r, k) => snapshot(r, call(r, recs.map((x) => (x.flow >= 0 && x.flow < 3 ? { ...x, flow: flows[k]![x.flow]! } : x))), flows[k]!));
    assert.equal(snaps[1], snaps[0], `round ${round}: wasm vs reference`);
    const res0 = (snaps[0] as { res: CallResult }).res;
    res0.verdicts.forEach((v) => seen.verdicts.add(v));
    seen.delivered += res0.delivered.length;
    if (process.env.FUZZ_DEBUG) res0.verdicts.forEach((v) => { hist[v] = (hist[v] ?? 0) + 1; });
    seen.abandoned += res0.abandoned.length;
    assert.equal(snaps[2], snaps[0], `round ${round}: debug wasm vs reference`);
  }
  if (process.env.FUZZ_DEBUG) console.log(hist);
  // The generator reached every outcome, so the agreement above means something.
  assert.equal([...seen.verdicts].sort(), [0, 1, 2, 3, 4, 5]);
  assert.ok(seen.delivered > 100 && seen.abandoned > 100, JSON.stringify(seen));
});

z.run();
