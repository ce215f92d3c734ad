import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FlowScheduler, markTimeCritical, PROBE_BACKOFF_FACTOR } from '../src/flow/flow-scheduler.js';
import { Priority } from '../src/flow/priority.js';
import { SendFlow } from '../src/flow/send-flow.js';
import { ManualClock } from '../src/time/clock.js';
import { CongestionController, mssForPacketLength } from '../src/flow/congestion.js';
import { RttEstimator } from '../src/flow/rtt.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import { decodePacket, PacketFlag } from '../src/wire/packet.js';
import { Prng } from './wire-prng.js';
import { ackRanges, decode, newBuilder, seqs, TC_METADATA } from './flow-send-support.js';

const MSS = 1161;

function session(rttMs?: number, mss = MSS) {
  const clock = new ManualClock(0);
  const rtt = new RttEstimator();
  if (rttMs !== undefined) rtt.addSample(rttMs, 0);
  const congestion = new CongestionController({ rtt });
  const scheduler = new FlowScheduler({ congestion, rtt });
  const open = (flowId: number, priority: Priority = Priority.Routine) => {
    const f = new SendFlow({ flowId, metadata: TC_METADATA, clock, priority, mss });
    scheduler.addFlow(f);
    return f;
  };
  const fill = (now: number, maxLength = 1200) => {
    const b = newBuilder(maxLength);
    const report = scheduler.fillPacket(b, now);
    if (report.timeCritical) markTimeCritical(b);
    return { report, ...decode(b) };
  };
  return { clock, rtt, congestion, scheduler, open, fill };
}

/** Acks one flow as one incoming packet. */
function ackPacket(s: ReturnType<typeof session>, flowId: number, cum: number, received: number[], now: number): void {
  s.scheduler.onAck(ackRanges(flowId, cum, received), now);
  s.scheduler.onPacketProcessed(now);
}

const order = suite('FlowScheduler ordering');

order('time-critical data goes ahead of bulk data and sets TC', () => {
  const s = session();
  const bulk = s.open(2, Priority.Routine);
  const tc = s.open(3, Priority.Flash);
  bulk.write(new Uint8Array(100));
  tc.write(new Uint8Array(100));
  const p = s.fill(0);
  assert.equal(p.userData.map((u) => u.flowId), [3, 2]);
  assert.ok(p.report.timeCritical);
  assert.is(p.bytes[0]! & PacketFlag.TimeCritical, PacketFlag.TimeCritical);
  assert.ok(decodePacket(p.bytes).header.timeCritical);
  const q = s.fill(1);
  assert.is(q.userData.length, 0);
  bulk.write(new Uint8Array(100));
  const r = s.fill(2);
  assert.not.ok(r.report.timeCritical);
  assert.is(r.bytes[0]! & PacketFlag.TimeCritical, 0);
});

order('equal priorities round-robin: one bulk flow cannot starve another', () => {
  const s = session();
  s.congestion.cwnd = 1e9;
  const a = s.open(2);
  const b = s.open(3);
  const c = s.open(4, Priority.Bulk); // lower: waits for both
  for (let i = 0; i < 5; i++) {
    a.write(new Uint8Array(MSS - 7));
    b.write(new Uint8Array(MSS - 7));
  }
  c.write(new Uint8Array(10));
  const flows: number[] = [];
  for (let i = 0; i < 11; i++) flows.push(...s.fill(i).userData.map((u) => u.flowId));
  assert.equal(flows, [2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 4]);
});

order('retransmissions before new data within a level; Next User Data for consecutive fragments', () => {
  const s = session();
  s.congestion.cwnd = 1e9;
  const a = s.open(2);
  for (let i = 0; i < 3; i++) a.write(new Uint8Array([i]));
  const p = s.fill(0);
  assert.ok(p.userData[0]!.chunk.options !== undefined);
  assert.ok(p.userData.slice(1).every((u) => u.chunk.options === undefined));
  assert.equal(seqs(p), [1, 2, 3]);
  assert.equal(p.chunks.map((c) => c.type), [ChunkType.UserData, ChunkType.NextUserData, ChunkType.NextUserData]);
  // ERTO: all three lost
  s.scheduler.onTimeout(s.scheduler.nextTimeout());
  a.write(new Uint8Array([3]));
  const q = s.fill(3000);
  assert.equal(seqs(q), [1, 2, 3, 4]);
  // one User Data and Next User Data across the retransmission and new-data passes
  assert.equal(q.chunks.map((c) => c.type), [0x10, 0x11, 0x11, 0x11]);
  assert.is(a.retransmissions, 3);
  // two flows interleaved in one packet each start with User Data; OPT once per flow per packet
  const b = s.open(5);
  b.write(new Uint8Array([1]));
  a.write(new Uint8Array([2]));
  const r = s.fill(3001);
  assert.equal(r.userData.map((u) => [u.flowId, u.sequenceNumber, u.chunk.type, u.chunk.options !== undefined]), [
    [2, 5, 0x10, true],
    [5, 1, 0x10, true],
  ]);
});

const cw = suite('FlowScheduler congestion window');

cw('cwnd is respected: 3*MSS of full fragments, then nothing until acks', () => {
  const s = session();
  const a = s.open(2);
  for (let i = 0; i < 10; i++) a.write(new Uint8Array(MSS - 7));
  const sizes: number[] = [];
  for (let i = 0; i < 5; i++) sizes.push(s.fill(i).userData.length);
  assert.equal(sizes, [1, 1, 1, 0, 0]);
  assert.ok(s.scheduler.bytesInFlight > s.congestion.cwnd - MSS);
  assert.ok(s.scheduler.bytesInFlight <= s.congestion.cwnd + 1200);
  assert.not.ok(s.scheduler.wantsToSend(5));
  ackPacket(s, 2, 1, [], 10); // slow start: + one fragment's bytes
  assert.ok(s.congestion.cwnd > 3 * MSS);
  assert.equal(seqs(s.fill(11)), [4]);
  assert.equal(seqs(s.fill(11)), [5]);
  assert.equal(seqs(s.fill(11)), []);
});

cw('burst limit: 6 data packets per round when SRTT >= 4.5 ms', () => {
  const s = session(100);
  s.congestion.cwnd = 1e6;
  const a = s.open(2);
  for (let i = 0; i < 20; i++) a.write(new Uint8Array(MSS - 7));
  let packets = 0;
  while (s.fill(0).userData.length > 0) packets++;
  assert.is(packets, 6);
  const due = s.scheduler.nextTimeout();
  assert.ok(due > 0 && due < 1, `pacing refill at ${due}`);
  s.scheduler.onTimeout(due);
  assert.is(s.fill(due).userData.length, 1);
  assert.is(s.fill(due).userData.length, 0);
});

cw('packets never exceed the builder limit, whatever the mix', () => {
  const prng = new Prng(7);
  for (const limit of [1200, 1192, 600, 200]) {
    const s = session(undefined, mssForPacketLength(limit));
    s.congestion.cwnd = 1e9;
    const flows = [s.open(1), s.open(2, Priority.Flash), s.open(300, Priority.Bulk), s.open(70000)];
    for (let i = 0; i < 60; i++) flows[prng.int(4)]!.write(new Uint8Array(prng.int(3000)));
    let total = 0;
    for (let i = 0; i < 1000; i++) {
      const p = s.fill(i, limit);
      if (p.userData.length === 0) break;
      assert.ok(p.bytes.length <= limit, `${p.bytes.length} > ${limit}`);
      total += p.userData.length;
    }
    assert.is(total, flows.reduce((n, f) => n + f.nextSequence - 1, 0));
  }
});

cw('an MSS that cannot fit the packet fails loudly instead of stalling', () => {
  const s = session(undefined, MSS);
  s.congestion.cwnd = 1e9;
  s.open(2).write(new Uint8Array(MSS - 7));
  assert.throws(() => s.fill(0, 600), (e: unknown) => (e as { code?: string }).code === 'ERR_FLOW_ARGUMENT');
});

const lossy = suite('FlowScheduler loss detection');

lossy('a fragment is retransmitted after 3 later acks (nack rule)', () => {
  const s = session();
  s.congestion.cwnd = 1e9;
  const a = s.open(2);
  for (let i = 0; i < 5; i++) a.write(new Uint8Array(MSS - 7));
  for (let i = 0; i < 5; i++) assert.equal(seqs(s.fill(i)), [i + 1]);
  ackPacket(s, 2, 0, [2], 50);
  ackPacket(s, 2, 0, [2, 3], 51);
  assert.equal(seqs(s.fill(52)), []); // two nacks: not lost yet
  ackPacket(s, 2, 0, [2, 3, 4], 53);
  assert.is(s.scheduler.nackLosses, 1);
  assert.is(s.congestion.losses, 1);
  const p = s.fill(54);
  assert.equal(seqs(p), [1]);
  assert.is(a.retransmissions, 1);
  assert.is(p.userData[0]!.chunk.data.length, MSS - 7);
});

lossy('after ERTO everything in flight is resent, cwnd 2*MSS, ERTO backs off', () => {
  const s = session();
  const a = s.open(2);
  for (let i = 0; i < 3; i++) a.write(new Uint8Array(MSS - 7));
  for (let i = 0; i < 3; i++) s.fill(0);
  assert.is(s.scheduler.nextTimeout(), 3000);
  s.scheduler.onTimeout(2999);
  assert.is(s.scheduler.timeoutLosses, 0);
  s.scheduler.onTimeout(3000);
  assert.is(s.scheduler.timeoutLosses, 3);
  assert.is(s.scheduler.bytesInFlight, 0);
  assert.is(s.congestion.cwnd, 2 * MSS);
  assert.is(s.congestion.timeouts, 1);
  assert.is(s.rtt.erto, 6000);
  assert.equal(seqs(s.fill(3000)), [1]);
  assert.equal(seqs(s.fill(3000)), [2]);
  assert.equal(seqs(s.fill(3000)), []); // 2*MSS window
  assert.is(s.scheduler.nextTimeout(), 3000 + s.rtt.erto);
});

lossy('sending never pushes ERTO out: tail probes back off below it, ERTO fires and doubles', () => {
  const s = session(40); // ERTO = 40 + 80 + 200 = 320 ms
  const a = s.open(2);
  a.write(new Uint8Array(100));
  s.fill(0);
  assert.is(s.scheduler.nextTimeout(), 80 + 200); // probe after 2 SRTT plus the delayed-ack allowance of a lone packet (RFC 8985 7.2)
  a.write(new Uint8Array(100));
  s.fill(50); // new data moves the probe to the new tail, not the ERTO
  assert.is(s.scheduler.nextTimeout(), 130);
  s.scheduler.onTimeout(130);
  assert.is(s.scheduler.tailProbes, 1);
  assert.equal(seqs(s.fill(130)), [2]); // the probe: the newest fragment again
  // Its retransmission arms the next probe x sqrt(2) later, and leaves the ERTO deadline alone.
  const second = 130 + 80 * PROBE_BACKOFF_FACTOR;
  assert.is(s.scheduler.nextTimeout(), second);
  s.scheduler.onTimeout(second);
  assert.equal(seqs(s.fill(second)), [2]);
  assert.is(s.scheduler.tailProbes, 2);
  // A third would come at or after ERTO: none; ERTO is still due 320 ms after the first send.
  assert.is(s.scheduler.nextTimeout(), 320);
  s.scheduler.onTimeout(320);
  assert.is(s.scheduler.timeoutLosses, 2);
  assert.is(s.rtt.erto, 640);
  assert.equal(seqs(s.fill(320)), [1, 2]);
  assert.equal(seqs(s.fill(330)), []);
  // The ERTO retransmission (one packet, both fragments) arms the next probe, still backed off (an
  // ERTO does not reset it), plus the lone packet's delayed-ack allowance.
  assert.is(s.scheduler.nextTimeout(), 320 + 80 * PROBE_BACKOFF_FACTOR ** 2 + 200);
  s.scheduler.onTimeout(680);
  assert.equal(seqs(s.fill(680)), [2]);
  assert.is(s.scheduler.tailProbes, 3);
  assert.is(s.scheduler.nextTimeout(), 680 + 80 * PROBE_BACKOFF_FACTOR ** 3);
  s.scheduler.onTimeout(680 + 80 * PROBE_BACKOFF_FACTOR ** 3);
  s.fill(907);
  // The next would come at or past the ERTO deadline (320 + 640): none.
  assert.is(s.scheduler.nextTimeout(), 960);
  s.scheduler.onTimeout(960);
  assert.is(s.rtt.erto, 1280);
  assert.is(s.scheduler.tailProbes, 4);
  // An ack of new data restarts the timer and the probe backoff.
  s.fill(960);
  ackPacket(s, 2, 1, [], 1000);
  assert.is(s.scheduler.nextTimeout(), 1000 + 80 + 200); // one packet left in flight
});

lossy('an abandoned message lost in flight is resent as ABN without payload', () => {
  const s = session();
  const a = s.open(2);
  const m = a.write(new Uint8Array(500), { lifetimeMs: 1000 });
  s.fill(0);
  s.clock.advanceTo(1000);
  s.scheduler.onTimeout(1000);
  assert.is(m.state, 'abandoned');
  s.scheduler.onTimeout(3000); // ERTO
  const p = s.fill(3000);
  assert.equal(seqs(p), [1]);
  assert.ok(p.userData[0]!.chunk.abandon);
  assert.is(p.userData[0]!.chunk.data.length, 0);
});

lossy('RTT from acks when the peer never echoes timestamps; none from retransmitted fragments', () => {
  const s = session();
  const a = s.open(2);
  a.write(new Uint8Array(10));
  a.write(new Uint8Array(10));
  s.fill(0); // both in one packet
  ackPacket(s, 2, 1, [], 80);
  assert.is(s.rtt.srtt, 80);
  s.scheduler.onTimeout(s.scheduler.nextTimeout()); // seq 2 lost by ERTO, resent
  s.fill(3080);
  ackPacket(s, 2, 2, [], 3100);
  assert.is(s.rtt.ackSamples, 1);
});

lossy('Buffer Probe goes out when the persist timer fires, even with a full window', () => {
  const s = session();
  const a = s.open(2);
  a.write(new Uint8Array(10));
  s.fill(0);
  a.write(new Uint8Array(10));
  s.scheduler.onAck(ackRanges(2, 1, [], 0), 50);
  s.scheduler.onPacketProcessed(50);
  assert.not.ok(s.scheduler.wantsToSend(51));
  // the ack gave an RTT sample of 50 ms: ERTO = max(50 + 100 + 200, 250) = 350
  assert.is(s.rtt.erto, 350);
  assert.is(s.scheduler.nextTimeout(), 50 + 350); // idle ERTO first: cwnd back to 3*MSS
  s.scheduler.onTimeout(400);
  const t = s.scheduler.nextTimeout();
  assert.is(t, 50 + 3000); // persist: max(1 s, ERTO as it was before this ack's own sample)
  s.scheduler.onTimeout(t);
  assert.ok(s.scheduler.wantsToSend(t));
  const p = s.fill(t);
  assert.equal(p.chunks, [{ type: ChunkType.BufferProbe, flowId: 2 }]);
  assert.is(p.report.bufferProbes, 1);
});

lossy('exception report routed to its flow; unknown flows ignored', () => {
  const s = session();
  const a = s.open(2);
  a.write(new Uint8Array(10));
  s.fill(0);
  assert.not.ok(s.scheduler.onFlowExceptionReport({ type: ChunkType.FlowExceptionReport, flowId: 9, exceptionCode: 1 }, 1));
  assert.ok(s.scheduler.onFlowExceptionReport({ type: ChunkType.FlowExceptionReport, flowId: 2, exceptionCode: 1 }, 1));
  assert.is(a.exceptionCode, 1);
  assert.not.ok(s.scheduler.onAck(ackRanges(9, 1), 2));
});

order.run();
cw.run();
lossy.run();
