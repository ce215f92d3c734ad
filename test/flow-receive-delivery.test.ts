// ReceiveFlows delivery: new flows from their first chunk, in-order / out-of-order / duplicate
// data, fragments, network arrival order (TC RXI), abandonment (FSN jump, ABN), FIN completion,
// linger and forgetting (wire-reference C.1-C.5).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RECEIVE_LINGER_MS } from '../src/flow/receive-flows.js';
import { FragmentControl } from '../src/wire/chunks/user-data.js';
import { ackOf, first, nud, recorder, send, TC_NETWORK, ud, writeAcks } from './flow-receive-support.js';

const { Begin, Middle, End } = FragmentControl;
const KINDS = ['reference', 'wasm'] as const;

for (const kind of KINDS) {
  const t = suite(`flow-receive delivery (${kind})`);

  t('a new flow from its first chunk: metadata, association, order, then in-order messages', () => {
    const { rf, events, take } = recorder({ reassemblerKind: kind });
    send(rf, 0, first(2, 1, 'connect', undefined, 5), nud({ data: 'second' }));
    assert.equal(take(), [
      { kind: 'flow', flowId: 2, metadata: '54430400', association: 5, order: 'sequence' },
      { kind: 'message', flowId: 2, text: 'connect', first: 1, last: 1 },
      { kind: 'message', flowId: 2, text: 'second', first: 2, last: 2 },
    ]);
    send(rf, 10, ud(2, 3, { data: 'third', fsn: 2 }));
    assert.equal(events, [{ kind: 'message', flowId: 2, text: 'third', first: 3, last: 3 }]);
    assert.equal(rf.flow(2)?.state, 'open');
    assert.is(rf.stats.openFlows, 1);
  });

  t('out-of-order fragments are held and delivered in sequence', () => {
    const { rf, take } = recorder({ reassemblerKind: kind });
    send(rf, 0, first(3, 1, 'a'));
    take();
    send(rf, 1, ud(3, 4, { data: 'd' }));
    send(rf, 2, ud(3, 3, { fra: End, data: 'C' }));
    assert.equal(take(), []);
    send(rf, 3, ud(3, 2, { fra: Begin, data: 'B' }));
    assert.equal(take(), [
      { kind: 'message', flowId: 3, text: 'BC', first: 2, last: 3 },
      { kind: 'message', flowId: 3, text: 'd', first: 4, last: 4 },
    ]);
  });

  t('a message in three fragments across packets, with a duplicate of each', () => {
    const { rf, take } = recorder({ reassemblerKind: kind });
    send(rf, 0, first(2, 1, 'one', undefined, undefined, { fra: Begin }));
    send(rf, 1, first(2, 1, 'one', undefined, undefined, { fra: Begin }));
    take();
    send(rf, 2, ud(2, 2, { fra: Middle, data: '-two-' }), ud(2, 2, { fra: Middle, data: '-two-' }));
    assert.equal(take(), []);
    send(rf, 3, ud(2, 3, { fra: End, data: 'three' }));
    send(rf, 4, ud(2, 3, { fra: End, data: 'three' }));
    assert.equal(take(), [{ kind: 'message', flowId: 2, text: 'one-two-three', first: 1, last: 3 }]);
    assert.is(rf.stats.duplicates, 3);
  });

  t('network arrival order when the TC metadata asks for it', () => {
    const { rf, take } = recorder({ reassemblerKind: kind });
    send(rf, 0, ud(4, 3, { data: 'third', options: { userMetadata: TC_NETWORK } }));
    assert.equal(take(), [
      { kind: 'flow', flowId: 4, metadata: '5443050' + '1', association: undefined, order: 'network' },
      { kind: 'message', flowId: 4, text: 'third', first: 3, last: 3 },
    ]);
    send(rf, 1, ud(4, 2, { fra: End, data: 'nd' }));
    send(rf, 2, ud(4, 1, { fra: Begin, data: 'seco' }));
    assert.equal(take(), [{ kind: 'message', flowId: 4, text: 'second', first: 1, last: 2 }]);
  });

  t('the owner can force an order', () => {
    const { rf, take } = recorder({ reassemblerKind: kind }, () => ({ accept: true, order: 'network' }));
    send(rf, 0, first(2, 2, 'late'));
    assert.equal(take().slice(1), [{ kind: 'message', flowId: 2, text: 'late', first: 2, last: 2 }]);
  });

  t('abandonment: an FSN jump gives up a partial message, ABN moves past a gap', () => {
    const { rf, take } = recorder({ reassemblerKind: kind });
    send(rf, 0, first(2, 1, 'x'), nud({ fra: Begin, data: 'part' }));
    take();
    // The sender gave up on 2..4 (FSN 4) and sends 5.
    send(rf, 1, ud(2, 5, { data: 'five', fsn: 4 }));
    assert.equal(take(), [
      { kind: 'abandoned', flowId: 2, first: 2, last: 2, fragments: 1, bytes: 4 },
      { kind: 'message', flowId: 2, text: 'five', first: 5, last: 5 },
    ]);
    // 6 is lost for good: Mona/librtmfp send `10 02 <flow> <seq> 00` (ABN, FSN offset 0, C.1).
    send(rf, 2, ud(2, 7, { data: 'seven', fsn: 5 }));
    assert.equal(take(), []);
    send(rf, 3, ud(2, 6, { abandon: true, fsn: 6 }));
    assert.equal(take(), [{ kind: 'message', flowId: 2, text: 'seven', first: 7, last: 7 }]);
    assert.equal(writeAcks(rf, 4).acks, [ackOf(2, 7, 38)]);
  });

  t('FIN completes the flow; it lingers (late data re-acked, not a new flow) and is then forgotten', () => {
    const { rf, take } = recorder({ reassemblerKind: kind });
    send(rf, 0, first(2, 1, 'a'), nud({ data: 'b' }));
    send(rf, 1, ud(2, 4, { data: '', final: true, fsn: 2 }));
    assert.equal(take().slice(1), [
      { kind: 'message', flowId: 2, text: 'a', first: 1, last: 1 },
      { kind: 'message', flowId: 2, text: 'b', first: 2, last: 2 },
    ]);
    assert.equal(rf.flow(2)?.state, 'open');
    send(rf, 2, ud(2, 3, { data: 'c', fsn: 2 }));
    assert.equal(take(), [
      { kind: 'message', flowId: 2, text: 'c', first: 3, last: 3 },
      { kind: 'message', flowId: 2, text: '', first: 4, last: 4 },
      { kind: 'complete', flowId: 2 },
    ]);
    assert.equal(rf.flow(2)?.state, 'complete');
    assert.is(rf.stats.openFlows, 0);
    assert.is(rf.reassembler.stats().openFlows, 0, 'the reassembler slot is free while lingering');
    assert.ok(rf.ackDue(2), 'completion acks at once');
    assert.equal(writeAcks(rf, 2).acks, [ackOf(2, 4, 38)]);
    // A late retransmission of the first chunk, with its metadata: re-acked, no new flow.
    send(rf, 50_000, first(2, 1, 'a'));
    assert.equal(take(), []);
    assert.ok(rf.ackDue(50_000));
    assert.equal(writeAcks(rf, 50_000).acks, [ackOf(2, 4, 38)]);
    // Data past FIN is refused and not acked.
    send(rf, 50_001, ud(2, 5, { data: 'x' }));
    assert.not.ok(rf.ackDue(60_000));
    assert.is(rf.nextTimeout(), 2 + RECEIVE_LINGER_MS);
    rf.onTimeout(2 + RECEIVE_LINGER_MS - 1);
    assert.ok(rf.flow(2));
    rf.onTimeout(2 + RECEIVE_LINGER_MS);
    assert.is(rf.flow(2), undefined);
    assert.is(rf.nextTimeout(), Infinity);
    // The same flow ID is a new flow now.
    send(rf, 200_000, first(2, 1, 'again'));
    assert.equal(take().map((e) => e.kind), ['flow', 'message']);
  });

  t('several flows interleaved in one packet', () => {
    const { rf, messages } = recorder({ reassemblerKind: kind });
    send(rf, 0, first(2, 1, 'a1'), first(3, 1, 'b1'), ud(2, 2, { data: 'a2' }), nud({ data: 'a3' }), ud(3, 2, { data: 'b2' }));
    assert.equal(messages(2), ['a1', 'a2', 'a3']);
    assert.equal(messages(3), ['b1', 'b2']);
    const out = writeAcks(rf, 200);
    assert.equal(out.acks, [ackOf(2, 3, 38), ackOf(3, 2, 38)]);
  });

  t.run();
}
