import type { ArrayPlacer } from '../array-placement.js';
import { WindowError, WindowErrorCode, type RoundOutcome, type WindowArrayName, type WindowArrays, type WindowConfig } from './types.js';

// What the reference and WASM windows share in construction and argument checks. Not
// re-exported: the public surface is the FragmentWindow interface in types.ts.

/**
 * Creates every array of `WindowArrays` on `target`, each where `place` puts it, sized for the
 * config. Both implementations call this from their constructor, so the two cannot differ in
 * which arrays exist or how long they are.
 */
export function placeWindowArrays(target: WindowArrays, c: WindowConfig, place: ArrayPlacer<WindowArrayName>): void {
  const B = c.maxBatch;
  const P = B * (c.pushLimit + 1);
  target.arrivalIds = place(Float64Array, 'arrivalIds', B);
  target.arrivalTimes = place(Float64Array, 'arrivalTimes', B);
  target.arrivalFrom = place(Int32Array, 'arrivalFrom', B);
  target.pushOutIds = place(Float64Array, 'pushOutIds', P);
  target.pushOutNeighbors = place(Int32Array, 'pushOutNeighbors', P);
  target.mapNeighbor = place(Int32Array, 'mapNeighbor', B);
  target.mapTime = place(Float64Array, 'mapTime', B);
  target.mapLastId = place(Float64Array, 'mapLastId', B);
  target.mapOffset = place(Int32Array, 'mapOffset', B);
  target.mapLength = place(Int32Array, 'mapLength', B);
  target.mapBytes = place(Uint8Array, 'mapBytes', c.mapBatchBytes);
  target.pullIds = place(Float64Array, 'pullIds', c.maxPullsPerRound);
  target.pullNeighbors = place(Int32Array, 'pullNeighbors', c.maxPullsPerRound);
  target.maskNeighbors = place(Int32Array, 'maskNeighbors', c.maxNeighbors);
  target.maskValues = place(Int32Array, 'maskValues', c.maxNeighbors);
  target.announceBitmap = place(Uint8Array, 'announceBitmap', c.windowFragments / 8);
}

/** Throws WindowError(ERR_WINDOW_BATCH_LIMIT) unless 0 <= count <= maxBatch (an integer). */
export function checkBatchCount(count: number, maxBatch: number, what: 'arrival' | 'map'): void {
  if (!Number.isInteger(count) || count < 0 || count > maxBatch) {
    throw new WindowError(WindowErrorCode.BatchLimit, `${what} batch of ${count} exceeds ${maxBatch}`);
  }
}

/** The outcome object a window reuses for every round, before the first round. */
export function emptyRoundOutcome(): RoundOutcome {
  return { pullCount: 0, maskCount: 0, announce: false, announceLastId: -1, announceLength: 0, announceTarget: -1 };
}
