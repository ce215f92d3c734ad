// Hand-written cases for each scheduling rule (wire-reference F.7), with expected outputs worked
// out by hand, run against both the TypeScript reference and the WASM version.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WindowError, WindowErrorCode } from '../src/engine/window/types.js';
import type { FragmentWindowKind } from '../src/engine/window/index.js';
import { arrive, KINDS, make, maps, round } from './window-support.js';

type Case = (kind: FragmentWindowKind) => void;
function both(s: ReturnType<typeof suite>, name: string, fn: Case): void {
  for (const kind of KINDS) s(`${name} [${kind}]`, () => fn(kind));
}

function throwsWindow(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WindowError, `expected WindowError, got ${String(e)}`);
    assert.is((e as WindowError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

// ---------------------------------------------------------------------------------------------
const win = suite('window-rules: sliding window');

both(win, 'IDs older than window + relay margin are dropped, at the boundary and not before', (kind) => {
  const w = make(kind);
  arrive(w, [[1, 0, -1], [2, 0, -1], [3, 0, -1]]);
  arrive(w, [[4, 5000, -1]]);
  // IDs 0..3 entered at clock 0 (0 was never held), 4 at 5000. Limit 8000 + 2000.
  round(w, 10000);
  assert.is(w.stats().base, 0);
  round(w, 10001);
  const s = w.stats();
  assert.is(s.base, 4);
  assert.is(s.head, 4);
  assert.is(s.evicted, 3);
  assert.is(s.missed, 1);
  assert.is(s.held, 1);
  assert.ok(w.holds(4));
  assert.not.ok(w.holds(3));
});

both(win, 'arrivals below the window or older than windowDuration are discarded; IDs going backwards', (kind) => {
  const w = make(kind);
  arrive(w, [[4, 5000, -1]]);
  round(w, 20000); // everything ages out: base 5, window empty
  assert.is(w.stats().base, 5);
  assert.is(w.stats().head, 4);
  arrive(w, [[10, 20000, -1]]); // 5..10 enter at 20000
  arrive(w, [[8, 28000, -1]]); // entered exactly windowDuration ago: accepted
  arrive(w, [[7, 28001, -1]]); // entered 8001 ms ago > windowDuration: late
  arrive(w, [[3, 28000, -1]]); // below base: late
  const s = w.stats();
  assert.is(s.late, 2);
  assert.is(s.accepted, 3);
  assert.ok(w.holds(8));
  assert.not.ok(w.holds(7));
  assert.not.ok(w.holds(3));
});

both(win, 'a jump beyond the ring capacity drops the IDs it pushes out', (kind) => {
  const w = make(kind); // 64 slots
  arrive(w, [[0, 0, -1], [100, 1, -1]]);
  let s = w.stats();
  assert.is(s.base, 37);
  assert.is(s.head, 100);
  assert.is(s.evicted, 1);
  assert.is(s.missed, 0);
  arrive(w, [[36, 2, -1], [37, 2, -1]]);
  s = w.stats();
  assert.is(s.late, 1);
  assert.ok(w.holds(37));
});

both(win, 'duplicates update the per-neighbor latency (lag behind the first copy)', (kind) => {
  const w = make(kind);
  const a = w.addNeighbor();
  const b = w.addNeighbor();
  arrive(w, [[5, 100, a], [5, 140, b], [5, 90, -1]]);
  assert.is(w.stats().duplicates, 2);
  // Start at fetchPeriod (2500); EWMA floor((3 * old + sample) / 4).
  assert.is(w.neighborInfo(a).latency, 1875);
  assert.is(w.neighborInfo(b).latency, 1885);
});

// ---------------------------------------------------------------------------------------------
const push = suite('window-rules: push out');

both(push, 'requesters of the class, not the sender, not holders, at most pushLimit + 1, rotating', (kind) => {
  const w = make(kind);
  for (let i = 0; i < 7; i++) w.addNeighbor();
  for (const n of [0, 1, 2, 4, 5, 6]) w.setPushRequest(n, 0x01);
  w.setPushRequest(3, 0x02);
  assert.equal(arrive(w, [[8, 0, 1]]), [[8, 0], [8, 2], [8, 4], [8, 5], [8, 6]]);
  assert.equal(arrive(w, [[16, 1, -1]]), [[16, 0], [16, 1], [16, 2], [16, 4], [16, 5]]);
  assert.equal(arrive(w, [[24, 2, -1]]), [[24, 6], [24, 0], [24, 1], [24, 2], [24, 4]]);
  assert.equal(arrive(w, [[9, 3, -1]]), [[9, 3]]);
  // Neighbor 0 announces it already has 32: it is skipped. Duplicates are never pushed.
  maps(w, [[0, 4, '20']]);
  assert.equal(arrive(w, [[32, 5, -1], [32, 6, 2]]), [[32, 4], [32, 5], [32, 6], [32, 1], [32, 2]]);
});

both(push, 'pushLimit 0 pushes to exactly one neighbor', (kind) => {
  const w = make(kind, { pushLimit: 0 });
  w.addNeighbor();
  w.addNeighbor();
  w.setPushRequest(0, 0xff);
  w.setPushRequest(1, 0xff);
  assert.equal(arrive(w, [[1, 0, -1], [2, 0, -1], [3, 0, 0]]), [[1, 0], [2, 1], [3, 1]]);
});

// ---------------------------------------------------------------------------------------------
const sub = suite('window-rules: push subscription');

both(sub, 'each uncovered class goes to a holder: lower latency, then fewer classes, then lower slot', (kind) => {
  const w = make(kind);
  const a = w.addNeighbor();
  const b = w.addNeighbor();
  maps(w, [[a, 0, '0bff03'], [b, 0, '1680']]); // a: 1..11 (all classes), b: 22 and 14 (class 6)
  assert.is(w.neighborInfo(a).classMask, 0xff);
  assert.is(w.neighborInfo(b).classMask, 0x40);
  const r = round(w, 0);
  assert.equal(r.masks, [[a, 0xbf], [b, 0x40]]);
  assert.equal(round(w, 1999).masks, []);
  assert.equal(round(w, 2000).masks, []); // probe of class 1: b does not have it
});

both(sub, 'a probe adds a second source, then the slower of the two is dropped', (kind) => {
  const w = make(kind);
  const a = w.addNeighbor();
  const b = w.addNeighbor();
  maps(w, [[a, 0, '0bff03'], [b, 0, '0bff03']]);
  assert.equal(round(w, 0).masks, [[a, 0x55], [b, 0xaa]]);
  // Probe class 1 (covered by b): a gets it too.
  assert.equal(round(w, 2000).masks, [[a, 0x57]]);
  // b delivers 9 (class 1) first, a 50 ms later: a is the slower.
  arrive(w, [[9, 2100, b], [9, 2150, a]]);
  assert.is(w.neighborInfo(b).latency, 1875);
  assert.is(w.neighborInfo(a).latency, 1887);
  // Class 1 stays with b; the probe of class 2 (a's) adds b.
  assert.equal(round(w, 4000).masks, [[a, 0x55], [b, 0xae]]);
  assert.is(w.neighborInfo(a).pushInMask, 0x55);
});

both(sub, 'at most pushNeighborLimit distinct neighbors push to us', (kind) => {
  const w = make(kind, { pushNeighborLimit: 4 });
  for (let i = 0; i < 6; i++) w.addNeighbor();
  // Neighbor k holds only fragment 8 + k (class k).
  maps(w, [0, 1, 2, 3, 4, 5].map((k) => [k, 0, (8 + k).toString(16).padStart(2, '0')] as [number, number, string]));
  assert.equal(round(w, 0).masks, [[0, 1], [1, 2], [2, 4], [3, 8]]);
  w.removeNeighbor(1);
  // Class 1 has no holder left; the freed place goes to neighbor 4 (class 4).
  assert.equal(round(w, 2000).masks, [[4, 0x10]]);
});

both(sub, 'pushProbe off: no second source', (kind) => {
  const w = make(kind, { pushProbe: false });
  const a = w.addNeighbor();
  const b = w.addNeighbor();
  maps(w, [[a, 0, '0bff03'], [b, 0, '0bff03']]);
  assert.equal(round(w, 0).masks, [[a, 0x55], [b, 0xaa]]);
  assert.equal(round(w, 2000).masks, []);
  assert.equal(round(w, 4000).masks, []);
});

// ---------------------------------------------------------------------------------------------
const pull = suite('window-rules: pull');

both(pull, 'announced more than fetchPeriod ago, newest first; re-ask another holder after fetchPeriod', (kind) => {
  const w = make(kind);
  const a = w.addNeighbor();
  maps(w, [[a, 0, '0bff03']]);
  assert.equal(round(w, 2500).pulls, []);
  const ids = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  assert.equal(round(w, 2501).pulls, ids.map((id) => [a, id]));
  assert.is(w.stats().outstandingPulls, 11);
  assert.equal(round(w, 3000).pulls, []);
  const b = w.addNeighbor();
  maps(w, [[b, 3000, '0bff03']]);
  assert.equal(round(w, 5001).pulls, []);
  assert.equal(round(w, 5002).pulls, ids.map((id) => [b, id]));
  arrive(w, [[11, 5100, b]]);
  assert.is(w.stats().outstandingPulls, 10);
  assert.equal(round(w, 7503).pulls, ids.slice(1).map((id) => [a, id]));
  // Past window + relay margin everything is dropped, outstanding pulls included.
  w.removeNeighbor(b);
  assert.equal(round(w, 10004).pulls, []);
  const s = w.stats();
  assert.is(s.outstandingPulls, 0);
  assert.is(s.base, 12);
  assert.is(s.evicted, 1);
  assert.is(s.missed, 11);
});

both(pull, 'holders take turns; no pulls without holders or past windowDuration', (kind) => {
  const w = make(kind);
  const a = w.addNeighbor();
  const b = w.addNeighbor();
  maps(w, [[a, 0, '06'], [b, 0, '061f']]); // a: 6; b: 6 and 5..1
  assert.equal(round(w, 2501).pulls, [[a, 6], [b, 5], [b, 4], [b, 3], [b, 2], [b, 1]]);
  const w2 = make(kind);
  const c = w2.addNeighbor();
  const d = w2.addNeighbor();
  maps(w2, [[c, 0, '061f'], [d, 0, '061f']]);
  assert.equal(round(w2, 2501).pulls, [[c, 6], [d, 5], [c, 4], [d, 3], [c, 2], [d, 1]]);
  // IDs that entered the window more than windowDuration ago are not pulled any more.
  const w3 = make(kind);
  const e = w3.addNeighbor();
  maps(w3, [[e, 0, '061f']]);
  assert.equal(round(w3, 8001).pulls, []);
});

both(pull, 'the outstanding cap holds back new pulls, not re-asks', (kind) => {
  const w = make(kind, { maxOutstandingPulls: 3 });
  const a = w.addNeighbor();
  maps(w, [[a, 0, '0bff03']]);
  assert.equal(round(w, 2501).pulls, [[a, 11], [a, 10], [a, 9]]);
  assert.equal(round(w, 2600).pulls, []);
  arrive(w, [[10, 2700, a]]);
  assert.equal(round(w, 2800).pulls, [[a, 8]]);
  // 11 and 9 time out and are re-asked (same single holder) while the cap is full.
  assert.equal(round(w, 5002).pulls, [[a, 11], [a, 9]]);
  assert.is(w.stats().outstandingPulls, 3);
});

both(pull, 'a neighbor leaving frees its pulls for another holder at once', (kind) => {
  const w = make(kind);
  const a = w.addNeighbor();
  const b = w.addNeighbor();
  maps(w, [[a, 0, '0407'], [b, 0, '0407']]); // both: 4, 3, 2, 1
  assert.equal(round(w, 2501).pulls, [[a, 4], [b, 3], [a, 2], [b, 1]]);
  w.removeNeighbor(a);
  assert.is(w.stats().outstandingPulls, 2);
  assert.equal(round(w, 2600).pulls, [[b, 4], [b, 2]]);
});

// ---------------------------------------------------------------------------------------------
const ann = suite('window-rules: announce');

both(ann, 'our map when the last ID changed, at most every update period, to neighbors in turn', (kind) => {
  const w = make(kind);
  assert.is(round(w, 0).announce, null); // nothing held
  arrive(w, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((id) => [id, 0, -1] as [number, number, number]));
  assert.is(round(w, 0).announce, null); // no neighbor to send it to: kept pending
  const a = w.addNeighbor();
  const b = w.addNeighbor();
  let r = round(w, 0);
  assert.is(r.announce, '0bff03'); // the captured publisher map
  assert.is(r.target, a);
  arrive(w, [[12, 50, -1]]);
  assert.is(round(w, 50).announce, null);
  r = round(w, 100);
  assert.is(r.announce, '0cff07');
  assert.is(r.target, b);
  assert.is(round(w, 300).announce, null); // unchanged
  arrive(w, [[14, 300, -1]]); // 13 missing
  r = round(w, 300);
  assert.is(r.announce, '0efe1f');
  assert.is(r.target, a);
});

both(ann, 'send-to-all targets -1; trailing zero bytes are trimmed', (kind) => {
  const w = make(kind, { availabilitySendToAll: true });
  arrive(w, [[1, 0, -1], [30, 0, -1]]);
  const r = round(w, 0);
  // 30 held, 29..1: only 1 held -> k = 28 -> byte 3 bit 4.
  assert.is(r.announce, '1e00000010');
  assert.is(r.target, -1);
});

// ---------------------------------------------------------------------------------------------
const api = suite('window-rules: API errors');

both(api, 'typed errors for full slots, unknown slots, oversized batches', (kind) => {
  const w = make(kind, { maxNeighbors: 2 });
  assert.is(w.addNeighbor(), 0);
  assert.is(w.addNeighbor(), 1);
  throwsWindow(() => w.addNeighbor(), WindowErrorCode.NeighborLimit);
  w.removeNeighbor(0);
  throwsWindow(() => w.removeNeighbor(0), WindowErrorCode.BadNeighbor);
  throwsWindow(() => w.setPushRequest(5, 1), WindowErrorCode.BadNeighbor);
  throwsWindow(() => w.setPushRequest(0.5, 1), WindowErrorCode.BadNeighbor);
  assert.is(w.addNeighbor(), 0); // lowest free slot
  throwsWindow(() => w.ingestArrivals(65), WindowErrorCode.BatchLimit);
  throwsWindow(() => w.ingestMaps(-1), WindowErrorCode.BatchLimit);
  assert.is(w.neighborInfo(7).present, false);
  assert.is(w.neighborInfo(-3).present, false);
});

both(api, 'config is validated', (kind) => {
  throwsWindow(() => make(kind, { windowFragments: 100 }), WindowErrorCode.Config);
  throwsWindow(() => make(kind, { maxNeighbors: 10000 }), WindowErrorCode.Config);
  throwsWindow(() => make(kind, { pushNeighborLimit: 9 }), WindowErrorCode.Config);
  throwsWindow(() => make(kind, { fetchPeriod: -1 }), WindowErrorCode.Config);
});

win.run();
push.run();
sub.run();
pull.run();
ann.run();
api.run();
