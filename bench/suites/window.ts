import type { Bench } from 'tinybench';
import { ReferenceFragmentWindow } from '../../src/engine/window/reference.js';
import type { FragmentWindow, WindowConfig } from '../../src/engine/window/types.js';
import { WasmFragmentWindow } from '../../src/engine/window/wasm.js';
import { xorshift32 as rng } from '../rng.js';
import type { BenchSuite, SuiteHandle } from '../suite.js';

/**
 * Multicast fragment window scheduling (wire-reference F.7), TypeScript reference vs WASM, for
 * 8 / 32 / 128 neighbors and a 512-fragment window.
 *
 * - `<impl>/round-<n>n`: one 100 ms availability period in steady state: every neighbor's `22`
 *   map ingested (one batch), 10 new fragments ingested (100 fragments/s, about 770 kbit/s; 10 % never pushed, so
 *   pulls happen), then one scheduling round for all neighbors (evictions, push subscription,
 *   pulls, our map). Unit: one period.
 * - `<impl>/arrivals-<n>n`: a batch of 256 arrivals (10 % duplicates) with push-out targets
 *   computed for every neighbor's `23` mask. Unit: one arrival.
 */
const NEIGHBORS = [8, 32, 128] as const;
const WINDOW = 512;
const PERIOD_MS = 100;
const PER_PERIOD = 10;
const MAP_BYTES = WINDOW / 8;

function config(n: number): Partial<WindowConfig> {
  return { windowFragments: WINDOW, maxNeighbors: Math.max(n, 8), maxBatch: 512, mapBatchBytes: n * MAP_BYTES };
}

type Make = (c: Partial<WindowConfig>) => FragmentWindow;
const IMPLS: Array<[string, Make]> = [
  ['reference', (c) => new ReferenceFragmentWindow(c)],
  ['wasm', (c) => new WasmFragmentWindow(c)],
];

/** A window with n neighbors, each with a fixed map bitmap (≈5 % holes) staged at slot n. */
function setupPeriod(make: Make, n: number): () => void {
  const w = make(config(n));
  const r = rng(0xc0ffee + n);
  for (let i = 0; i < n; i++) {
    const slot = w.addNeighbor();
    w.setPushRequest(slot, 1 << (i % 8));
    for (let j = 0; j < MAP_BYTES; j++) {
      let byte = 0xff;
      for (let b = 0; b < 8; b++) if (r() < 0.05) byte &= ~(1 << b);
      w.mapBytes[i * MAP_BYTES + j] = byte;
    }
    w.mapNeighbor[i] = slot;
    w.mapOffset[i] = i * MAP_BYTES;
    w.mapLength[i] = MAP_BYTES;
  }
  const lag = Array.from({ length: n }, () => Math.floor(r() * 4));
  const drop = Array.from({ length: 4096 }, () => r() < 0.1);
  const from = Array.from({ length: 4096 }, () => Math.floor(r() * n));
  let now = 0;
  let top = 1000;
  let k = 0;
  return () => {
    now += PERIOD_MS;
    for (let i = 0; i < n; i++) {
      w.mapTime[i] = now;
      w.mapLastId[i] = top + PER_PERIOD - lag[i]!;
    }
    w.ingestMaps(n);
    let c = 0;
    for (let i = 1; i <= PER_PERIOD; i++) {
      k = (k + 1) & 4095;
      if (drop[k]) continue;
      w.arrivalIds[c] = top + i;
      w.arrivalTimes[c] = now;
      w.arrivalFrom[c] = from[k]!;
      c++;
    }
    w.ingestArrivals(c);
    top += PER_PERIOD;
    w.round(now);
  };
}

function setupArrivals(make: Make, n: number): () => void {
  const w = make(config(n));
  for (let i = 0; i < n; i++) w.setPushRequest(w.addNeighbor(), (1 << (i % 8)) | (1 << ((i + 3) % 8)));
  const r = rng(0xbeef + n);
  const from = Array.from({ length: 256 }, () => Math.floor(r() * n));
  const dup = Array.from({ length: 256 }, () => r() < 0.1);
  let top = 0;
  let now = 0;
  return () => {
    now += 1;
    for (let i = 0; i < 256; i++) {
      w.arrivalIds[i] = dup[i] ? top - 3 : ++top;
      w.arrivalTimes[i] = now;
      w.arrivalFrom[i] = from[i]!;
    }
    w.ingestArrivals(256);
  };
}

const suite: BenchSuite = {
  name: 'window',
  description: `fragment window scheduling, ${WINDOW}-fragment window, ${NEIGHBORS.join('/')} neighbors: 100 ms periods (maps + ${PER_PERIOD} arrivals + round) and arrivals`,
  async register(bench: Bench): Promise<SuiteHandle> {
    const units: Record<string, number> = {};
    for (const n of NEIGHBORS) {
      for (const [label, make] of IMPLS) {
        bench.add(`${label}/round-${n}n`, setupPeriod(make, n));
        units[`${label}/round-${n}n`] = 1;
      }
    }
    for (const n of NEIGHBORS) {
      for (const [label, make] of IMPLS) {
        bench.add(`${label}/arrivals-${n}n`, setupArrivals(make, n));
        units[`${label}/arrivals-${n}n`] = 256;
      }
    }
    return { unitsPerIteration: units };
  },
};

export default suite;
