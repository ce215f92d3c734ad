import { instantiateWasm } from '../wasm-loader.js';
import {
  resolveWindowConfig,
  WindowError,
  WindowErrorCode,
  type FragmentWindow,
  type NeighborInfo,
  type RoundOutcome,
  type WindowConfig,
  type WindowStats,
} from './types.js';

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

/** Indices for `ptr()`, as in assembly/window/index.ts. */
const enum Area {
  ArrIds = 0,
  ArrTimes,
  ArrFrom,
  PushIds,
  PushNb,
  MapNb,
  MapTime,
  MapLast,
  MapOff,
  MapLen,
  MapBytes,
  PullIds,
  PullNb,
  MaskNb,
  MaskVal,
  AnnBits,
  Outcome,
  Stats,
  Info,
}

/**
 * The fragment window in WebAssembly. Each instance has its own module instance and linear
 * memory, laid out once by `init` (memory never grows afterwards, so the typed-array views
 * below stay valid for the life of the object).
 */
export class WasmFragmentWindow implements FragmentWindow {
  readonly kind = 'wasm' as const;
  readonly config: Readonly<WindowConfig>;

  readonly arrivalIds: Float64Array;
  readonly arrivalTimes: Float64Array;
  readonly arrivalFrom: Int32Array;
  readonly pushOutIds: Float64Array;
  readonly pushOutNeighbors: Int32Array;
  readonly mapNeighbor: Int32Array;
  readonly mapTime: Float64Array;
  readonly mapLastId: Float64Array;
  readonly mapOffset: Int32Array;
  readonly mapLength: Int32Array;
  readonly mapBytes: Uint8Array;
  readonly pullIds: Float64Array;
  readonly pullNeighbors: Int32Array;
  readonly maskNeighbors: Int32Array;
  readonly maskValues: Int32Array;
  readonly announceBitmap: Uint8Array;

  private readonly x: WindowExports;
  private readonly outcomeArea: Float64Array;
  private readonly statsArea: Float64Array;
  private readonly infoArea: Float64Array;
  private readonly outcome: RoundOutcome = {
    pullCount: 0,
    maskCount: 0,
    announce: false,
    announceLastId: -1,
    announceLength: 0,
    announceTarget: -1,
  };

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
    const B = c.maxBatch;
    const P = B * (c.pushLimit + 1);
    const f64 = (a: Area, n: number): Float64Array => new Float64Array(buf, x.ptr(a), n);
    const i32 = (a: Area, n: number): Int32Array => new Int32Array(buf, x.ptr(a), n);
    this.arrivalIds = f64(Area.ArrIds, B);
    this.arrivalTimes = f64(Area.ArrTimes, B);
    this.arrivalFrom = i32(Area.ArrFrom, B);
    this.pushOutIds = f64(Area.PushIds, P);
    this.pushOutNeighbors = i32(Area.PushNb, P);
    this.mapNeighbor = i32(Area.MapNb, B);
    this.mapTime = f64(Area.MapTime, B);
    this.mapLastId = f64(Area.MapLast, B);
    this.mapOffset = i32(Area.MapOff, B);
    this.mapLength = i32(Area.MapLen, B);
    this.mapBytes = new Uint8Array(buf, x.ptr(Area.MapBytes), c.mapBatchBytes);
    this.pullIds = f64(Area.PullIds, c.maxPullsPerRound);
    this.pullNeighbors = i32(Area.PullNb, c.maxPullsPerRound);
    this.maskNeighbors = i32(Area.MaskNb, c.maxNeighbors);
    this.maskValues = i32(Area.MaskVal, c.maxNeighbors);
    this.announceBitmap = new Uint8Array(buf, x.ptr(Area.AnnBits), c.windowFragments / 8);
    this.outcomeArea = f64(Area.Outcome, 8);
    this.statsArea = f64(Area.Stats, 16);
    this.infoArea = f64(Area.Info, 8);
  }

  private checkCount(count: number, what: string): void {
    if (!Number.isInteger(count) || count < 0 || count > this.config.maxBatch) {
      throw new WindowError(WindowErrorCode.BatchLimit, `${what} batch of ${count} exceeds ${this.config.maxBatch}`);
    }
  }

  ingestArrivals(count: number): number {
    this.checkCount(count, 'arrival');
    return this.x.ingestArrivals(count);
  }

  ingestMaps(count: number): void {
    this.checkCount(count, 'map');
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
