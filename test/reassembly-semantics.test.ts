// Hand-made cases of the flow receiver semantics (RFC 7016 §3.6.3, wire-reference C.1-C.4),
// expected outputs written by hand, run against both implementations.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Verdict, bufferBlocksAvailable } from '../src/engine/reassembly/index.js';
import { ABN, BEGIN, END, FIN, KINDS, MIDDLE, WHOLE, call, make, ranges, texts } from './reassembly-harness.js';

const A = Verdict.Accepted;

for (const kind of KINDS) {
  const t = suite(`reassembly semantics (${kind})`);

  t('in-order whole messages are delivered at once and advance the ack', () => {
    const r = make(kind);
    const f = r.openFlow();
    const res = call(r, [
      { flow: f, seq: 1, data: 'one' },
      { flow: f, seq: 2, data: 'two' },
    ]);
    assert.equal(res.verdicts, [A, A]);
    assert.equal(texts(res), [[1, 1, 'one'], [2, 2, 'two']]);
    const s = r.flowState(f);
    assert.is(s.cumulativeAck, 2);
    assert.is(s.deliveredThrough, 2);
    assert.is(s.bufferedFragments, 0);
    assert.equal(ranges(r, f), []);
  });

  t('fragments arriving 3,1,2 are joined into one message when the gap fills', () => {
    const r = make(kind);
    const f = r.openFlow();
    let res = call(r, [{ flow: f, seq: 3, flags: END, data: 'ghi' }]);
    assert.equal(res.delivered, []);
    assert.is(r.flowState(f).cumulativeAck, 0);
    assert.equal(ranges(r, f), [[3, 3]]);
    res = call(r, [{ flow: f, seq: 1, flags: BEGIN, data: 'abc' }]);
    assert.equal(res.delivered, []);
    assert.is(r.flowState(f).cumulativeAck, 1);
    assert.equal(ranges(r, f), [[3, 3]]);
    assert.is(r.flowState(f).bufferedFragments, 2);
    assert.is(r.flowState(f).bufferedBytes, 6);
    res = call(r, [{ flow: f, seq: 2, flags: MIDDLE, data: 'def' }]);
    assert.equal(texts(res), [[1, 3, 'abcdefghi']]);
    const s = r.flowState(f);
    assert.is(s.cumulativeAck, 3);
    assert.is(s.bufferedFragments, 0);
    assert.is(r.stats().poolBlocksUsed, 0);
  });

  t('sequence order holds a complete message behind an incomplete one; network order does not', () => {
    const recs = (f: number) => [
      { flow: f, seq: 3, data: 'C' },
      { flow: f, seq: 1, flags: BEGIN, data: 'A1' },
    ];
    const seqR = make(kind);
    const fs = seqR.openFlow('sequence');
    assert.equal(texts(call(seqR, recs(fs))), []);
    assert.equal(texts(call(seqR, [{ flow: fs, seq: 2, flags: END, data: 'A2' }])), [[1, 2, 'A1A2'], [3, 3, 'C']]);

    const netR = make(kind);
    const fn = netR.openFlow('network');
    assert.equal(texts(call(netR, recs(fn))), [[3, 3, 'C']]);
    assert.equal(ranges(netR, fn), [[3, 3]]);
    assert.equal(texts(call(netR, [{ flow: fn, seq: 2, flags: END, data: 'A2' }])), [[1, 2, 'A1A2']]);
    assert.is(netR.flowState(fn).cumulativeAck, 3);
    assert.is(netR.flowState(fn).deliveredThrough, 3);
  });

  t('network order delivers a multi-fragment message beyond a hole as soon as it completes', () => {
    const r = make(kind);
    const f = r.openFlow('network');
    const res = call(r, [
      { flow: f, seq: 6, flags: END, data: 'yz' },
      { flow: f, seq: 4, flags: BEGIN, data: 'w' },
      { flow: f, seq: 5, flags: MIDDLE, data: 'x' },
    ]);
    assert.equal(texts(res), [[4, 6, 'wxyz']]);
    assert.equal(ranges(r, f), [[4, 6]]);
    assert.is(r.flowState(f).cumulativeAck, 0);
    assert.is(r.flowState(f).bufferedFragments, 0);
  });

  t('duplicates are reported and delivered once', () => {
    const r = make(kind);
    const f = r.openFlow();
    const res = call(r, [
      { flow: f, seq: 2, data: 'b' },
      { flow: f, seq: 2, data: 'b' },
      { flow: f, seq: 1, data: 'a' },
      { flow: f, seq: 1, data: 'a' },
    ]);
    assert.equal(res.verdicts, [A, Verdict.Duplicate, A, Verdict.Duplicate]);
    assert.equal(texts(res), [[1, 1, 'a'], [2, 2, 'b']]);
    assert.is(r.flowState(f).duplicates, 2);
  });

  t('an abandoned begin makes the rest of its message an orphan run, reported and dropped', () => {
    const r = make(kind);
    const f = r.openFlow();
    // End arrives before the middle: one orphan run 2..3.
    const res = call(r, [
      { flow: f, seq: 3, flags: END, data: 'zz' },
      { flow: f, seq: 1, flags: BEGIN | ABN },
      { flow: f, seq: 2, flags: MIDDLE, data: 'y' },
      { flow: f, seq: 4, data: 'next' },
    ]);
    assert.equal(res.verdicts, [A, A, A, A]);
    assert.equal(res.abandoned, [{ flow: f, first: 2, last: 3, fragments: 2, bytes: 3 }]);
    assert.equal(texts(res), [[4, 4, 'next']]);
    // In order, each orphan is its own run.
    const r2 = make(kind);
    const g = r2.openFlow();
    const res2 = call(r2, [
      { flow: g, seq: 1, flags: BEGIN | ABN },
      { flow: g, seq: 2, flags: MIDDLE, data: 'y' },
      { flow: g, seq: 3, flags: END, data: 'zz' },
    ]);
    assert.equal(res2.abandoned, [
      { flow: g, first: 2, last: 2, fragments: 1, bytes: 1 },
      { flow: g, first: 3, last: 3, fragments: 1, bytes: 2 },
    ]);
    assert.is(r2.flowState(g).abandonedRuns, 2);
    assert.is(r2.flowState(g).abandonedBytes, 3);
  });

  t('an FSN jump abandons an incomplete message and skips the gap', () => {
    const r = make(kind);
    const f = r.openFlow();
    let res = call(r, [
      { flow: f, seq: 1, flags: BEGIN, data: 'p' },
      { flow: f, seq: 2, flags: MIDDLE, data: 'q' },
    ]);
    assert.equal(res.delivered, []);
    // Fragment 3 (END) was lost; the sender gives up through 4 and sends 5 with fsnOffset 1.
    res = call(r, [{ flow: f, seq: 5, fsn: 4, data: 'five' }]);
    assert.equal(res.abandoned, [{ flow: f, first: 1, last: 2, fragments: 2, bytes: 2 }]);
    assert.equal(texts(res), [[5, 5, 'five']]);
    const s = r.flowState(f);
    assert.is(s.cumulativeAck, 5);
    assert.is(s.forwardSequence, 4);
    // The lost end arriving late is a duplicate: 3 is at or below the FSN.
    res = call(r, [{ flow: f, seq: 3, flags: END, data: 'r' }]);
    assert.equal(res.verdicts, [Verdict.Duplicate]);
    assert.equal(res.delivered, []);
  });

  t("Mona's abandon-through chunk (ABN, fsnOffset 0) gives up on everything up to it", () => {
    const r = make(kind);
    const f = r.openFlow();
    call(r, [{ flow: f, seq: 3, flags: BEGIN, data: 'x' }]);
    const res = call(r, [{ flow: f, seq: 10, fsn: 10, flags: ABN }]);
    assert.equal(res.verdicts, [A]);
    assert.equal(res.abandoned, [{ flow: f, first: 3, last: 3, fragments: 1, bytes: 1 }]);
    const s = r.flowState(f);
    assert.is(s.cumulativeAck, 10);
    assert.is(s.deliveredThrough, 10);
    assert.is(s.bufferedFragments, 0);
  });

  t('FIN: completion, nothing after it, FIN may not move', () => {
    const r = make(kind);
    const f = r.openFlow();
    let res = call(r, [
      { flow: f, seq: 2, flags: WHOLE | FIN, data: 'last' },
      { flow: f, seq: 3, data: 'after' },
      { flow: f, seq: 1, flags: FIN, data: 'fin-again-elsewhere' },
    ]);
    assert.equal(res.verdicts, [A, Verdict.Invalid, Verdict.Invalid]);
    assert.is(r.flowState(f).finalSequence, 2);
    assert.is(r.flowState(f).complete, false);
    res = call(r, [
      { flow: f, seq: 1, data: 'first' },
      { flow: f, seq: 2, flags: FIN, data: 'last' },
    ]);
    assert.equal(res.verdicts, [A, Verdict.Duplicate]);
    assert.equal(texts(res), [[1, 1, 'first'], [2, 2, 'last']]);
    const s = r.flowState(f);
    assert.is(s.complete, true);
    assert.is(s.refusedInvalid, 2);
    // A FIN below a number already received is refused.
    const r2 = make(kind);
    const g = r2.openFlow();
    res = call(r2, [
      { flow: g, seq: 5, data: 'x' },
      { flow: g, seq: 3, flags: FIN },
    ]);
    assert.equal(res.verdicts, [A, Verdict.Invalid]);
    assert.is(r2.flowState(g).finalSequence, -1);
  });

  t('ABN|FIN with no data (Mona closing a writer) completes the flow', () => {
    const r = make(kind);
    const f = r.openFlow();
    const res = call(r, [
      { flow: f, seq: 1, data: 'only' },
      { flow: f, seq: 2, fsn: 1, flags: ABN | FIN },
    ]);
    assert.equal(res.verdicts, [A, A]);
    const s = r.flowState(f);
    assert.is(s.finalSequence, 2);
    assert.is(s.complete, true);
  });

  t('ack ranges list what is held above the cumulative ack', () => {
    const r = make(kind);
    const f = r.openFlow();
    call(r, [
      { flow: f, seq: 1, data: 'a' },
      { flow: f, seq: 3, data: 'c' },
      { flow: f, seq: 4, data: 'd' },
      { flow: f, seq: 7, flags: ABN },
      { flow: f, seq: 9, flags: BEGIN, data: 'i' },
    ]);
    assert.is(r.flowState(f).cumulativeAck, 1);
    assert.equal(ranges(r, f), [[3, 4], [7, 7], [9, 9]]);
    const small = make(kind, { maxAckRanges: 2 });
    const g = small.openFlow();
    call(small, [2, 4, 6, 8].map((seq) => ({ flow: g, seq, data: 'x' })));
    assert.equal(ranges(small, g), [[2, 2], [4, 4]], 'truncated to maxAckRanges');
  });

  t('per-flow cap with hole reservation: gaps below the top keep a block; filling one is never refused', () => {
    // Block = 8 bytes; flow cap 4 blocks. Admission: blocks + gaps below the highest held <= 4.
    const r = make(kind, { maxFragmentBytes: 8, flowBufferBytes: 32, poolBytes: 1024, maxFragmentsPerMessage: 2 });
    const f = r.openFlow();
    // Messages [1,2] [3,4] [5,6] [7,8]; the ends arrive first.
    let res = call(r, [
      { flow: f, seq: 2, flags: END, data: 'b' }, // 1 block + gap {1} = 2
      { flow: f, seq: 4, flags: END, data: 'd' }, // 2 blocks + gaps {1,3} = 4
      { flow: f, seq: 6, flags: END, data: 'f' }, // would be 3 + {1,3,5} = 6
      { flow: f, seq: 5, flags: BEGIN, data: 'e' }, // 3 + {1,3} = 5
    ]);
    assert.equal(res.verdicts, [A, A, Verdict.RefusedCapacity, Verdict.RefusedCapacity]);
    assert.equal(ranges(r, f), [[2, 2], [4, 4]], 'a refused fragment is not in the set');
    assert.is(r.flowState(f).availableBytes, 0);
    assert.is(bufferBlocksAvailable(r.flowState(f)), 0);
    // Filling a gap uses its reserved block.
    res = call(r, [{ flow: f, seq: 1, flags: BEGIN, data: 'a' }]);
    assert.equal(res.verdicts, [A]);
    assert.equal(texts(res), [[1, 2, 'ab']]);
    // Now 1 block (4) + gap {3} = 2: room for two more blocks at the top.
    assert.is(r.flowState(f).availableBytes, 16);
    res = call(r, [
      { flow: f, seq: 6, flags: END, data: 'f' }, // 2 + {3,5} = 4
      { flow: f, seq: 7, flags: BEGIN, data: 'g' }, // 3 + {3,5} = 5
      { flow: f, seq: 3, flags: BEGIN, data: 'c' },
      { flow: f, seq: 5, flags: BEGIN, data: 'e' },
    ]);
    assert.equal(res.verdicts, [A, Verdict.RefusedCapacity, A, A]);
    assert.equal(texts(res), [[3, 4, 'cd'], [5, 6, 'ef']]);
    assert.is(r.flowState(f).refusedCapacity, 3);
    assert.is(r.flowState(f).bufferedFragments, 0);
    assert.is(r.flowState(f).availableBytes, 32);
  });

  t('instance cap: flows share the pool, gaps included; in-order whole messages need no block', () => {
    const r = make(kind, { maxFragmentBytes: 8, flowBufferBytes: 64, poolBytes: 24, maxFragmentsPerMessage: 3 });
    const f = r.openFlow();
    const g = r.openFlow();
    const res = call(r, [
      { flow: f, seq: 2, data: '1' }, // pool: 1 block + gap 1 = 2
      { flow: f, seq: 3, data: '2' }, // 2 + 1 = 3
      { flow: f, seq: 4, data: '3' }, // 3 + 1 = 4 > 3
      { flow: g, seq: 2, data: '4' }, // 3 + g's 1 block + 1 gap = 5 > 3
      { flow: g, seq: 1, data: 'in-order' }, // next in order: delivered from staging
    ]);
    assert.equal(res.verdicts, [A, A, Verdict.RefusedCapacity, Verdict.RefusedCapacity, A]);
    assert.equal(texts(res), [[1, 1, 'in-order']]);
    assert.is(r.stats().poolBlocksUsed, 2);
    assert.is(r.flowState(g).availableBytes, 0);
    r.closeFlow(f);
    assert.is(r.stats().poolBlocksUsed, 0, 'closing a flow frees its blocks');
    assert.is(r.flowState(g).availableBytes, 24, 'and its gaps');
  });

  t('sequence window: a number too far ahead is refused but its FSN applies', () => {
    const r = make(kind, { windowSequences: 8 });
    const f = r.openFlow();
    const res = call(r, [
      { flow: f, seq: 8, data: 'edge' },
      { flow: f, seq: 9, data: 'too far' },
      { flow: f, seq: 30, fsn: 5, data: 'far, with FSN' },
    ]);
    assert.equal(res.verdicts, [A, Verdict.RefusedWindow, Verdict.RefusedWindow]);
    const s = r.flowState(f);
    assert.is(s.cumulativeAck, 5);
    assert.is(s.refusedWindow, 2);
    assert.equal(ranges(r, f), [[8, 8]]);
  });

  t('message length cap refuses the fragment that would make a run too long', () => {
    const r = make(kind, { maxFragmentsPerMessage: 3 });
    const f = r.openFlow();
    const res = call(r, [
      { flow: f, seq: 1, flags: BEGIN, data: 'a' },
      { flow: f, seq: 2, flags: MIDDLE, data: 'b' },
      { flow: f, seq: 4, flags: MIDDLE, data: 'd' },
      { flow: f, seq: 3, flags: MIDDLE, data: 'c' },
      { flow: f, seq: 5, flags: END, data: 'e' },
    ]);
    // 3 would join 1..2 and 4 into a run of 4.
    assert.equal(res.verdicts, [A, A, A, Verdict.RefusedMessageLimit, A]);
    assert.is(r.flowState(f).refusedMessageLimit, 1);
    assert.equal(res.delivered, []);
  });

  t('zero-length fragments: an empty message, an empty begin', () => {
    const r = make(kind);
    const f = r.openFlow();
    const res = call(r, [
      { flow: f, seq: 1 },
      { flow: f, seq: 3, flags: END, data: 'tail' },
      { flow: f, seq: 2, flags: BEGIN },
    ]);
    assert.equal(res.verdicts, [A, A, A]);
    assert.equal(texts(res), [[1, 1, ''], [2, 3, 'tail']]);
  });

  t('a begin followed by a new begin is abandoned once the cumulative ack passes it', () => {
    const r = make(kind);
    const f = r.openFlow();
    const res = call(r, [
      { flow: f, seq: 1, flags: BEGIN, data: 'lost-end' },
      { flow: f, seq: 2, flags: BEGIN, data: 'x' },
      { flow: f, seq: 3, flags: END, data: 'y' },
    ]);
    assert.equal(res.abandoned, [{ flow: f, first: 1, last: 1, fragments: 1, bytes: 8 }]);
    assert.equal(texts(res), [[2, 3, 'xy']]);
  });

  t('delivered views stay valid until the next call', () => {
    const r = make(kind);
    const f = r.openFlow();
    call(r, [{ flow: f, seq: 2, flags: END, data: 'world' }]);
    r.batchFlow[0] = f;
    r.batchSequence[0] = 1;
    r.batchForward[0] = 0;
    r.batchFlags[0] = BEGIN;
    r.batchOffset[0] = 0;
    r.batchLength[0] = 6;
    r.batchData.set(new TextEncoder().encode('hello '), 0);
    const out = r.process(1);
    assert.is(out.delivered, 1);
    const view = r.message(0);
    r.batchData.fill(0); // staging reuse does not disturb the delivery area
    assert.is(new TextDecoder().decode(view), 'hello world');
    assert.throws(() => r.message(1), (e: Error & { code?: string }) => e.code === 'ERR_REASSEMBLY_BAD_FLOW');
  });

  t.run();
}
