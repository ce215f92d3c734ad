// Property test: random messages, lifetimes, priorities and packet/ack loss between a scheduler
// and a simulated perfect receiver (Ack Ranges built with the wire helpers, packets through the
// real encoder and decoder), run to completion on a ManualClock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlowScheduler, markTimeCritical } from '../src/flow/flow-scheduler.js';
import { Priority } from '../src/flow/priority.js';
import type { SendMessageHandle } from '../src/flow/send-buffer.js';
import { SendFlow, SendFlowError } from '../src/flow/send-flow.js';
import { ManualClock } from '../src/time/clock.js';
import { CongestionController } from '../src/flow/congestion.js';
import { RttEstimator } from '../src/flow/rtt.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import { rangesFromReceived } from '../src/wire/chunks/ack.js';
import { FragmentControl, resolveUserData } from '../src/wire/chunks/user-data.js';
import { decodePacket } from '../src/wire/packet.js';
import { Prng } from './wire-prng.js';
import { newBuilder, TC_METADATA } from './flow-send-support.js';

const MAX_PACKET = 1200;

interface Written {
  data: Uint8Array;
  lifetime?: number;
  handle?: SendMessageHandle;
  reports: string[];
}

interface RxFragment {
  fra: number;
  data?: Uint8Array;
}

interface RxFlow {
  fragments: Map<number, RxFragment>;
  fsn: number;
  cumulative: number;
}

interface Outcome {
  delivered: number;
  abandoned: number;
  abandonedButReceived: number;
  packets: number;
  lost: number;
  retransmissions: number;
  endTime: number;
}

function run(seed: number): Outcome {
  const prng = new Prng(seed);
  const clock = new ManualClock(0);
  const rtt = new RttEstimator();
  const congestion = new CongestionController({ rtt });
  const scheduler = new FlowScheduler({ congestion, rtt });
  const lossRate = prng.float() * 0.3;
  const ackLossRate = prng.float() * 0.3;
  const delay = 5 + prng.int(60);
  const priorities = [Priority.Routine, Priority.Bulk, Priority.Flash];

  const flows: SendFlow[] = [];
  const queues: Written[][] = [];
  const written: Written[][] = [];
  const rx = new Map<number, RxFlow>();
  const nFlows = 1 + prng.int(3);
  for (let i = 0; i < nFlows; i++) {
    const flowId = 2 + i;
    const list: Written[] = [];
    const count = 3 + prng.int(30);
    for (let k = 0; k < count; k++) {
      const r = prng.int(10);
      const size = r === 0 ? 0 : r < 6 ? 1 + prng.int(300) : prng.int(7000);
      const w: Written = { data: prng.bytes(size), reports: [] };
      if (prng.int(10) < 4) w.lifetime = 50 + prng.int(3000);
      list.push(w);
    }
    written.push(list);
    queues.push(list.slice());
    rx.set(flowId, { fragments: new Map(), fsn: 0, cumulative: 0 });
    const flow: SendFlow = new SendFlow({
      flowId,
      metadata: TC_METADATA,
      clock,
      priority: priorities[prng.int(3)]!,
      bufferCapacity: 4096 + prng.int(16384),
      listener: {
        writable: () => writeMore(i),
        delivered: (m) => list[m.number - 1]!.reports.push('delivered'),
        abandoned: (m) => list[m.number - 1]!.reports.push('abandoned'),
      },
    });
    flows.push(flow);
    scheduler.addFlow(flow);
  }

  function writeMore(i: number): void {
    const q = queues[i]!;
    const flow = flows[i]!;
    while (q.length > 0) {
      const w = q[0]!;
      try {
        w.handle = flow.write(w.data, w.lifetime === undefined ? {} : { lifetimeMs: w.lifetime });
      } catch (e) {
        if (e instanceof SendFlowError && e.code === 'ERR_FLOW_BUFFER_FULL') return;
        throw e;
      }
      q.shift();
    }
    flow.close();
  }

  let packets = 0;
  let lost = 0;

  function receiverGets(bytes: Uint8Array): void {
    const { chunks } = decodePacket(bytes);
    const touched = new Set<number>();
    for (const u of resolveUserData(chunks)) {
      const f = rx.get(u.flowId)!;
      touched.add(u.flowId);
      if (u.forwardSequenceNumber > f.fsn) f.fsn = u.forwardSequenceNumber;
      const have = f.fragments.get(u.sequenceNumber);
      if (!have) f.fragments.set(u.sequenceNumber, { fra: u.chunk.fragmentControl, data: u.chunk.abandon ? undefined : u.chunk.data.slice() });
      else if (!have.data && !u.chunk.abandon) have.data = u.chunk.data.slice();
    }
    if (touched.size === 0) return;
    const b = newBuilder(MAX_PACKET);
    for (const flowId of touched) {
      const f = rx.get(flowId)!;
      while (f.fragments.has(f.cumulative + 1) || f.cumulative < f.fsn) f.cumulative++;
      const above = [...f.fragments.keys()].filter((s) => s > f.cumulative + 1).sort((x, y) => x - y);
      const n = b.appendAckRanges({
        type: ChunkType.AckRanges,
        flowId,
        bufferBlocksAvailable: 64,
        cumulativeAck: f.cumulative,
        ranges: rangesFromReceived(f.cumulative, above),
      });
      assert.ok(n >= 0);
    }
    const ack = b.bytes().slice();
    if (prng.float() < ackLossRate) return;
    clock.setTimer(clock.now() + delay, () => senderGets(ack));
  }

  function senderGets(bytes: Uint8Array): void {
    const now = clock.now();
    for (const c of decodePacket(bytes).chunks) {
      if (c.type === ChunkType.AckRanges) scheduler.onAck(c, now);
    }
    scheduler.onPacketProcessed(now);
    pump();
  }

  function pump(): void {
    const now = clock.now();
    for (;;) {
      const b = newBuilder(MAX_PACKET);
      const report = scheduler.fillPacket(b, now);
      if (b.chunkCount === 0) return;
      if (report.timeCritical) markTimeCritical(b);
      assert.ok(b.length <= MAX_PACKET, `packet of ${b.length} bytes`);
      if (report.fragments > 0) {
        assert.ok(
          scheduler.bytesInFlight <= congestion.cwnd + MAX_PACKET,
          `in flight ${scheduler.bytesInFlight} > cwnd ${congestion.cwnd} + one packet`,
        );
      }
      packets++;
      const bytes = b.bytes().slice();
      if (prng.float() < lossRate) {
        lost++;
        continue;
      }
      clock.setTimer(now + delay, () => receiverGets(bytes));
    }
  }

  for (let i = 0; i < nFlows; i++) writeMore(i);
  let steps = 0;
  while (!flows.every((f) => f.state === 'complete')) {
    assert.ok(++steps < 200_000, `seed ${seed}: no completion after ${steps} steps`);
    pump();
    const next = Math.min(scheduler.nextTimeout(), clock.nextDue());
    assert.ok(next < Infinity, `seed ${seed}: stalled at ${clock.now()} with nothing scheduled`);
    clock.advanceTo(Math.max(next, clock.now()));
    if (clock.now() >= scheduler.nextTimeout()) {
      scheduler.onTimeout(clock.now());
      pump();
    }
  }

  // Outcomes.
  const out: Outcome = { delivered: 0, abandoned: 0, abandonedButReceived: 0, packets, lost, retransmissions: 0, endTime: clock.now() };
  for (let i = 0; i < nFlows; i++) {
    const f = rx.get(flows[i]!.flowId)!;
    out.retransmissions += flows[i]!.retransmissions;
    for (const w of written[i]!) {
      const h = w.handle!;
      assert.ok(h, `seed ${seed}: message never written`);
      assert.is(w.reports.length, 1, `seed ${seed}: message ${h.number} reports ${w.reports.join(',') || 'nothing'}`);
      assert.is(w.reports[0], h.state);
      // Reassemble at the receiver from its fragments.
      const parts: Uint8Array[] = [];
      let complete = true;
      for (let s = h.firstSequenceNumber; s <= h.lastSequenceNumber; s++) {
        const fr = f.fragments.get(s);
        if (!fr || !fr.data) {
          complete = false;
          break;
        }
        const single = h.firstSequenceNumber === h.lastSequenceNumber;
        const want = single
          ? FragmentControl.Whole
          : s === h.firstSequenceNumber
            ? FragmentControl.Begin
            : s === h.lastSequenceNumber
              ? FragmentControl.End
              : FragmentControl.Middle;
        assert.is(fr.fra, want, `seed ${seed}: fragment control of ${s}`);
        parts.push(fr.data);
      }
      if (complete) {
        const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let o = 0;
        for (const p of parts) {
          joined.set(p, o);
          o += p.length;
        }
        assert.equal(joined, w.data, `seed ${seed}: message ${h.number} bytes`);
      }
      if (h.state === 'delivered') {
        out.delivered++;
        assert.ok(complete, `seed ${seed}: message ${h.number} acked but not reassembled`);
      } else {
        assert.is(h.state, 'abandoned');
        assert.ok(w.lifetime !== undefined, `seed ${seed}: reliable message ${h.number} abandoned`);
        out.abandoned++;
        // Partial reliability: the data may have arrived with only its acks lost.
        if (complete) out.abandonedButReceived++;
      }
    }
  }
  assert.is(scheduler.bytesInFlight, 0);
  return out;
}

test('random messages, lifetimes and loss: every message delivered exactly or reported abandoned, once', () => {
  const totals = { delivered: 0, abandoned: 0, abandonedButReceived: 0, packets: 0, lost: 0, retransmissions: 0 };
  for (let seed = 1; seed <= 60; seed++) {
    const o = run(seed);
    totals.delivered += o.delivered;
    totals.abandoned += o.abandoned;
    totals.abandonedButReceived += o.abandonedButReceived;
    totals.packets += o.packets;
    totals.lost += o.lost;
    totals.retransmissions += o.retransmissions;
  }
  // The runs must actually exercise loss, retransmission and abandonment.
  assert.ok(totals.lost > 100, `lost ${totals.lost}`);
  assert.ok(totals.retransmissions > 100, `retransmissions ${totals.retransmissions}`);
  assert.ok(totals.abandoned > 10, `abandoned ${totals.abandoned}`);
  assert.ok(totals.delivered > 500, `delivered ${totals.delivered}`);
  if (process.env.FLOW_SEND_VERBOSE) console.log(totals);
});

test.run();
