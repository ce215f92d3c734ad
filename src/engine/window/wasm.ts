import { instantiateWasm } from '../wasm-loader.js';
import {
  resolveWindowConfig,
  WindowError,
  WindowErrorCode,
  type FragmentWindow,
  type NeighborInfo,
  type RoundOutcome,
  type WindowArrays,
  type WindowConfig,
  type WindowStats,
} from './types.js';
import { checkBatchCount, emptyRoundOutcome, placeWindowArrays } from './common.js';

/** Exports of build/wasm/window.wasm (assembly/window/index.ts). */
interface WindowExports extends Record<string, unknown> {
  memory: WebAssembly.Memory;
  init(
    windowFragments: number,
    maxNeighbors: number,
    maxBatch: number,
    mapBatchBytes: number,
    maxPullsPerRound: number,
    pushLimit: number,
    windowDuration: number,
    relayMargin: number,
    fetchPeriod: number,
    pushPeriod: number,
    updatePeriod: number,
    pushNeighborLimit: number,
    maxOutstandingPulls: number,
    flags: number,
  ): number;
  ptr(which: number): number;
  addNeighbor(): number;
  removeNeighbor(slot: number): number;
  setPushRequest(slot: number, mask: number): number;
  ingestArrivals(count: number): number;
  ingestMaps(count: number): number;
  round(now: number): number;
  holds(id: number): number;
  neighborHolds(slot: number, id: number): number;
  writeStats(): void;
  writeNeighborInfo(slot: number): void;
}

/** Indices for `ptr()`, as in assembly/window/index.ts; array areas named as the WindowArrays they back. */
const Area = {
  arrivalIds: 0,
  arrivalTimes: 1,
  arrivalFrom: 2,
  pushOutIds: 3,
  pushOutNeighbors: 4,
  mapNeighbor: 5,
  mapTime: 6,
  mapLastId: 7,
  mapOffset: 8,
  mapLength: 9,
  mapBytes: 10,
  pullIds: 11,
  pullNeighbors: 12,
  maskNeighbors: 13,
  maskValues: 14,
  announceBitmap: 15,
  outcome: 16,
  stats: 17,
  info: 18,
} as const;

/** The typed arrays of the FragmentWindow interface, created by placeWindowArrays. */
export interface WasmFragmentWindow extends Readonly<WindowArrays> {}

/**
 * The fragment window in WebAssembly. Each instance has its own module instance and linear
 * memory, laid out once by `init` (memory never grows afterwards, so the typed-array views
 * stay valid for the life of the object).
 */
export class WasmFragmentWindow implements FragmentWindow {
  readonly kind = 'wasm' as const;
  readonly config: Readonly<WindowConfig>;

  private readonly x: WindowExports;
  private readonly outcomeArea: Float64Array;
  private readonly statsArea: Float64Array;
  private readonly infoArea: Float64Array;
  private readonly outcome: RoundOutcome = emptyRoundOutcome();

  constructor(config: Partial<WindowConfig> = {}, options: { debug?: boolean } = {}) {
    const c = resolveWindowConfig(config);
    this.config = Object.freeze(c);
    const inst = instantiateWasm<WindowExports>('window', { debug: options.debug ?? false });
    const x = (this.x = inst.exports as unknown as WindowExports);
    const flags = (c.availabilitySendToAll ? 1 : 0) | (c.pushProbe ? 2 : 0);
    const rc = x.init(
      c.windowFragments, c.maxNeighbors, c.maxBatch, c.mapBatchBytes, c.maxPullsPerRound, c.pushLimit,
      c.windowDuration, c.relayMargin, c.fetchPeriod, c.pushPeriod, c.availabilityUpdatePeriod,
      c.pushNeighborLimit, c.maxOutstandingPulls, flags,
    );
    if (rc !== 0) throw new WindowError(WindowErrorCode.Config, 'WASM window could not allocate its memory');
    const buf = x.memory.buffer;
    placeWindowArrays(this, c, (type, name, length) => new type(buf, x.ptr(Area[name]), length));
    this.outcomeArea = new Float64Array(buf, x.ptr(Area.outcome), 8);
    this.statsArea = new Float64Array(buf, x.ptr(Area.stats), 16);
    this.infoArea = new Float64Array(buf, x.ptr(Area.info), 8);
  }

  ingestArrivals(count: number): number {
    checkBatchCount(count, this.config.maxBatch, 'arrival');
    return this.x.ingestArrivals(count);
  }

  ingestMaps(count: number): void {
    checkBatchCount(count, this.config.maxBatch, 'map');
    this.x.ingestMaps(count);
  }

  round(now: number): RoundOutcome {
    this.x.round(now);
    const a = this.outcomeArea;
    const o = this.outcome;
    o.pullCount = a[0]!;
    o.maskCount = a[1]!;
    o.announce = a[2] === 1;
    o.announceLastId = a[3]!;
    o.announceLength = a[4]!;
    o.announceTarget = a[5]!;
    return o;
  }

  addNeighbor(): number {
    const n = this.x.addNeighbor();
    if (n < 0) throw new WindowError(WindowErrorCode.NeighborLimit, `all ${this.config.maxNeighbors} neighbor slots are in use`);
    return n;
  }

  private slotArg(slot: number): number {
    // Non-integers would be truncated by the i32 conversion; refuse them like the reference does.
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.config.maxNeighbors) {
      throw new WindowError(WindowErrorCode.BadNeighbor, `no neighbor in slot ${slot}`);
    }
    return slot;
  }

  removeNeighbor(slot: number): void {
    if (this.x.removeNeighbor(this.slotArg(slot)) !== 0) {
      throw new WindowError(WindowErrorCode.BadNeighbor, `no neighbor in slot ${slot}`);
    }
  }

  setPushRequest(slot: number, mask: number): void {
    if (this.x.setPushRequest(this.slotArg(slot), mask & 0xff) !== 0) {
      throw new WindowError(WindowErrorCode.BadNeighbor, `no neighbor in slot ${slot}`);
    }
  }

  holds(id: number): boolean {
    return this.x.holds(id) === 1;
  }

  neighborHolds(slot: number, id: number): boolean {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.config.maxNeighbors) return false;
    return this.x.neighborHolds(slot, id) === 1;
  }

  stats(): WindowStats {
    this.x.writeStats();
    const a = this.statsArea;
    return {
      base: a[0]!,
      head: a[1]!,
      lastHeld: a[2]!,
      held: a[3]!,
      accepted: a[4]!,
      duplicates: a[5]!,
      late: a[6]!,
      evicted: a[7]!,
      missed: a[8]!,
      rejected: a[9]!,
      outstandingPulls: a[10]!,
      neighbors: a[11]!,
    };
  }

  neighborInfo(slot: number): NeighborInfo {
    const ok = Number.isInteger(slot) && slot >= 0 && slot < this.config.maxNeighbors;
    this.x.writeNeighborInfo(ok ? slot : -1);
    const a = this.infoArea;
    return {
      present: a[0] === 1,
      pushInMask: a[1]!,
      pushOutMask: a[2]!,
      latency: a[3]!,
      mapLastId: a[4]!,
      mapTime: a[5]!,
      classMask: a[6]!,
    };
  }
}
