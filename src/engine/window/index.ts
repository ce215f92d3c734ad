import type { FragmentsMap } from '../../wire/netgroup/fragments-map.js';
import { ReferenceFragmentWindow } from './reference.js';
import { WindowError, WindowErrorCode, type FragmentWindow, type RoundOutcome, type WindowConfig } from './types.js';
import { WasmFragmentWindow } from './wasm.js';

export * from './types.js';
export { ReferenceFragmentWindow } from './reference.js';
export { WasmFragmentWindow } from './wasm.js';

export type FragmentWindowKind = 'reference' | 'wasm';

/** Creates a window of the given kind (both implement the same rules; see types.ts). */
export function createFragmentWindow(kind: FragmentWindowKind, config: Partial<WindowConfig> = {}): FragmentWindow {
  return kind === 'wasm' ? new WasmFragmentWindow(config) : new ReferenceFragmentWindow(config);
}

/**
 * Bitmap bytes that can matter to a window of `windowFragments` IDs: every ID the map describes
 * lies in [last - 8 * length, last), and only the newest windowFragments IDs can be in the
 * window, so longer bitmaps are cut here without changing any decision.
 */
export function usefulBitmapBytes(windowFragments: number): number {
  return windowFragments / 8 + 1;
}

/**
 * Stages a decoded `22` map at index `i` of the maps batch, copying its bitmap (cut to the useful
 * length) to mapBytes at `offset`. Returns the next free offset. Throws WindowError if the
 * batch or the byte area is full.
 */
export function stageMap(
  w: FragmentWindow,
  i: number,
  neighbor: number,
  time: number,
  map: FragmentsMap,
  offset: number,
): number {
  if (i < 0 || i >= w.config.maxBatch) {
    throw new WindowError(WindowErrorCode.BatchLimit, `map index ${i} outside the batch of ${w.config.maxBatch}`);
  }
  const len = Math.min(map.bitmap.length, usefulBitmapBytes(w.config.windowFragments));
  if (offset < 0 || offset + len > w.mapBytes.length) {
    throw new WindowError(WindowErrorCode.BatchLimit, `map bytes area full (${w.mapBytes.length} bytes)`);
  }
  w.mapBytes.set(map.bitmap.subarray(0, len), offset);
  w.mapNeighbor[i] = neighbor;
  w.mapTime[i] = time;
  w.mapLastId[i] = map.lastFragmentId;
  w.mapOffset[i] = offset;
  w.mapLength[i] = len;
  return offset + len;
}

/** The map a round asked to announce, copied out of the window's output area. */
export function announcedMap(w: FragmentWindow, o: RoundOutcome): FragmentsMap | undefined {
  if (!o.announce) return undefined;
  return { lastFragmentId: o.announceLastId, bitmap: w.announceBitmap.slice(0, o.announceLength) };
}
