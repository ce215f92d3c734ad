import { RtmfpError } from '../../errors.js';

/**
 * Multicast fragment window scheduling for one NetGroup multicast stream (wire-reference F.5,
 * F.7): one local member, up to `maxNeighbors` neighbors. Two implementations share this
 * interface: `ReferenceFragmentWindow` (plain TypeScript) and `WasmFragmentWindow`
 * (AssemblyScript in `assembly/window/`). Tests hold them equal.
 *
 * Every decision is a pure function of the state and the times passed in; nothing here reads a
 * clock or sets a timer. Times are milliseconds on the caller's monotonic clock (non-negative
 * safe integers, or any finite non-negative number); fragment IDs are safe integers >= 0.
 *
 * Inputs and outputs go through typed arrays owned by the window (for the WASM version, views
 * of its linear memory), so a batch of arrivals or neighbor maps crosses into WASM in one call.
 */

/** Error codes thrown by the window (subclass of RtmfpError). */
export const WindowErrorCode = {
  Config: 'ERR_WINDOW_CONFIG',
  NeighborLimit: 'ERR_WINDOW_NEIGHBOR_LIMIT',
  BadNeighbor: 'ERR_WINDOW_BAD_NEIGHBOR',
  BatchLimit: 'ERR_WINDOW_BATCH_LIMIT',
} as const;
export type WindowErrorCode = (typeof WindowErrorCode)[keyof typeof WindowErrorCode];

export class WindowError extends RtmfpError {
  constructor(code: WindowErrorCode, message: string) {
    super(code, message);
  }
}

export interface WindowConfig {
  /** Fragments whose ID entered the window longer ago than this are no longer accepted or pulled (F.7, `21` type 03). */
  windowDuration: number;
  /** Extra time held fragments stay for relaying before they are dropped (F.7, not on the wire). */
  relayMargin: number;
  /** A fragment announced this long ago and still missing is pulled; a pull unanswered this long is re-asked (F.7, `21` type 07). */
  fetchPeriod: number;
  /** How often the push subscription is revised (librtmfp: every 2 s, F.7). */
  pushPeriod: number;
  /** Minimum gap between two announced fragments maps (F.7, `21` type 05). */
  availabilityUpdatePeriod: number;
  /** Distinct neighbors allowed to push to us (`multicastPushNeighborLimit`, default 4). */
  pushNeighborLimit: number;
  /** A new fragment is pushed to at most pushLimit + 1 neighbors (librtmfp, F.7). */
  pushLimit: number;
  /** No new pulls are issued while this many are outstanding (librtmfp ends the session above 300 for 30 s, F.7). */
  maxOutstandingPulls: number;
  /** Capacity of the pull output of one round. */
  maxPullsPerRound: number;
  /** Neighbor slots. */
  maxNeighbors: number;
  /** Window capacity in fragment IDs; a power of two. */
  windowFragments: number;
  /** Capacity of one arrivals or maps batch. */
  maxBatch: number;
  /** Capacity in bytes of the staging area for the bitmaps of one maps batch. */
  mapBatchBytes: number;
  /** Announce our map to every neighbor instead of one in rotation (`21` type 06). */
  availabilitySendToAll: boolean;
  /**
   * Each push period, also ask a second neighbor for one already-covered class (rotating),
   * so the faster of the two can be kept next period (librtmfp sets one more bit every 2 s).
   */
  pushProbe: boolean;
}

/**
 * Hard limits, and why:
 * - maxNeighbors 4096: every round scans the neighbor slots and each slot carries a bitset of
 *   windowFragments bits. librtmfp's best list is log2(N)+13 peers (F.8), about 45 for a billion
 *   members, so thousands of neighbors can only be an attack or a bug.
 * - windowFragments 65536: 10 s (window + relay margin) of 959-byte fragments at about 50 Mbit/s;
 *   per-neighbor state is windowFragments / 8 bytes.
 * - maxBatch 65536 and mapBatchBytes 16 MiB: bound the staging memory of one call.
 * - pushLimit 64, pushNeighborLimit 8 (there are only 8 push classes, F.5 `23`).
 */
export const WINDOW_LIMITS = {
  maxNeighbors: 4096,
  windowFragments: 65536,
  maxBatch: 65536,
  mapBatchBytes: 16 * 1024 * 1024,
  pushLimit: 64,
  pushNeighborLimit: 8,
  maxPullsPerRound: 65536,
  maxOutstandingPulls: 65536,
  /** Times and periods: at most 2^53 - 1 (exact in a double). */
  maxTime: Number.MAX_SAFE_INTEGER,
} as const;

/** librtmfp's defaults (wire-reference F.7); window sized for about 3 Mbit/s over 10 s. */
export const DEFAULT_WINDOW_CONFIG: Readonly<WindowConfig> = Object.freeze({
  windowDuration: 8000,
  relayMargin: 2000,
  fetchPeriod: 2500,
  pushPeriod: 2000,
  availabilityUpdatePeriod: 100,
  pushNeighborLimit: 4,
  pushLimit: 4,
  maxOutstandingPulls: 300,
  maxPullsPerRound: 512,
  maxNeighbors: 256,
  windowFragments: 4096,
  maxBatch: 1024,
  mapBatchBytes: 256 * 1024,
  availabilitySendToAll: false,
  pushProbe: true,
});

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new WindowError(WindowErrorCode.Config, `${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
}

/** Fills defaults and validates; throws WindowError(ERR_WINDOW_CONFIG). */
export function resolveWindowConfig(partial: Partial<WindowConfig> = {}): WindowConfig {
  const c: WindowConfig = { ...DEFAULT_WINDOW_CONFIG, ...partial };
  const T = WINDOW_LIMITS.maxTime;
  checkInt('windowDuration', c.windowDuration, 0, T);
  checkInt('relayMargin', c.relayMargin, 0, T);
  checkInt('fetchPeriod', c.fetchPeriod, 0, T);
  checkInt('pushPeriod', c.pushPeriod, 0, T);
  checkInt('availabilityUpdatePeriod', c.availabilityUpdatePeriod, 0, T);
  checkInt('pushNeighborLimit', c.pushNeighborLimit, 0, WINDOW_LIMITS.pushNeighborLimit);
  checkInt('pushLimit', c.pushLimit, 0, WINDOW_LIMITS.pushLimit);
  checkInt('maxOutstandingPulls', c.maxOutstandingPulls, 0, WINDOW_LIMITS.maxOutstandingPulls);
  checkInt('maxPullsPerRound', c.maxPullsPerRound, 1, WINDOW_LIMITS.maxPullsPerRound);
  checkInt('maxNeighbors', c.maxNeighbors, 1, WINDOW_LIMITS.maxNeighbors);
  checkInt('windowFragments', c.windowFragments, 64, WINDOW_LIMITS.windowFragments);
  if ((c.windowFragments & (c.windowFragments - 1)) !== 0) {
    throw new WindowError(WindowErrorCode.Config, `windowFragments must be a power of two, got ${c.windowFragments}`);
  }
  checkInt('maxBatch', c.maxBatch, 1, WINDOW_LIMITS.maxBatch);
  checkInt('mapBatchBytes', c.mapBatchBytes, 1, WINDOW_LIMITS.mapBatchBytes);
  if (c.windowDuration + c.relayMargin > T) {
    throw new WindowError(WindowErrorCode.Config, 'windowDuration + relayMargin too large');
  }
  return c;
}

/** Cumulative counters and window bounds. */
export interface WindowStats {
  /** Lowest fragment ID still in the window. */
  base: number;
  /** Highest fragment ID known (held or announced); base - 1 when the window is empty. */
  head: number;
  /** Highest fragment ID held, or -1. */
  lastHeld: number;
  /** Fragments held now. */
  held: number;
  /** Arrivals stored (first copy of a fragment). */
  accepted: number;
  /** Arrivals of a fragment already held. */
  duplicates: number;
  /** Arrivals below the window or older than windowDuration (discarded, F.7). */
  late: number;
  /** Held fragments that fell out of the window. */
  evicted: number;
  /** IDs that fell out of the window without ever being held. */
  missed: number;
  /** Batch records refused as malformed (bad ID, time, neighbor slot or bitmap range). */
  rejected: number;
  /** Pulls sent and not yet answered. */
  outstandingPulls: number;
  /** Neighbors present. */
  neighbors: number;
}

export interface NeighborInfo {
  present: boolean;
  /** Classes (bit k = id mod 8 == k) we asked this neighbor to push to us (our `23`). */
  pushInMask: number;
  /** Classes this neighbor asked us to push to it (its `23`). */
  pushOutMask: number;
  /** Smoothed lag (ms) of its deliveries behind the first copy of the same fragment. */
  latency: number;
  /** Last fragment ID of its latest map, or -1. */
  mapLastId: number;
  /** When its latest map was ingested, or -1. */
  mapTime: number;
  /** Classes present in its latest map, within our window at the time. */
  classMask: number;
}

/** What one scheduling round produced; the arrays are the window's output views. */
export interface RoundOutcome {
  /** Pull requests (`2b`) to send: pullNeighbors[i] gets a request for pullIds[i], newest first. */
  pullCount: number;
  /** Push masks (`23`) to send: maskNeighbors[i] gets maskValues[i]. */
  maskCount: number;
  /** Whether a fragments map (`22`) should be announced: lastId announceLastId, bitmap announceBitmap[0..announceLength). */
  announce: boolean;
  announceLastId: number;
  announceLength: number;
  /** Neighbor slot to send the map to, or -1 for all (availabilitySendToAll). */
  announceTarget: number;
}

/**
 * The typed arrays of a window: staging for arrivals and neighbor maps in, per-call results out.
 * Owned by the window (views of WASM memory for the WASM version).
 */
export interface WindowArrays {
  /** Arrival staging: fill [0, count) then call ingestArrivals(count). from = neighbor slot or -1. */
  arrivalIds: Float64Array;
  arrivalTimes: Float64Array;
  arrivalFrom: Int32Array;
  /** Output of ingestArrivals: fragment pushOutIds[i] goes to neighbor pushOutNeighbors[i]. */
  pushOutIds: Float64Array;
  pushOutNeighbors: Int32Array;

  /**
   * Neighbor map staging (decoded `22` bodies): map i is from neighbor mapNeighbor[i] at
   * mapTime[i], last fragment mapLastId[i], bitmap mapBytes[mapOffset[i] .. + mapLength[i]).
   */
  mapNeighbor: Int32Array;
  mapTime: Float64Array;
  mapLastId: Float64Array;
  mapOffset: Int32Array;
  mapLength: Int32Array;
  mapBytes: Uint8Array;

  /** Outputs of round(); see RoundOutcome. */
  pullIds: Float64Array;
  pullNeighbors: Int32Array;
  maskNeighbors: Int32Array;
  maskValues: Int32Array;
  announceBitmap: Uint8Array;
}

export type WindowArrayName = keyof WindowArrays;

export interface FragmentWindow extends Readonly<WindowArrays> {
  readonly kind: 'reference' | 'wasm';
  readonly config: Readonly<WindowConfig>;

  /**
   * Ingests arrivals [0, count) of the arrival staging in order. For each new fragment, the
   * neighbors to push it to are written to pushOutIds / pushOutNeighbors (at most pushLimit + 1
   * per fragment). Returns how many.
   */
  ingestArrivals(count: number): number;

  /** Ingests maps [0, count) of the neighbor map staging. */
  ingestMaps(count: number): void;

  /** One scheduling round at `now` for all neighbors: evictions, push subscription, pulls, announce. */
  round(now: number): RoundOutcome;

  /** Takes the lowest free neighbor slot; throws WindowError(ERR_WINDOW_NEIGHBOR_LIMIT) when full. */
  addNeighbor(): number;
  /** Frees a slot; its outstanding pulls are forgotten so the next round asks another holder. */
  removeNeighbor(slot: number): void;
  /** Records a neighbor's `23` push request (what it wants us to push to it). */
  setPushRequest(slot: number, mask: number): void;

  /** Whether we hold fragment `id` (false outside the window). */
  holds(id: number): boolean;
  /** Whether neighbor `slot`'s latest map says it holds `id` (within our window). */
  neighborHolds(slot: number, id: number): boolean;
  stats(): WindowStats;
  neighborInfo(slot: number): NeighborInfo;
}
