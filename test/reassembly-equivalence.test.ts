// Random flow scenarios (seeded): a simulated sender splits messages of 1 B..200 KB into
// 1161-byte fragments (rtmfp-cpp's MSS, wire-reference A.5), sends them out of order, repeats
// some, abandons some (ABN records and FSN jumps, C.1), retransmits what the receiver's acks do
// not cover, and ends each flow with FIN. Several flows share one reassembler whose pool is
// smaller than their combined needs. After every batch the reference and the WASM reassembler
// must agree on everything (verdicts, delivered bytes, abandonment reports, flow state, ack
// ranges), and what they deliver is checked against the sender's original messages.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Verdict, type ReassemblyConfig } from '../src/engine/reassembly/index.js';
import { ABN, BEGIN, END, FIN, MIDDLE, WHOLE, call, make, prng, ranges, type CallResult, type Rec } from './reassembly-harness.js';

const MSS = 1161;

interface Message {
  first: number;
  last: number;
  bytes: Uint8Array;
  /** The sender gave up on it (deadline passed, C.1). */
  abandoned: boolean;
  delivered: number;
  reported: boolean;
}

interface Frag {
  seq: number;
  flags: number;
  payload: Uint8Array;
  msg: Message;
  acked: boolean;
  sent: boolean;
}

interface SenderFlow {
  order: 'sequence' | 'network';
  frags: Frag[];
  messages: Message[];
  /** Lowest sequence number not acked, for stall detection. */
  lowest: number;
  stalled: number;
  lastDeliveredFirst: number;
}

function buildFlow(rand: () => number, order: 'sequence' | 'network', targetFragments: number): SenderFlow {
  const frags: Frag[] = [];
  const messages: Message[] = [];
  let seq = 1;
  while (frags.length < targetFragments) {
    const u = rand();
    const size = u < 0.05 ? 0 : u < 0.55 ? 1 + Math.floor(rand() * 2400) : 1 + Math.floor(rand() * 200 * 1024);
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 97) bytes[i] = Math.floor(rand() * 256);
    for (let i = 0; i < size; i++) bytes[i] ^= (seq * 31 + i) & 0xff;
    const n = Math.max(1, Math.ceil(size / MSS));
    const msg: Message = { first: seq, last: seq + n - 1, bytes, abandoned: rand() < 0.08, delivered: 0, reported: false };
    messages.push(msg);
    for (let k = 0; k < n; k++) {
      const flags = n === 1 ? WHOLE : k === 0 ? BEGIN : k === n - 1 ? END : MIDDLE;
      frags.push({ seq: seq + k, flags, payload: bytes.subarray(k * MSS, Math.min(size, (k + 1) * MSS)), msg, acked: false, sent: false });
    }
    seq += n;
  }
  // FIN on the last fragment; the last message is never abandoned so that FIN carries data.
  messages[messages.length - 1]!.abandoned = false;
  frags[frags.length - 1]!.flags |= FIN;
  return { order, frags, messages, lowest: 1, stalled: 0, lastDeliveredFirst: 0 };
}

/** Forward sequence number: everything below the oldest fragment still owed (rtmfp-cpp, C.1). */
function forwardSequence(s: SenderFlow): number {
  for (const f of s.frags) if (!f.acked && !f.msg.abandoned) return f.seq - 1;
  return s.frags.length;
}

function lowestUnacked(s: SenderFlow): number {
  for (const f of s.frags) if (!f.acked) return f.seq;
  return s.frags.length + 1;
}

interface Scenario {
  seed: number;
  flows: number;
  fragmentsPerFlow: number;
  sendWindow: number;
  config: Partial<ReassemblyConfig>;
}

function runScenario(sc: Scenario): { records: number; delivered: number; reports: number; verdicts: number[] } {
  const rand = prng(sc.seed);
  const senders: SenderFlow[] = [];
  for (let i = 0; i < sc.flows; i++) senders.push(buildFlow(rand, rand() < 0.5 ? 'sequence' : 'network', sc.fragmentsPerFlow));
  const ref = make('reference', sc.config);
  const wasm = make('wasm', sc.config);
  const slots = senders.map((s) => ref.openFlow(s.order));
  assert.equal(senders.map((s) => wasm.openFlow(s.order)), slots);
  const flowOf = new Map(slots.map((slot, i) => [slot, i]));
  const maxBatch = ref.config.maxBatch;
  const verdictCount = [0, 0, 0, 0, 0, 0];
  let records = 0;
  let delivered = 0;
  let reports = 0;

  for (let round = 0; ; round++) {
    const live = senders.map((_, i) => i).filter((i) => !ref.flowState(slots[i]!).complete);
    if (live.length === 0) break;
    assert.ok(round < 20000, `seed ${sc.seed}: no completion after ${round} rounds`);

    // Sender decisions: occasional mass abandonment (an FSN jump), stall breaking.
    for (const i of live) {
      const s = senders[i]!;
      const low = lowestUnacked(s);
      s.stalled = low === s.lowest ? s.stalled + 1 : 0;
      s.lowest = low;
      if (rand() < 0.002 || s.stalled > 40) {
        const upto = s.stalled > 40 ? low : low + Math.floor(rand() * 60);
        for (const m of s.messages) if (m.first <= upto && m !== s.messages[s.messages.length - 1]) m.abandoned = true;
        s.stalled = 0;
      }
    }

    const recs: Rec[] = [];
    const batch = 1 + Math.floor(rand() * maxBatch);
    for (let k = 0; k < batch; k++) {
      const i = live[Math.floor(rand() * live.length)]!;
      const s = senders[i]!;
      const low = lowestUnacked(s);
      if (low > s.frags.length) continue;
      const hi = Math.min(s.frags.length, low + sc.sendWindow - 1);
      let f: Frag;
      const u = rand();
      if (u < 0.05) {
        f = s.frags[Math.floor(rand() * hi)]!; // anything, acked or not: duplicates
      } else {
        // The oldest missing fragment first (retransmission), then new data in order, else any
        // fragment of the window (reordering).
        let pick = low - 1 + Math.floor(rand() * (hi - low + 1));
        if (u < 0.3) {
          pick = low - 1;
        } else if (u < 0.7) {
          let j = low - 1;
          while (j < hi - 1 && (s.frags[j]!.sent || s.frags[j]!.acked)) j++;
          pick = j;
        }
        f = s.frags[pick]!;
        if (f.acked && rand() < 0.8) continue;
      }
      f.sent = true;
      const abandon = f.msg.abandoned && rand() < 0.7;
      recs.push({
        flow: slots[i]!,
        seq: f.seq,
        // fsnOffset = seq - FSN is unsigned on the wire (A.8), so a resent old fragment carries FSN <= seq.
        fsn: Math.min(forwardSequence(s), f.seq),
        flags: abandon ? (f.flags & FIN) | ABN : f.flags,
        data: abandon ? undefined : f.payload,
      });
    }
    // Keep the staging area in bounds.
    let bytes = 0;
    const fit = recs.filter((r) => (bytes += r.data instanceof Uint8Array ? r.data.length : 0) <= ref.config.batchDataBytes);
    const a = call(ref, fit);
    const b = call(wasm, fit);
    assert.equal(b, a, `seed ${sc.seed} round ${round}: outputs differ`);
    records += fit.length;
    a.verdicts.forEach((v) => verdictCount[v]!++);
    check(sc, senders, flowOf, a);
    delivered += a.delivered.length;
    reports += a.abandoned.length;

    // Acks: the sender learns what the receiver holds (cumulative ack and ranges, C.3).
    for (const i of live) {
      const st = ref.flowState(slots[i]!);
      assert.equal(wasm.flowState(slots[i]!), st, `seed ${sc.seed} round ${round}: flow state differs`);
      const rr = ranges(ref, slots[i]!);
      assert.equal(ranges(wasm, slots[i]!), rr, `seed ${sc.seed} round ${round}: ack ranges differ`);
      const s = senders[i]!;
      for (let q = 1; q <= Math.min(st.cumulativeAck, s.frags.length); q++) s.frags[q - 1]!.acked = true;
      for (const [from, to] of rr) for (let q = from; q <= to; q++) s.frags[q - 1]!.acked = true;
    }
    assert.equal(wasm.stats(), ref.stats());
  }

  // Every message the sender did not give up on arrived exactly once; nothing is left behind.
  senders.forEach((s, i) => {
    for (const m of s.messages) {
      if (!m.abandoned) assert.is(m.delivered, 1, `seed ${sc.seed} flow ${i} message ${m.first}..${m.last} delivered ${m.delivered} times`);
      else assert.ok(m.delivered <= 1);
    }
    const st = ref.flowState(slots[i]!);
    assert.is(st.bufferedFragments, 0);
    assert.is(st.finalSequence, s.frags.length);
  });
  assert.is(ref.stats().poolBlocksUsed, 0);
  return { records, delivered, reports, verdicts: verdictCount };
}

/** Checks one call's outputs against the sender's messages (the independent oracle). */
function check(sc: Scenario, senders: SenderFlow[], flowOf: Map<number, number>, res: CallResult): void {
  for (const d of res.delivered) {
    const s = senders[flowOf.get(d.flow)!]!;
    const m = s.frags[d.first - 1]?.msg;
    assert.ok(m && m.first === d.first && m.last === d.last, `seed ${sc.seed}: delivered ${d.first}..${d.last} is not a sent message`);
    assert.ok(Buffer.from(d.bytes).equals(Buffer.from(m.bytes)), `seed ${sc.seed}: message ${d.first}..${d.last} bytes differ`);
    assert.ok(!m.reported, `seed ${sc.seed}: message ${d.first} delivered after being reported abandoned`);
    m.delivered++;
    if (s.order === 'sequence') {
      assert.ok(d.first > s.lastDeliveredFirst, `seed ${sc.seed}: sequence order violated`);
      s.lastDeliveredFirst = d.first;
    }
  }
  for (const r of res.abandoned) {
    const s = senders[flowOf.get(r.flow)!]!;
    const m = s.frags[r.first - 1]!.msg;
    assert.ok(r.last <= m.last, `seed ${sc.seed}: report ${r.first}..${r.last} crosses a message boundary`);
    assert.is(m.delivered, 0, `seed ${sc.seed}: delivered message ${m.first} reported abandoned`);
    let bytes = 0;
    for (let q = r.first; q <= r.last; q++) bytes += s.frags[q - 1]!.payload.length;
    assert.is(r.bytes, bytes);
    assert.is(r.fragments, r.last - r.first + 1);
    m.reported = true;
  }
}

const t = suite('reassembly equivalence: reference vs WASM on random scenarios');
const total = { records: 0, delivered: 0, reports: 0, verdicts: [0, 0, 0, 0, 0, 0] };
const add = (r: ReturnType<typeof runScenario>) => {
  total.records += r.records;
  total.delivered += r.delivered;
  total.reports += r.reports;
  r.verdicts.forEach((v, i) => (total.verdicts[i]! += v));
};

// Arena pressure: four flows, a pool of 400 blocks, 260 per flow (a 200 KB message is 177 fragments).
for (let seed = 1; seed <= 10; seed++) {
  t(`pool pressure, seed ${seed}`, () => {
    add(runScenario({
      seed,
      flows: 4,
      fragmentsPerFlow: 400,
      sendWindow: 300,
      config: { maxFlows: 8, maxFragmentBytes: 1200, poolBytes: 400 * 1200, flowBufferBytes: 260 * 1200, maxFragmentsPerMessage: 200, windowSequences: 512, maxBatch: 64, batchDataBytes: 64 * 1200 },
    }));
  });
}

// Ample memory, a narrow sequence window (refusals by window), bigger batches.
for (let seed = 101; seed <= 106; seed++) {
  t(`narrow window, seed ${seed}`, () => {
    add(runScenario({
      seed,
      flows: 3,
      fragmentsPerFlow: 500,
      sendWindow: 400,
      config: { maxFlows: 4, poolBytes: 4 * 1024 * 1024, flowBufferBytes: 2 * 1024 * 1024, windowSequences: 256, maxBatch: 256, batchDataBytes: 256 * 1200 },
    }));
  });
}

// One flow, tight cap, small batches.
for (let seed = 201; seed <= 204; seed++) {
  t(`single flow, tight cap, seed ${seed}`, () => {
    add(runScenario({
      seed,
      flows: 1,
      fragmentsPerFlow: 600,
      sendWindow: 250,
      config: { maxFlows: 1, poolBytes: 200 * 1200, flowBufferBytes: 200 * 1200, maxFragmentsPerMessage: 180, windowSequences: 1024, maxBatch: 16, batchDataBytes: 16 * 1200 },
    }));
  });
}

t('the scenarios exercised every path', () => {
  const v = total.verdicts;
  // About 10 messages per flow; most are delivered, some abandoned by the sender.
  assert.ok(v[Verdict.Accepted]! > 10000 && v[Verdict.Duplicate]! > 1000, JSON.stringify(total));
  assert.ok(v[Verdict.RefusedCapacity]! > 1000 && v[Verdict.RefusedWindow]! > 100, JSON.stringify(total));
  assert.ok(total.delivered > 400 && total.reports > 50, JSON.stringify(total));
});

t.run();

