// Hostile input to both window implementations: huge ID jumps, IDs going backwards, maps
// claiming huge ranges, garbage numbers, thousands of neighbors. Expect typed errors or bounded
// work (a CPU-time budget per case), never a trap, a hang, or the two implementations disagreeing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createFragmentWindow, stageMap, type FragmentWindowKind } from '../src/engine/window/index.js';
import { WindowError, WindowErrorCode, WINDOW_LIMITS, type FragmentWindow } from '../src/engine/window/types.js';
import { decodeFragmentsMapMessage, encodeFragmentsMapMessage, MAX_FRAGMENTS_MAP_BITMAP_BYTES } from '../src/wire/netgroup/fragments-map.js';
import { arrive, KINDS, make, maps, round } from './window-support.js';
import { cpuMs } from './support/cpu-time.js';

const MAX = Number.MAX_SAFE_INTEGER;
const s = suite('window-hostile');

/** Runs `fn` within a budget of CPU time (not wall time: a loaded machine must not fail it). */
function timed<T>(budgetMs: number, what: string, fn: () => T): T {
  const t0 = cpuMs();
  const v = fn();
  const dt = cpuMs() - t0;
  assert.ok(dt < budgetMs, `${what} took ${dt.toFixed(0)} ms (budget ${budgetMs})`);
  return v;
}

function pair(config: Parameters<typeof make>[1] = {}): FragmentWindow[] {
  return KINDS.map((k) => make(k, config));
}

s('10,000 neighbors: refused by config, and slots stop at the limit with a typed error', () => {
  for (const kind of KINDS) {
    try {
      createFragmentWindow(kind, { maxNeighbors: 10000 });
      assert.unreachable('accepted 10000 neighbor slots');
    } catch (e) {
      assert.ok(e instanceof WindowError);
      assert.is((e as WindowError).code, WindowErrorCode.Config);
    }
    const w = createFragmentWindow(kind, { maxNeighbors: WINDOW_LIMITS.maxNeighbors, windowFragments: 512, maxBatch: 4096, mapBatchBytes: 4096 * 66 });
    let refused = 0;
    timed(3000, `${kind}: 10,000 joins`, () => {
      for (let i = 0; i < 10000; i++) {
        try {
          w.addNeighbor();
        } catch (e) {
          assert.ok(e instanceof WindowError);
          refused++;
        }
      }
    });
    assert.is(refused, 10000 - WINDOW_LIMITS.maxNeighbors);
    assert.is(w.stats().neighbors, WINDOW_LIMITS.maxNeighbors);
    // Every neighbor announces a full map, then one round: bounded.
    const full = new Uint8Array(64).fill(0xff);
    timed(5000, `${kind}: 4096 maps + rounds`, () => {
      let off = 0;
      for (let n = 0; n < WINDOW_LIMITS.maxNeighbors; n++) {
        off = stageMap(w, n, n, 0, { lastFragmentId: 1000, bitmap: full }, off);
        w.setPushRequest(n, 0xff);
      }
      w.ingestMaps(WINDOW_LIMITS.maxNeighbors);
      round(w, 0);
      const r = round(w, 2501);
      assert.is(r.pulls.length, 300); // the outstanding cap
      // One new fragment with 4096 requesters: still pushLimit + 1 sends.
      assert.is(arrive(w, [[1001, 2600, -1]]).length, 5);
    });
  }
});

s('IDs at and beyond 2^53, NaN, negative, fractional: rejected and counted', () => {
  const ws = pair();
  for (const w of ws) {
    arrive(w, [[-1, 0, -1], [1.5, 0, -1], [NaN, 0, -1], [Infinity, 0, -1], [2 ** 53, 0, -1], [5, NaN, -1], [5, -1, -1], [5, Infinity, -1]]);
    assert.is(w.stats().rejected, 8);
    assert.is(w.stats().accepted, 0);
    round(w, NaN);
    assert.is(w.stats().rejected, 9);
    const a = w.addNeighbor();
    w.mapNeighbor[0] = a;
    w.mapTime[0] = 0;
    w.mapLastId[0] = 2 ** 53;
    w.mapOffset[0] = 0;
    w.mapLength[0] = 0;
    w.mapNeighbor[1] = a;
    w.mapTime[1] = 0;
    w.mapLastId[1] = 5;
    w.mapOffset[1] = w.mapBytes.length - 2;
    w.mapLength[1] = 3; // runs past the staging area
    w.mapNeighbor[2] = 99; // no such slot
    w.mapTime[2] = 0;
    w.mapLastId[2] = 5;
    w.mapOffset[2] = 0;
    w.mapLength[2] = 0;
    w.ingestMaps(3);
    assert.is(w.stats().rejected, 12);
    assert.is(w.stats().head, -1);
  }
});

s('the largest ID and a maximal map: bounded, and the window still works up there', () => {
  const ws = pair({ windowFragments: 4096, mapBatchBytes: 65536 });
  const msg = encodeFragmentsMapMessage({ lastFragmentId: MAX, bitmap: new Uint8Array(MAX_FRAGMENTS_MAP_BITMAP_BYTES).fill(0xff) });
  const map = decodeFragmentsMapMessage(msg);
  const results = ws.map((w) =>
    timed(2000, `${w.kind}: max map`, () => {
      const a = w.addNeighbor();
      arrive(w, [[10, 0, -1]]);
      let off = 0;
      off = stageMap(w, 0, a, 1, map, off);
      w.ingestMaps(1);
      const st = w.stats();
      assert.is(st.head, MAX);
      assert.is(st.base, MAX - 4095);
      assert.is(st.evicted, 1); // fragment 10 was pushed out by the jump
      assert.ok(w.neighborHolds(a, MAX - 4095));
      arrive(w, [[MAX, 2, -1], [MAX - 1, 2, a]]);
      const r = round(w, 2502);
      assert.is(r.pulls.length, 300);
      assert.equal(r.pulls[0], [a, MAX - 2]);
      return { st: w.stats(), r };
    }),
  );
  assert.equal(results[1], results[0]);
});

s('IDs going backwards: everything below the window is late, no state corruption', () => {
  const ws = pair({ windowFragments: 256, maxBatch: 1024 });
  for (const w of ws) {
    timed(2000, `${w.kind}: backwards`, () => {
      for (let start = 10000; start > 0; start -= 1000) {
        const list: Array<[number, number, number]> = [];
        for (let i = 0; i < 1000; i++) list.push([start - i, 1, -1]);
        arrive(w, list);
      }
    });
    const st = w.stats();
    // The first arrival (10000) sets the window [9745, 10000]; 9745..10000 are stored.
    assert.is(st.base, 9745);
    assert.is(st.accepted, 256);
    assert.is(st.late, 10000 - 256);
    assert.is(st.held, 256);
  }
  assert.equal(ws[1]!.stats(), ws[0]!.stats());
});

s('alternating huge jumps: each costs at most one window of work', () => {
  const ws = pair({ windowFragments: 65536, maxBatch: 200 });
  const list: Array<[number, number, number]> = [];
  for (let i = 0; i < 200; i++) list.push([i % 2 ? MAX - 1e6 * (200 - i) : 1e12 + i * 1e9, i, -1]);
  const stats = ws.map((w) => timed(8000, `${w.kind}: jumps`, () => {
    arrive(w, list);
    return w.stats();
  }));
  assert.equal(stats[1], stats[0]);
  assert.ok(stats[0]!.late > 0);
});

s('maps whose bitmaps disagree with their last ID, or come from departed neighbors', () => {
  for (const kind of KINDS as FragmentWindowKind[]) {
    const w = make(kind);
    const a = w.addNeighbor();
    maps(w, [[a, 0, '0bff03']]);
    w.removeNeighbor(a);
    // Slot reuse: the new neighbor does not inherit the old map.
    const b = w.addNeighbor();
    assert.is(b, a);
    assert.not.ok(w.neighborHolds(b, 5));
    assert.equal(round(w, 2501).pulls, []);
    // A map far below the window describes nothing.
    arrive(w, [[500, 3000, -1]]);
    maps(w, [[b, 3000, '0bff03']]);
    assert.is(w.neighborInfo(b).classMask, 0);
    assert.equal(round(w, 6000).pulls, []);
  }
});

s.run();
