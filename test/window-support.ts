// Helpers shared by the window-*.test.ts files: drive a FragmentWindow with plain arrays and
// read its outputs back as plain values, so the tests read like the rules.
import { createFragmentWindow, stageMap, type FragmentWindowKind } from '../src/engine/window/index.js';
import type { FragmentWindow, WindowConfig } from '../src/engine/window/types.js';
import { decodeFragmentsMap } from '../src/wire/netgroup/fragments-map.js';
import { hex, toHex } from './support/vectors.js';
import { xorshift32 } from './support/prng.js';

export const KINDS: FragmentWindowKind[] = ['reference', 'wasm'];

export function make(kind: FragmentWindowKind, config: Partial<WindowConfig> = {}): FragmentWindow {
  return createFragmentWindow(kind, { windowFragments: 64, maxNeighbors: 8, maxBatch: 64, mapBatchBytes: 4096, ...config });
}

/** Arrivals [id, time, from]; returns the push-out records as [id, neighbor]. */
export function arrive(w: FragmentWindow, list: Array<[number, number, number]>): Array<[number, number]> {
  list.forEach(([id, t, from], i) => {
    w.arrivalIds[i] = id;
    w.arrivalTimes[i] = t;
    w.arrivalFrom[i] = from;
  });
  const n = w.ingestArrivals(list.length);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) out.push([w.pushOutIds[i]!, w.pushOutNeighbors[i]!]);
  return out;
}

/** Neighbor maps [neighbor, time, `22` body hex]. */
export function maps(w: FragmentWindow, list: Array<[number, number, string]>): void {
  let off = 0;
  list.forEach(([n, t, body], i) => {
    off = stageMap(w, i, n, t, decodeFragmentsMap(hex(body)), off);
  });
  w.ingestMaps(list.length);
}

export interface RoundView {
  pulls: Array<[number, number]>; // [neighbor, id]
  masks: Array<[number, number]>; // [neighbor, mask]
  announce: string | null; // `22` body hex
  target: number;
}

export function round(w: FragmentWindow, now: number): RoundView {
  const o = w.round(now);
  const pulls: Array<[number, number]> = [];
  for (let i = 0; i < o.pullCount; i++) pulls.push([w.pullNeighbors[i]!, w.pullIds[i]!]);
  const masks: Array<[number, number]> = [];
  for (let i = 0; i < o.maskCount; i++) masks.push([w.maskNeighbors[i]!, w.maskValues[i]!]);
  let announce: string | null = null;
  if (o.announce) {
    const last = o.announceLastId;
    // VLU of the last ID, then the bitmap: the `22` body as it would go on the wire.
    const v: number[] = [];
    let x = last;
    v.unshift(x % 128);
    x = Math.floor(x / 128);
    while (x > 0) {
      v.unshift((x % 128) | 0x80);
      x = Math.floor(x / 128);
    }
    announce = toHex(Uint8Array.from(v)) + toHex(w.announceBitmap.subarray(0, o.announceLength));
  }
  return { pulls, masks, announce, target: o.announceTarget };
}

/** xorshift32: a small seeded PRNG so failures replay. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(a: T[]): T } {
  const next = xorshift32(seed);
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(a: T[]) => a[Math.floor(next() * a.length)]!,
  };
}
