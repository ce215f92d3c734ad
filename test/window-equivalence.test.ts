// The WASM window and the TypeScript reference, driven with the same seeded random scenarios
// (neighbors joining and leaving, random maps, arrivals out of order and duplicated, time
// advancing, garbage records), must produce identical outputs and identical state after every step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReferenceFragmentWindow } from '../src/engine/window/reference.js';
import type { FragmentWindow, WindowConfig } from '../src/engine/window/types.js';
import { WasmFragmentWindow } from '../src/engine/window/wasm.js';
import { prng } from './window-support.js';

interface Scenario {
  seed: number;
  steps: number;
  config: Partial<WindowConfig>;
  /** Times on a 50 ms grid, so period boundaries (fetchPeriod, pushPeriod...) are hit exactly. */
  aligned: boolean;
}

function pushOuts(w: FragmentWindow, n: number): unknown {
  return { ids: Array.from(w.pushOutIds.subarray(0, n)), to: Array.from(w.pushOutNeighbors.subarray(0, n)) };
}

function roundView(w: FragmentWindow, now: number): unknown {
  const o = w.round(now);
  return {
    o: { ...o },
    pulls: Array.from(w.pullIds.subarray(0, o.pullCount)),
    pullTo: Array.from(w.pullNeighbors.subarray(0, o.pullCount)),
    masks: Array.from(w.maskValues.subarray(0, o.maskCount)),
    maskTo: Array.from(w.maskNeighbors.subarray(0, o.maskCount)),
    bitmap: Array.from(w.announceBitmap.subarray(0, o.announce ? o.announceLength : 0)),
  };
}

function fullState(w: FragmentWindow): unknown {
  const s = w.stats();
  const held: number[] = [];
  // Integer offsets: near 2^53, id++ would stop advancing.
  const span = s.head - s.base;
  for (let i = -3; i <= span + 3; i++) if (w.holds(s.base + i)) held.push(s.base + i);
  const neighbors = [];
  for (let n = 0; n < w.config.maxNeighbors; n++) {
    const info = w.neighborInfo(n);
    const has: number[] = [];
    if (info.present) for (let i = 0; i <= span; i++) if (w.neighborHolds(n, s.base + i)) has.push(s.base + i);
    neighbors.push({ ...info, has });
  }
  return { s, held, neighbors };
}

function run(sc: Scenario): { rounds: number; pulls: number; pushes: number; masks: number; announces: number } {
  const ref = new ReferenceFragmentWindow(sc.config);
  const wasm = new WasmFragmentWindow(sc.config);
  const both = [ref, wasm];
  const r = prng(sc.seed);
  const C = ref.config.windowFragments;
  const M = ref.config.maxNeighbors;
  let now = r.int(1000);
  let top = r.int(3) === 0 ? 2 ** 40 + r.int(1000) : r.int(100); // IDs above 2^32 too
  const live: number[] = [];
  const tally = { rounds: 0, pulls: 0, pushes: 0, masks: 0, announces: 0 };
  const tick = (t: number): number => (sc.aligned ? Math.ceil(t / 50) * 50 : t);
  const where = (step: number, what: string): string => `seed ${sc.seed} step ${step}: ${what}`;

  for (let step = 0; step < sc.steps; step++) {
    const op = r.int(100);
    if (op < 8) {
      // join (sometimes past the limit: both must refuse)
      const slots: (number | string)[] = [];
      for (const w of both) {
        try {
          slots.push(w.addNeighbor());
        } catch (e) {
          slots.push((e as { code: string }).code);
        }
      }
      assert.equal(slots[1], slots[0], where(step, 'addNeighbor'));
      if (typeof slots[0] === 'number') live.push(slots[0]);
    } else if (op < 12 && live.length > 0) {
      const i = r.int(live.length);
      const n = live[i]!;
      live.splice(i, 1);
      for (const w of both) w.removeNeighbor(n);
    } else if (op < 18 && live.length > 0) {
      const n = r.pick(live);
      const mask = r.int(4) === 0 ? 0xff : 1 << r.int(8) | (r.int(2) ? 1 << r.int(8) : 0);
      for (const w of both) w.setPushRequest(n, mask);
    } else if (op < 50) {
      // a batch of arrivals
      const count = r.int(ref.config.maxBatch + 1);
      now = tick(now + r.int(40));
      if (r.int(10) === 0) top += r.int(C * 2); // occasional jump
      for (let i = 0; i < count; i++) {
        const k = r.int(20);
        let id: number;
        if (k < 12) id = ++top; // in order
        else if (k < 16) id = top - r.int(C + 8); // reordered, duplicates, below the window
        else if (k < 18) id = top + 1 + r.int(8); // slightly ahead
        else if (k === 18) id = r.pick([-1, 1.5, NaN, Infinity, 2 ** 53, top]); // garbage
        else id = Math.max(0, top - r.int(4));
        if (id > top && Number.isSafeInteger(id)) top = id;
        const t = r.int(30) === 0 ? r.pick([NaN, -5, now - 500]) : sc.aligned ? now : now + r.int(5) - 2;
        const from = r.int(4) === 0 ? -1 : r.int(8) === 0 ? r.pick([M, M + 7, -9]) : live.length ? r.pick(live) : -1;
        for (const w of both) {
          w.arrivalIds[i] = id;
          w.arrivalTimes[i] = t;
          w.arrivalFrom[i] = from;
        }
      }
      const a = ref.ingestArrivals(count);
      const b = wasm.ingestArrivals(count);
      assert.is(b, a, where(step, 'push-out count'));
      assert.equal(pushOuts(wasm, b), pushOuts(ref, a), where(step, 'push-out'));
      tally.pushes += a;
    } else if (op < 75) {
      // a batch of neighbor maps
      const count = Math.min(ref.config.maxBatch, 1 + r.int(Math.max(1, live.length * 2)));
      now = tick(now + r.int(30));
      let off = 0;
      for (let i = 0; i < count; i++) {
        const n = live.length && r.int(12) ? r.pick(live) : r.pick([-1, M, 0, 1]);
        const k = r.int(10);
        const last = k < 6 ? top - r.int(8) : k < 8 ? top + r.int(C) : k < 9 ? Math.max(0, top - r.int(3 * C)) : r.pick([0, 2 ** 53 - 1, NaN, -3, 7.5]);
        let len = r.int(C / 8 + 3);
        if (Number.isSafeInteger(last) && last >= 0) len = Math.min(len, Math.ceil(last / 8));
        else len = Math.min(len, 2);
        const density = r.next();
        if (off + len > ref.mapBytes.length) len = 0;
        for (let j = 0; j < len; j++) {
          let byte = 0;
          for (let b = 0; b < 8; b++) if (r.next() < density) byte |= 1 << b;
          ref.mapBytes[off + j] = byte;
          wasm.mapBytes[off + j] = byte;
        }
        const bad = r.int(25) === 0;
        const t = r.int(30) === 0 ? NaN : sc.aligned ? now : now + r.int(3);
        for (const w of both) {
          w.mapNeighbor[i] = n;
          w.mapTime[i] = t;
          w.mapLastId[i] = last;
          w.mapOffset[i] = bad ? ref.mapBytes.length - 1 : off;
          w.mapLength[i] = bad ? 4 : len;
        }
        off += len;
        if (Number.isSafeInteger(last) && last > top && last < 2 ** 52) top = last;
      }
      for (const w of both) w.ingestMaps(count);
    } else {
      now = tick(now + (r.int(4) === 0 ? r.int(6000) : r.int(300)));
      const t = r.int(50) === 0 ? NaN : now;
      const a = roundView(ref, t) as { o: { pullCount: number; maskCount: number; announce: boolean } };
      const b = roundView(wasm, t);
      assert.equal(b, a, where(step, 'round'));
      tally.rounds++;
      tally.pulls += a.o.pullCount;
      tally.masks += a.o.maskCount;
      tally.announces += a.o.announce ? 1 : 0;
    }
    assert.equal(wasm.stats(), ref.stats(), where(step, 'stats'));
    if (step % 16 === 0 || step === sc.steps - 1) {
      assert.equal(fullState(wasm), fullState(ref), where(step, 'state'));
    }
  }
  return tally;
}

const configs: Array<Partial<WindowConfig>> = [
  { windowFragments: 64, maxNeighbors: 8, maxBatch: 48, mapBatchBytes: 2048, maxPullsPerRound: 32 },
  { windowFragments: 128, maxNeighbors: 24, maxBatch: 96, mapBatchBytes: 8192, maxOutstandingPulls: 20, pushLimit: 1 },
  { windowFragments: 512, maxNeighbors: 40, maxBatch: 64, mapBatchBytes: 32768, availabilitySendToAll: true, pushProbe: false },
  {
    windowFragments: 256, maxNeighbors: 6, maxBatch: 32, mapBatchBytes: 4096, pushNeighborLimit: 2,
    fetchPeriod: 300, windowDuration: 2000, relayMargin: 500, pushPeriod: 400, availabilityUpdatePeriod: 0,
  },
];

test('reference and WASM agree on random scenarios', () => {
  const total = { rounds: 0, pulls: 0, pushes: 0, masks: 0, announces: 0 };
  let seed = 1;
  for (let rep = 0; rep < 15; rep++) {
    for (const config of configs) {
      const t = run({ seed: seed++ * 7919, steps: 500, config, aligned: rep % 2 === 1 });
      for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += t[k];
    }
  }
  console.log('  window equivalence tally', JSON.stringify(total));
  // The scenarios must actually exercise every decision, or agreeing proves little.
  assert.ok(total.rounds > 1000, `rounds ${total.rounds}`);
  assert.ok(total.pulls > 1000, `pulls ${total.pulls}`);
  assert.ok(total.pushes > 1000, `pushes ${total.pushes}`);
  assert.ok(total.masks > 200, `masks ${total.masks}`);
  assert.ok(total.announces > 400, `announces ${total.announces}`);
});

test.run();
