// Ack policy and Ack Ranges output (RFC 7016 §3.6.3.4; wire-reference C.3): the 200 ms delay, the
// every-2-packets rule, immediate acks (out of order, duplicate, ABN, FIN, low window, probe),
// exact chunk bytes, truncation to the room left, several flows per packet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AckPolicy, ACK_DELAY_MS } from '../src/flow/ack-policy.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import { FragmentControl } from '../src/wire/chunks/user-data.js';
import { ackOf, first, recorder, send, ud, writeAcks } from './flow-receive-support.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

test('AckPolicy: delay, every 2 packets, immediate, partial drain keeps the deadline', () => {
  const p = new AckPolicy<string>();
  assert.is(p.nextAckDeadline(), Infinity);
  p.mark('a', 1000);
  p.dataPacket(1000);
  assert.is(p.nextAckDeadline(), 1000 + ACK_DELAY_MS);
  assert.not.ok(p.ackDue(1199));
  assert.ok(p.ackDue(1200));
  p.mark('b', 1050);
  assert.is(p.nextAckDeadline(), 1200, 'a later mark does not push the deadline');
  p.dataPacket(1050);
  assert.is(p.nextAckDeadline(), 1050, 'second data packet: due now');
  assert.is(p.drain((k) => k === 'a'), 1, 'packet full after a');
  assert.ok(p.isPending('b'));
  assert.ok(p.ackDue(1050), 'what did not fit stays due');
  assert.is(p.drain(() => true), 1);
  assert.is(p.nextAckDeadline(), Infinity);
  p.mark('c', 2000, true);
  assert.is(p.nextAckDeadline(), 2000);
  p.forget('c');
  assert.is(p.nextAckDeadline(), Infinity);
});

test('one in-order packet: ack after exactly 200 ms, exact bytes', () => {
  const { rf } = recorder();
  send(rf, 1000, first(2, 1, 'hello'));
  assert.is(rf.nextAckDeadline(), 1200);
  assert.not.ok(rf.ackDue(1199));
  assert.ok(rf.ackDue(1200));
  const out = writeAcks(rf, 1200);
  // 51 | len 4 | flow 2 | 38 blocks (32 blocks of 1200 B = 37.5 KiB, rounded up) | CSN 1
  assert.is(hex(out.bytes), '51 00 03 02 26 01');
  assert.is(out.written, 1);
  assert.is(rf.nextAckDeadline(), Infinity);
  assert.equal(writeAcks(rf, 1300).chunks, [], 'nothing owed, nothing written');
});

test('an ack is obligatory after every 2 packets with data', () => {
  const { rf } = recorder();
  send(rf, 0, first(2, 1, 'a'));
  send(rf, 10, ud(2, 2, { data: 'b' }));
  assert.is(rf.nextAckDeadline(), 10);
  assert.equal(writeAcks(rf, 10).acks, [ackOf(2, 2, 38)]);
  // The count restarts after an ack.
  send(rf, 20, ud(2, 3, { data: 'c' }));
  assert.is(rf.nextAckDeadline(), 220);
  send(rf, 30, ud(2, 4, { data: 'd' }));
  assert.ok(rf.ackDue(30));
});

test('immediate ack: out-of-order data, with its range', () => {
  const { rf } = recorder();
  send(rf, 0, first(2, 1, 'a'));
  writeAcks(rf, 0);
  send(rf, 500, ud(2, 3, { data: 'c' }));
  assert.ok(rf.ackDue(500));
  const out = writeAcks(rf, 500);
  // ranges: holesMinusOne = 3 - 1 - 2 = 0, receivedMinusOne 0; window: one block held and one
  // reserved for the hole at 2, 30 blocks of 1200 B free = 35.2 KiB, advertised as 36.
  assert.equal(out.acks, [ackOf(2, 1, 36, [[3, 3]])]);
  assert.is(hex(out.bytes), '51 00 05 02 24 01 00 00');
  // Filling the hole is also out-of-order state resolving: ack at once.
  send(rf, 600, ud(2, 2, { data: 'b' }));
  assert.ok(rf.ackDue(600));
  assert.equal(writeAcks(rf, 600).acks, [ackOf(2, 3, 38)]);
});

test('immediate ack: duplicate, ABN, FIN, Buffer Probe', () => {
  const { rf } = recorder();
  send(rf, 0, first(2, 1, 'a'));
  writeAcks(rf, 0);
  send(rf, 100, first(2, 1, 'a'));
  assert.ok(rf.ackDue(100), 'duplicate');
  writeAcks(rf, 100);
  send(rf, 200, ud(2, 2, { abandon: true, fsn: 1 }));
  assert.ok(rf.ackDue(200), 'ABN');
  writeAcks(rf, 200);
  send(rf, 300, ud(2, 3, { data: 'end', final: true, fsn: 2 }));
  assert.ok(rf.ackDue(300), 'FIN');
  writeAcks(rf, 300);
  send(rf, 400, { type: ChunkType.BufferProbe, flowId: 2 });
  assert.ok(rf.ackDue(400), 'probe');
  assert.equal(writeAcks(rf, 400).acks, [ackOf(2, 3, 38)]);
  send(rf, 500, { type: ChunkType.BufferProbe, flowId: 99 });
  assert.not.ok(rf.ackDue(500));
  assert.is(rf.stats.unknownProbes, 1);
});

test('immediate ack: data on a flow whose last advertisement was below 2 blocks', () => {
  const { rf, messages } = recorder({ reassembly: { maxFlows: 2, maxFragmentBytes: 1024, flowBufferBytes: 2048, poolBytes: 8192, maxFragmentsPerMessage: 2, windowSequences: 16 } });
  send(rf, 0, first(2, 1, 'be', undefined, undefined, { fra: FragmentControl.Begin }));
  assert.is(rf.nextAckDeadline(), 200);
  assert.equal(writeAcks(rf, 200).acks, [ackOf(2, 1, 1)], 'one of two 1 KiB blocks held');
  send(rf, 300, ud(2, 2, { fra: FragmentControl.End, data: 'gin' }));
  assert.equal(messages(2), ['begin']);
  assert.ok(rf.ackDue(300), 'in order, but the window was low');
  assert.equal(writeAcks(rf, 300).acks, [ackOf(2, 2, 2)]);
  send(rf, 400, ud(2, 3, { data: 'x' }));
  assert.is(rf.nextAckDeadline(), 600, 'window back to 2 blocks: normal delay again');
});

test('ack ranges are truncated to the room left in the packet; what does not fit stays owed', () => {
  const { rf } = recorder();
  send(rf, 0, first(3, 1, 'other'));
  assert.equal(writeAcks(rf, 0).acks, [ackOf(3, 1, 38)]);
  const odd = [];
  for (let s = 1; s <= 21; s += 2) odd.push(s === 1 ? first(2, 1, 'x') : ud(2, s, { data: 'x' }));
  send(rf, 0, ...odd);
  // flags(1) + chunk header(3) + flow, window, CSN (3) + 5 ranges of 2 bytes = 17 bytes.
  const out = writeAcks(rf, 0, 17);
  assert.is(out.written, 1);
  // 10 buffered whole fragments plus 10 holes reserved: 12 of 32 blocks of 1200 B left = 14.06 KiB -> 15.
  assert.equal(out.acks, [ackOf(2, 1, 15, [[3, 3], [5, 5], [7, 7], [9, 9], [11, 11]])]);
  assert.is(hex(out.bytes), '51 00 0d 02 0f 01 00 00 00 00 00 00 00 00 00 00');
  assert.is(rf.nextAckDeadline(), Infinity);
  // Room for flow 3's ack (7 bytes) but not for flow 2's header: flow 2 stays owed.
  send(rf, 10, ud(3, 2, { data: 'o2' }), ud(2, 2, { data: 'y' }));
  const small = writeAcks(rf, 10, 7);
  assert.equal(small.acks, [ackOf(3, 2, 38)]);
  assert.is(small.written, 1);
  assert.ok(rf.ackDue(10));
  // 1..3 delivered; 5..21 odd (9 blocks) held and 4..20 even (9 holes) reserved: 14 blocks of
  // 1200 B free = 16.4 KiB, advertised as 17.
  const odds: [number, number][] = [];
  for (let x = 5; x <= 21; x += 2) odds.push([x, x]);
  assert.equal(writeAcks(rf, 10).acks, [ackOf(2, 3, 17, odds)]);
  assert.not.ok(rf.ackDue(10));
});

test('piggybacking: writeAcks before the deadline sends what is owed and restarts the timers', () => {
  const { rf } = recorder();
  send(rf, 0, first(2, 1, 'a'));
  assert.equal(writeAcks(rf, 50).acks, [ackOf(2, 1, 38)]);
  assert.is(rf.nextAckDeadline(), Infinity);
  send(rf, 60, ud(2, 2, { data: 'b' }));
  assert.is(rf.nextAckDeadline(), 260, 'one packet since the last ack');
});

test.run();
