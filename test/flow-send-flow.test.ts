import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SendFlow, SendFlowError, SendFlowListener, SendFlowOptions } from '../src/flow/send-flow.js';
import { OutstandingList, SendMessageHandle } from '../src/flow/send-buffer.js';
import { ManualClock } from '../src/time/clock.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import { ackBitmapFromReceived, AckBitmapChunk } from '../src/wire/chunks/ack.js';
import { FragmentControl, userDataOptionsLength } from '../src/wire/chunks/user-data.js';
import { ackRanges, firstUserData, sendOne, seqs, TC_METADATA } from './flow-send-support.js';

const MSS = 1161;
const OPT = userDataOptionsLength({ userMetadata: TC_METADATA }); // 7: "06 00 TC 04 00" + marker

interface Log {
  delivered: number[];
  abandoned: number[];
  exceptions: number[];
  complete: number;
  writable: number;
}

function make(extra: Partial<SendFlowOptions> = {}): { flow: SendFlow; clock: ManualClock; log: Log } {
  const clock = new ManualClock(0);
  const log: Log = { delivered: [], abandoned: [], exceptions: [], complete: 0, writable: 0 };
  const listener: SendFlowListener = {
    delivered: (m: SendMessageHandle) => log.delivered.push(m.number),
    abandoned: (m: SendMessageHandle) => log.abandoned.push(m.number),
    exception: (c) => log.exceptions.push(c),
    complete: () => log.complete++,
    writable: () => log.writable++,
  };
  const flow = new SendFlow({ flowId: 2, metadata: TC_METADATA, clock, listener, ...extra });
  return { flow, clock, log };
}

const frag = suite('SendFlow fragmentation');

frag('before the first ack the fragment size leaves room for the options', () => {
  assert.is(OPT, 7);
  const { flow } = make();
  const a = flow.write(new Uint8Array(MSS - OPT));
  const b = flow.write(new Uint8Array(MSS - OPT + 1));
  assert.is(a.firstSequenceNumber, 1);
  assert.is(a.lastSequenceNumber, 1);
  assert.is(b.firstSequenceNumber, 2);
  assert.is(b.lastSequenceNumber, 3);
});

frag('after the first ack: exactly MSS is one fragment, MSS+1 is two, 0 bytes is one empty fragment', () => {
  const { flow } = make();
  flow.write(new Uint8Array([1]));
  sendOne(flow, 0, 1);
  flow.onAck(ackRanges(2, 1), 10);
  const whole = flow.write(new Uint8Array(MSS).fill(7));
  const split = flow.write(new Uint8Array(MSS + 1).fill(8));
  const empty = flow.write(new Uint8Array(0));
  const big = flow.write(new Uint8Array(3 * MSS + 5));
  assert.equal([whole.firstSequenceNumber, whole.lastSequenceNumber], [2, 2]);
  assert.equal([split.firstSequenceNumber, split.lastSequenceNumber], [3, 4]);
  assert.equal([empty.firstSequenceNumber, empty.lastSequenceNumber], [5, 5]);
  assert.equal([big.firstSequenceNumber, big.lastSequenceNumber], [6, 9]);

  const p1 = sendOne(flow, 20, 2);
  assert.equal(seqs(p1), [2]);
  assert.is(p1.userData[0]!.chunk.fragmentControl, FragmentControl.Whole);
  assert.is(p1.userData[0]!.chunk.data.length, MSS);
  assert.is(p1.userData[0]!.chunk.options, undefined); // acked: no more OPT
  assert.ok(p1.bytes.length <= 1200);
  const p2 = sendOne(flow, 20, 3);
  // a full-size Begin, then the 1-byte End and the empty message ride along as Next User Data
  assert.equal(seqs(p2), [3, 4, 5]);
  assert.equal(p2.userData.map((u) => u.chunk.type), [0x10, 0x11, 0x11]);
  assert.equal(p2.userData.map((u) => u.chunk.fragmentControl), [FragmentControl.Begin, FragmentControl.End, FragmentControl.Whole]);
  assert.equal(p2.userData.map((u) => u.chunk.data.length), [MSS, 1, 0]);
  assert.is(p2.bytes.length, 1 + (3 + 4 + MSS) + (3 + 1 + 1) + (3 + 1));
  const rest = [sendOne(flow, 20, 4), sendOne(flow, 20, 5), sendOne(flow, 20, 6)];
  assert.equal(rest.map(seqs), [[6], [7], [8, 9]]);
  const all = rest.flatMap((p) => p.userData);
  assert.equal(all.map((u) => u.chunk.fragmentControl), [1, 3, 3, 2]);
  assert.equal(all.map((u) => u.chunk.data.length), [MSS, MSS, MSS, 5]);
  assert.is(sendOne(flow, 20, 7).userData.length, 0);
});

frag('write copies the message and rejects bad arguments with typed errors', () => {
  const { flow } = make({ maxMessageLength: 10 });
  const m = new Uint8Array([1, 2, 3]);
  flow.write(m);
  m[0] = 9;
  assert.equal([...firstUserData(sendOne(flow, 0, 1)).data], [1, 2, 3]);
  assert.throws(() => flow.write(new Uint8Array(11)), (e: unknown) => e instanceof SendFlowError && e.code === 'ERR_FLOW_MESSAGE_TOO_LARGE');
  assert.throws(() => flow.write(new Uint8Array(1), { lifetimeMs: -1 }), (e: unknown) => e instanceof SendFlowError);
  assert.throws(
    () => new SendFlow({ flowId: 1, metadata: new Uint8Array(513), clock: new ManualClock() }),
    (e: unknown) => e instanceof SendFlowError,
  );
});

const opt = suite('SendFlow options and FSN');

opt('OPT with metadata and association on the first chunk of each packet until the first ack', () => {
  const { flow } = make({ returnFlowAssociation: 5 });
  for (let i = 0; i < 4; i++) flow.write(new Uint8Array([i]));
  const p1 = sendOne(flow, 0, 1, false);
  // all four fit: User Data + 3 Next User Data, only the first with OPT
  assert.equal(seqs(p1), [1, 2, 3, 4]);
  assert.equal(p1.userData.map((u) => u.chunk.type), [0x10, 0x11, 0x11, 0x11]);
  const o = p1.userData[0]!.chunk.options!;
  assert.equal([...o.userMetadata!], [...TC_METADATA]);
  assert.is(o.returnFlowAssociation, 5);
  assert.ok(p1.userData.slice(1).every((u) => u.chunk.options === undefined));
  // exact bytes of the first chunk: 10 len | 80 02 01 01 | 05 00 54 43 04 00 | 02 0a 05 | 00 | 00
  assert.equal([...p1.bytes.subarray(1, 1 + 3 + 15)], [0x10, 0x00, 0x0f, 0x80, 0x02, 0x01, 0x01, 0x05, 0x00, 0x54, 0x43, 0x04, 0x00, 0x02, 0x0a, 0x05, 0x00, 0x00]);
  flow.write(new Uint8Array([9]));
  assert.ok(firstUserData(sendOne(flow, 1, 2)).options, 'still no ack: OPT again');
  flow.onAck(ackRanges(2, 0, [2]), 5);
  flow.write(new Uint8Array([10]));
  assert.is(firstUserData(sendOne(flow, 6, 3)).options, undefined);
});

opt('FSN is just below the oldest pending fragment', () => {
  const { flow } = make();
  for (let i = 0; i < 3; i++) flow.write(new Uint8Array([i]));
  const p = sendOne(flow, 0, 1);
  assert.is(firstUserData(p).fsnOffset, 1); // seq 1, FSN 0
  flow.onAck(ackRanges(2, 0, [2, 3]), 10); // 2 and 3 arrive, 1 does not
  flow.write(new Uint8Array([4]));
  const c = firstUserData(sendOne(flow, 11, 2));
  assert.is(c.sequenceNumber, 4);
  assert.is(c.sequenceNumber - c.fsnOffset, 0); // 1 is still pending
  flow.onAck(ackRanges(2, 3), 20);
  flow.write(new Uint8Array([5]));
  const d = firstUserData(sendOne(flow, 21, 3));
  assert.is(d.sequenceNumber, 5);
  assert.is(d.sequenceNumber - d.fsnOffset, 3); // 4 is pending
});

const loss = suite('SendFlow acks, loss, abandonment');

loss('acks deliver messages; Ack Bitmap is accepted; acks for unsent numbers are ignored', () => {
  const { flow, log } = make();
  flow.write(new Uint8Array(2000)); // seqs 1-2
  flow.write(new Uint8Array([1])); // seq 3
  sendOne(flow, 0, 1);
  sendOne(flow, 0, 2);
  flow.write(new Uint8Array([2])); // seq 4 (not sent)
  assert.is(flow.pendingFragments, 4);
  const bitmap: AckBitmapChunk = {
    type: ChunkType.AckBitmap,
    flowId: 2,
    bufferBlocksAvailable: 64,
    cumulativeAck: 0,
    bitmap: ackBitmapFromReceived(0, [2, 3]),
  };
  const r = flow.onAck(bitmap, 30);
  assert.equal(log.delivered, [2]);
  assert.ok(r.ackedBytes > 0);
  assert.is(r.rttSampleMs, 30);
  // hostile: cumulative ack far beyond anything sent acks only what was sent
  flow.onAck(ackRanges(2, Number.MAX_SAFE_INTEGER - 5), 40);
  assert.equal(log.delivered, [2, 1]);
  assert.is(flow.pendingFragments, 1);
  assert.is(flow.outstandingBytes, 0);
});

loss('lifetime expiry abandons: unsent fragments go with ABN and no payload, the caller hears abandoned', () => {
  const { flow, clock, log } = make();
  const a = flow.write(new Uint8Array(3000), { lifetimeMs: 100 }); // seqs 1-3
  const b = flow.write(new Uint8Array([42])); // seq 4, reliable
  assert.is(flow.nextTimeout(), 100);
  clock.advanceTo(100);
  flow.onTimeout(100);
  assert.equal(log.abandoned, [1]);
  assert.is(a.state, 'abandoned');
  assert.is(a.abandonReason, 'lifetime');
  assert.is(flow.bufferedBytes, 1);
  const p = sendOne(flow, 100, 1);
  assert.equal(seqs(p), [1, 2, 3, 4]);
  assert.equal(p.userData.map((u) => [u.chunk.abandon, u.chunk.data.length]), [[true, 0], [true, 0], [true, 0], [false, 1]]);
  // FRA kept; FSN: 1-3 abandoned, 4 pending -> FSN 3 but clamped to the chunk's own number
  assert.equal(p.userData.map((u) => u.chunk.fragmentControl), [1, 3, 2, 0]);
  const first = firstUserData(p);
  assert.is(first.sequenceNumber - first.fsnOffset, 1);
  flow.onAck(ackRanges(2, 4), 150);
  assert.equal(log.delivered, [2]);
  assert.equal(log.abandoned, [1]); // no second report
  assert.is(b.state, 'delivered');
});

loss('an abandoned message in flight is resent as ABN after loss; FSN skips it', () => {
  const { flow, log } = make();
  const outstanding = new OutstandingList();
  flow.attach({ outstanding, rtt: { erto: 3000 } });
  flow.write(new Uint8Array([1]), { lifetimeMs: 50 }); // seq 1
  flow.write(new Uint8Array([2])); // seq 2
  sendOne(flow, 0, 1);
  assert.is(outstanding.count, 2);
  assert.is(outstanding.bytes, flow.outstandingBytes);
  flow.onTimeout(60);
  assert.equal(log.abandoned, [1]);
  flow.write(new Uint8Array([3])); // seq 3
  const p = sendOne(flow, 61, 2);
  assert.equal(seqs(p), [3]);
  const c = firstUserData(p);
  assert.is(c.sequenceNumber - c.fsnOffset, 1); // 1 abandoned; 2 in flight and pending
  // ERTO, as the session does it: everything in flight is lost
  for (let f = outstanding.head; f; ) {
    const next = f.next;
    outstanding.remove(f);
    flow.onFragmentLost(f);
    f = next;
  }
  assert.is(flow.outstandingBytes, 0);
  const r = sendOne(flow, 3000, 3);
  assert.equal(seqs(r), [1, 2, 3]);
  assert.equal(r.userData.map((u) => [u.chunk.abandon, u.chunk.data.length]), [[true, 0], [false, 1], [false, 1]]);
  assert.is(flow.retransmissions, 3);
});

const fin = suite('SendFlow FIN and completion');

fin('close() puts FIN on an unsent last fragment', () => {
  const { flow, log } = make();
  flow.write(new Uint8Array([1, 2]));
  flow.close();
  assert.is(flow.state, 'closing');
  assert.throws(() => flow.write(new Uint8Array(1)), (e: unknown) => e instanceof SendFlowError && e.code === 'ERR_FLOW_CLOSED');
  const p = sendOne(flow, 0, 1);
  assert.equal(seqs(p), [1]);
  assert.ok(p.userData[0]!.chunk.final);
  flow.onAck(ackRanges(2, 1), 10);
  assert.is(flow.state, 'complete');
  assert.is(log.complete, 1);
  assert.is(sendOne(flow, 11, 2).userData.length, 0);
});

fin('close() after the last fragment went out sends an empty message to carry FIN', () => {
  const { flow, log } = make();
  flow.write(new Uint8Array([1]));
  sendOne(flow, 0, 1);
  flow.close();
  const p = sendOne(flow, 1, 2);
  assert.equal(seqs(p), [2]);
  assert.ok(p.userData[0]!.chunk.final);
  assert.is(p.userData[0]!.chunk.data.length, 0);
  flow.onAck(ackRanges(2, 0, [2]), 10);
  assert.is(flow.state, 'closing'); // 1 not acked yet
  flow.onAck(ackRanges(2, 2), 20);
  assert.is(flow.state, 'complete');
  assert.is(log.complete, 1);
  assert.equal(log.delivered, [1]); // the FIN carrier is not a user message
});

fin('a flow that never wrote completes on close', () => {
  const { flow, log } = make();
  flow.close();
  assert.is(flow.state, 'complete');
  assert.is(log.complete, 1);
});

const fc = suite('SendFlow flow control and exceptions');

fc('send buffer cap (high-water mark): writes are taken below the cap, refused at or above it, then writable', () => {
  const { flow, log } = make({ bufferCapacity: 1000 });
  flow.write(new Uint8Array(600));
  assert.ok(flow.writable); // 600 < 1000: writable and write agree
  flow.write(new Uint8Array(600)); // taken: the buffer may overshoot the cap by one message
  assert.not.ok(flow.writable);
  assert.throws(() => flow.write(new Uint8Array(1)), (e: unknown) => e instanceof SendFlowError && e.code === 'ERR_FLOW_BUFFER_FULL');
  sendOne(flow, 0, 1);
  assert.is(log.writable, 0);
  flow.onAck(ackRanges(2, 1), 10); // the first message is acked: 600 buffered, below the cap
  assert.is(log.writable, 1);
  assert.ok(flow.writable);
  flow.write(new Uint8Array(5000)); // larger than the cap: still taken below the mark
  assert.not.ok(flow.writable);
});

fc('receive window limits what is in flight', () => {
  const { flow } = make();
  for (let i = 0; i < 4; i++) flow.write(new Uint8Array(MSS - OPT));
  sendOne(flow, 0, 1);
  flow.onAck(ackRanges(2, 1, [], 2), 10); // 2048 bytes of window
  assert.equal(seqs(sendOne(flow, 11, 2)), [2]);
  assert.equal(seqs(sendOne(flow, 11, 3)), [3]); // 1173 < 2048: one more
  assert.equal(seqs(sendOne(flow, 11, 4)), []); // 2346 >= 2048
  assert.not.ok(flow.hasDataToSend());
});

fc('zero window starts the Buffer Probe persist timer: max(1 s, ERTO), x sqrt(2) up to 60 s', () => {
  const { flow } = make();
  flow.write(new Uint8Array([1]));
  flow.write(new Uint8Array([2]));
  sendOne(flow, 0, 1);
  flow.write(new Uint8Array([3]));
  flow.onAck(ackRanges(2, 2, [], 0), 100);
  assert.not.ok(flow.hasDataToSend());
  assert.is(flow.nextTimeout(), 100 + 3000); // ERTO 3 s (no RTT yet) > 1 s
  assert.is(flow.takeBufferProbe(), undefined);
  flow.onTimeout(3100);
  assert.equal(flow.takeBufferProbe(), { type: ChunkType.BufferProbe, flowId: 2 });
  assert.is(flow.takeBufferProbe(), undefined); // once per firing
  const intervals: number[] = [];
  let t = 3100;
  for (let i = 0; i < 12; i++) {
    const next = flow.nextTimeout();
    intervals.push(Math.round(next - t));
    t = next;
    flow.onTimeout(t);
    assert.ok(flow.bufferProbeDue);
    flow.takeBufferProbe();
  }
  assert.equal(intervals.slice(0, 4), [4243, 6000, 8485, 12000]);
  assert.is(intervals[11], 60000);
  // window opens: timer stops, data flows
  flow.onAck(ackRanges(2, 2, [], 64), t + 1);
  assert.is(flow.nextTimeout(), Infinity);
  assert.equal(seqs(sendOne(flow, t + 2, 2)), [3]);
  assert.is(flow.bufferProbesSent, 13);
});

fc('flow exception: report the code, abandon everything, finish with ABN and FIN', () => {
  const { flow, log } = make();
  flow.write(new Uint8Array([1]));
  flow.write(new Uint8Array(2000));
  sendOne(flow, 0, 1);
  flow.onException(0, 5);
  flow.onException(0, 6); // repeated reports are ignored
  assert.equal(log.exceptions, [0]);
  assert.equal(log.abandoned, [1, 2]);
  assert.is(flow.state, 'closing');
  assert.throws(() => flow.write(new Uint8Array(1)), (e: unknown) => e instanceof SendFlowError);
  flow.onAck(ackRanges(2, 0, [], 0), 10); // rejected flows may advertise nothing: exceptions ignore the window
  assert.ok(flow.hasDataToSend());
  const p = sendOne(flow, 11, 2);
  assert.equal(seqs(p), [3]); // 1-2 went before; 3 was never sent, so FIN rides on it, abandoned
  assert.ok(p.userData[0]!.chunk.final && p.userData[0]!.chunk.abandon);
  assert.is(p.userData[0]!.chunk.data.length, 0);
  flow.onAck(ackRanges(2, 3, [], 0), 20);
  assert.is(flow.state, 'complete');
  assert.is(log.complete, 1);
});

frag.run();
opt.run();
loss.run();
fin.run();
fc.run();
