// Flow rejection (wire-reference C.2, C.4, C.5), buffer caps (refused data is not acked) and
// hostile input (far-ahead numbers, FSN above the sequence number, data after FIN, zero-length
// fragments, oversize payloads, floods of new flow IDs): counted, bounded, never thrown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReassembler } from '../src/engine/reassembly/index.js';
import { ReceiveFlowError } from '../src/flow/receive-flow.js';
import { ReceiveFlows } from '../src/flow/receive-flows.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import { FragmentControl, type ResolvedUserData } from '../src/wire/chunks/user-data.js';
import { ackOf, enc, first, nud, recorder, send, ud, writeAcks } from './flow-receive-support.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const GR = Uint8Array.of(0x47, 0x52, 0x1c);

test('unknown metadata: the owner refuses; exception (code 0) then ack, repeated while data comes', () => {
  const { rf, take, events } = recorder({}, (f) => f.metadata[0] === 0x54);
  send(rf, 0, first(5, 1, 'group', GR));
  assert.equal(take(), [
    { kind: 'flow', flowId: 5, metadata: '47521c', association: undefined, order: 'sequence' },
    { kind: 'rejected', flowId: 5, code: 0, reason: 'metadata' },
  ]);
  assert.ok(rf.ackDue(0));
  const out = writeAcks(rf, 0);
  // 5e len 2 | flow 5 | code 0, then 51 len 3 | flow 5 | 38 blocks | CSN 1
  assert.is(hex(out.bytes), '5e 00 02 05 00 51 00 03 05 26 01');
  assert.equal(rf.flow(5)?.state, 'rejected');
  send(rf, 100, ud(5, 3, { data: 'more' }));
  assert.equal(events, [], 'data of a rejected flow is dropped');
  assert.ok(rf.ackDue(100));
  const again = writeAcks(rf, 100);
  assert.equal(again.exceptions, [{ type: ChunkType.FlowExceptionReport, flowId: 5, exceptionCode: 0 }]);
  assert.equal(again.acks, [ackOf(5, 1, 38, [[3, 3]])], 'its numbers are still tracked');
  // Mona answers an exception with ABN|FIN (C.4): the flow completes, no more exceptions.
  send(rf, 200, ud(5, 4, { abandon: true, final: true, fsn: 4 }));
  const last = writeAcks(rf, 200);
  assert.equal(last.exceptions, []);
  assert.equal(last.acks, [ackOf(5, 4, 38)]);
  assert.equal(rf.stats.flowsRejected, 1);
});

test('the owner chooses an exception code', () => {
  const { rf } = recorder({}, () => ({ accept: false, exceptionCode: 7 }));
  send(rf, 0, first(2, 1, 'x'));
  assert.equal(writeAcks(rf, 0).exceptions, [{ type: ChunkType.FlowExceptionReport, flowId: 2, exceptionCode: 7 }]);
});

test('association to a flow this end is not sending is rejected; to an open one accepted', () => {
  const { rf, take } = recorder({ isSendFlowOpen: (id) => id === 2 });
  send(rf, 0, first(3, 1, 'ret', undefined, 7), first(4, 1, 'ok', undefined, 2));
  assert.equal(take(), [
    { kind: 'rejected', flowId: 3, code: 0, reason: 'association' },
    { kind: 'flow', flowId: 4, metadata: '54430400', association: 2, order: 'sequence' },
    { kind: 'message', flowId: 4, text: 'ok', first: 1, last: 1 },
  ]);
});

test('no metadata on the first chunk, unknown option below 0x2000: rejected; 0x2000+ ignored', () => {
  const { rf, take } = recorder();
  send(rf, 0, ud(2, 1, { data: 'no options' }));
  send(rf, 0, ud(3, 1, { data: 'x', options: { userMetadata: enc('TC'), otherOptions: [{ type: 0x15, value: new Uint8Array(1) }] } }));
  send(rf, 0, ud(4, 1, { data: 'y', options: { userMetadata: enc('TC'), otherOptions: [{ type: 0x2001, value: new Uint8Array(1) }] } }));
  assert.equal(take().map((e) => (e.kind === 'rejected' ? `${e.flowId}:${e.reason}` : `${e.kind}:${e.flowId}`)), [
    '2:no-metadata',
    '3:unknown-option',
    'flow:4',
    'message:4',
  ]);
});

test('flow cap per session: the extra flow is rejected; room again after a flow completes', () => {
  const { rf, take } = recorder({ maxFlows: 2 });
  send(rf, 0, first(2, 1, 'a'), first(3, 1, 'b'), first(4, 1, 'c'));
  assert.equal(take().filter((e) => e.kind === 'rejected'), [{ kind: 'rejected', flowId: 4, code: 0, reason: 'flow-limit' }]);
  assert.is(rf.stats.openFlows, 2);
  const out = writeAcks(rf, 0);
  assert.equal(out.chunks.map((c) => `${c.type.toString(16)}:${(c as { flowId: number }).flowId}`), ['5e:4', '51:4', '51:2', '51:3']);
  send(rf, 10, ud(2, 2, { data: '', final: true, fsn: 1 }));
  assert.is(rf.stats.openFlows, 1);
  send(rf, 20, first(6, 1, 'd'));
  assert.equal(rf.flow(6)?.state, 'open');
});

test('owner reject(): buffered data dropped, exception and ack; from a callback, later messages withheld', () => {
  const { rf, take } = recorder();
  send(rf, 0, first(2, 1, 'a'), ud(2, 3, { fra: FragmentControl.Begin, data: 'held' }));
  take();
  assert.ok(rf.reject(2, 5));
  assert.is(rf.reassembler.stats().poolBlocksUsed, 0, 'buffer released');
  assert.equal(take(), [{ kind: 'rejected', flowId: 2, code: 0, reason: 'owner' }]);
  const out = writeAcks(rf, 5);
  assert.equal(out.exceptions.length, 1);
  assert.equal(out.acks, [ackOf(2, 1, 38, [[3, 3]])]);
  assert.not.ok(rf.reject(2, 6), 'already rejected');

  const seen: string[] = [];
  const rf2 = new ReceiveFlows({
    reassembly: { maxFlows: 4, poolBytes: 16 * 1200, flowBufferBytes: 8 * 1200, maxFragmentsPerMessage: 4, windowSequences: 64 },
    handler: {
      onMessage: (f, m) => {
        seen.push(new TextDecoder().decode(m));
        rf2.reject(f.flowId, 0, 3);
        assert.throws(() => rf2.onUserData([], 0), (e: unknown) => e instanceof ReceiveFlowError && e.code === 'ERR_RECEIVE_FLOW_REENTRANT');
      },
    },
  });
  send(rf2, 0, first(2, 1, 'one'), nud({ data: 'two' }), nud({ data: 'three' }));
  assert.equal(seen, ['one']);
  assert.equal(rf2.flow(2)?.state, 'rejected');
  assert.equal(writeAcks(rf2, 0).exceptions, [{ type: ChunkType.FlowExceptionReport, flowId: 2, exceptionCode: 3 }]);
});

test('over the flow buffer cap: refused, not acked; accepted when retransmitted after the holes fill', () => {
  const { rf, messages } = recorder({ reassembly: { maxFlows: 2, maxFragmentBytes: 1024, flowBufferBytes: 4096, poolBytes: 16384, maxFragmentsPerMessage: 2, windowSequences: 64 } });
  send(rf, 0, first(2, 1, 'a'), ud(2, 3, { data: 'c' }), ud(2, 5, { data: 'e' }), ud(2, 7, { data: 'g' }));
  assert.is(rf.stats.refusedCapacity, 1, '7 needs a 3rd block plus a 3rd hole: over 4 blocks');
  assert.equal(writeAcks(rf, 0).acks, [ackOf(2, 1, 0, [[3, 3], [5, 5]])]);
  send(rf, 10, ud(2, 2, { data: 'b' }), nud({ data: 'c' }), nud({ data: 'd' }));
  send(rf, 20, ud(2, 7, { data: 'g' }), ud(2, 6, { data: 'f' }));
  assert.equal(messages(2), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  assert.equal(writeAcks(rf, 20).acks, [ackOf(2, 7, 4)]);
});

test('session cap over a shared reassembler: out-of-order data beyond it refused, in-order passes', () => {
  const shared = createReassembler('reference', { maxFlows: 8, maxFragmentBytes: 1024, poolBytes: 64 * 1024, flowBufferBytes: 32 * 1024, maxFragmentsPerMessage: 8, windowSequences: 256 });
  const got: string[] = [];
  const a = new ReceiveFlows({ reassembler: shared, maxBufferedBytes: 6 * 1024, handler: { onMessage: (_f, m) => got.push(`a${m.length}`) } });
  const b = new ReceiveFlows({ reassembler: shared, handler: { onMessage: (_f, m) => got.push(`b${m.length}`) } });
  send(a, 0, first(2, 1, 'x'), ud(2, 3, { data: 'y' }), ud(2, 5, { data: 'z' }), ud(2, 9, { data: 'w' }));
  assert.is(a.stats.refusedSessionCap, 1, 'counting this packet conservatively, seq 9 would take the reservation to 9 blocks');
  assert.equal(writeAcks(a, 0).acks[0]!.ranges, [{ from: 3, to: 3 }, { from: 5, to: 5 }]);
  send(b, 0, first(2, 1, 'x'), ud(2, 9, { data: 'w' }));
  assert.is(b.stats.refusedSessionCap, 0, 'the other session has no cap of its own');
  send(a, 1, ud(2, 2, { data: 'q' }), nud({ data: 'y' }), nud({ data: 'r' }), nud({ data: 'z' }), nud({ data: 's' }), nud({ data: 't' }));
  assert.is(a.stats.refusedSessionCap, 1, 'in-order data is never refused by the session cap');
  a.close();
  b.close();
  assert.is(shared.stats().openFlows, 0);
});

test('hostile input: counted drops, nothing thrown, nothing acked that was not taken', () => {
  const { rf, messages } = recorder();
  send(rf, 0, first(2, 1, 'a'));
  writeAcks(rf, 0);
  send(rf, 1, ud(2, 1e12, { data: 'far' }));
  assert.is(rf.stats.refusedWindow, 1);
  send(rf, 2, ud(2, 2, { data: '' }), nud({ data: '' }));
  assert.equal(messages(2), ['a', '', ''], 'zero-length fragments are messages');
  const bad: ResolvedUserData[] = [
    { flowId: 2, sequenceNumber: 5, forwardSequenceNumber: 9, chunk: ud(2, 5, { data: 'x' }) }, // FSN above seq
    { flowId: 2, sequenceNumber: 0, forwardSequenceNumber: 0, chunk: ud(2, 0, { data: 'x' }) },
    { flowId: 2, sequenceNumber: 6, forwardSequenceNumber: 0, chunk: ud(2, 6, { data: new Uint8Array(5000) }) },
  ];
  rf.onUserData(bad, 3);
  assert.is(rf.stats.invalid, 3);
  send(rf, 4, ud(2, 5, { data: 'fin', final: true, fsn: 3 }));
  send(rf, 5, ud(2, 9, { data: 'after fin', fsn: 3 }), ud(2, 4, { data: 'second fin', final: true, fsn: 3 }));
  assert.is(rf.stats.invalid, 3 + 2, 'data past FIN and a second FIN on an open flow');
  send(rf, 6, ud(2, 4, { data: 'd', fsn: 3 }));
  assert.equal(rf.flow(2)?.state, 'complete');
  send(rf, 7, ud(2, 10, { data: 'after fin', fsn: 4 }));
  assert.is(rf.stats.parkedRefused, 1, 'and on the lingering flow');
  rf.onPacket([nud({ data: 'orphan' })], 7);
  assert.is(rf.stats.malformed, 1);
  assert.equal(writeAcks(rf, 7).acks, [ackOf(2, 5, 38)]);
});

test('a flood of new flow IDs costs bounded state', () => {
  const { rf } = recorder({ maxParkedFlows: 64 });
  for (let p = 0; p < 250; p++) {
    const chunks = [];
    for (let k = 0; k < 40; k++) {
      const id = 1 + p * 40 + k;
      chunks.push(k % 3 === 0 ? first(id, 1, 'x') : ud(id, 1 + k, { data: 'junk' }));
    }
    send(rf, p, ...chunks);
  }
  assert.ok(rf.stats.openFlows <= 8);
  assert.ok(rf.stats.parkedFlows <= 64);
  assert.is([...rf.allFlows()].length, rf.stats.openFlows + rf.stats.parkedFlows);
  assert.ok(rf.policy.pendingCount <= 8 + 64);
  assert.is(rf.stats.records, 10_000);
  assert.ok(rf.stats.parkedEvicted > 9000);
  assert.ok(writeAcks(rf, 300, 65000).written > 0);
});

test('sequence numbers at 2^53 - 1', () => {
  const { rf, messages } = recorder();
  const top = Number.MAX_SAFE_INTEGER;
  // The FSN jump applies, but the window is checked against the cumulative ack before it
  // (reassembler rule): the fragment itself is refused, unacked, and its retransmission lands.
  send(rf, 0, first(2, top, 'edge', undefined, undefined, { fsn: top - 1 }));
  assert.is(rf.stats.refusedWindow, 1);
  send(rf, 1, first(2, top, 'edge', undefined, undefined, { fsn: top - 1 }));
  assert.equal(messages(2), ['edge']);
  assert.equal(writeAcks(rf, 1).acks, [ackOf(2, top, 38)]);
});

test('a message longer than maxFragmentsPerMessage can never complete: the flow is refused (exception, reason message-limit) after what came before it is delivered', () => {
  const { rf, take } = recorder({ reassembly: { maxFlows: 4, poolBytes: 64 * 1200, flowBufferBytes: 32 * 1200, maxFragmentsPerMessage: 4, windowSequences: 256 } });
  send(
    rf,
    0,
    first(2, 1, 'whole'),
    nud({ fra: FragmentControl.Begin, data: 'b' }),
    nud({ fra: FragmentControl.Middle, data: 'm' }),
    nud({ fra: FragmentControl.Middle, data: 'm' }),
    nud({ fra: FragmentControl.Middle, data: 'm' }),
  );
  assert.equal(take(), [
    { kind: 'flow', flowId: 2, metadata: '54430400', association: undefined, order: 'sequence' },
    { kind: 'message', flowId: 2, text: 'whole', first: 1, last: 1 },
  ]);
  assert.equal(rf.flow(2)?.state, 'open', 'four fragments of one message still fit');
  // The fifth fragment of the same message: it can never be reassembled.
  send(rf, 10, ud(2, 6, { fra: FragmentControl.Middle, data: 'm' }));
  assert.is(rf.stats.refusedMessageLimit, 1);
  assert.equal(take(), [{ kind: 'rejected', flowId: 2, code: 0, reason: 'message-limit' }]);
  assert.equal(rf.flow(2)?.state, 'rejected');
  assert.ok(rf.ackDue(10));
  assert.equal(writeAcks(rf, 10).exceptions, [{ type: ChunkType.FlowExceptionReport, flowId: 2, exceptionCode: 0 }]);
});

test.run();
