/**
 * Time, deferral and randomness for every protocol state machine. Nothing in `session/`,
 * `flow/`, `stream/`, `flash/`, `server/` or `group/` calls setTimeout, setImmediate,
 * queueMicrotask or randomBytes itself: it asks its Clock. The real thing is `SystemClock`; a
 * `ManualClock` moves only when told, so any scenario (a whole client-server exchange over the
 * virtual network included) runs deterministically without sleeping.
 *
 * Times are milliseconds on a monotonic scale with an arbitrary origin.
 */
import { randomFillSync } from 'node:crypto';
import { EventHeap } from './event-heap.js';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` once at (or soon after) `atMs`. Cancelling an already-fired timer is a no-op. */
  setTimer(atMs: number, fn: () => void): TimerHandle;
  /**
   * Runs `fn` once after the current call stack unwinds and before any timer due later: the
   * protocol's "at the end of this turn" (batched sends, callbacks that must not re-enter).
   */
  defer(fn: () => void): void;
  /**
   * Runs `fn` once on the next turn, after the I/O already waiting: how a sender yields (one
   * coalesced flush per turn) without starving the receive path.
   */
  immediate(fn: () => void): void;
  /** `n` random bytes: cryptographic from SystemClock, seeded and reproducible from ManualClock. */
  random(n: number): Uint8Array;
}

/** performance.now() and setTimeout: the real thing. */
export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }

  /**
   * Node schedules timers against the event loop's cached time, which can lag performance.now(),
   * so a timeout may fire a few ms early by this clock. A timer here never runs before `atMs`
   * (protocol deadlines compare `now >= deadline`): woken early, it waits out the remainder.
   */
  setTimer(atMs: number, fn: () => void): TimerHandle {
    let t: ReturnType<typeof setTimeout>;
    const arm = (): void => {
      t = setTimeout(() => {
        if (this.now() < atMs) arm();
        else fn();
      }, Math.max(0, Math.ceil(atMs - this.now())));
      // Protocol timers must never keep a process alive on their own (a closed endpoint exits).
      t.unref();
    };
    arm();
    return { cancel: () => clearTimeout(t) };
  }

  defer(fn: () => void): void {
    queueMicrotask(fn);
  }

  immediate(fn: () => void): void {
    setImmediate(fn);
  }

  random(n: number): Uint8Array {
    return systemRandom(n);
  }
}

/** A ManualClock timer: pending until it fires or is cancelled. */
class ManualTimer implements TimerHandle {
  /** 0 pending, 1 cancelled, 2 fired. */
  state = 0;
  constructor(
    readonly clock: ManualClock,
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}

  cancel(): void {
    if (this.state !== 0) return;
    this.state = 1;
    this.clock.timerCancelled();
  }
}

/**
 * A clock that only moves when told. `advance` runs every due timer in time order (ties in the
 * order they were set), including timers set by timers, with `now()` equal to each timer's due
 * time while it runs.
 *
 * Timers live in a binary heap keyed by (due time, set order): O(log n) to set and to fire, and
 * O(1) to cancel (the entry is skipped when it surfaces, and the heap is compacted when cancelled
 * entries outnumber live ones), so a simulation with 100,000 timers stays cheap.
 */
/**
 * The SystemClock's random source as a plain function: the default of the handshake's `random`
 * options when no Clock is injected (the Endpoint passes its Clock's).
 */
export function systemRandom(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new EventHeap<ManualTimer>();
  /** Timers neither fired nor cancelled. */
  private live = 0;
  /** Cancelled timers still in the heap. */
  private dead = 0;
  private deferred: (() => void)[] = [];
  private nextTurn: (() => void)[] = [];
  private rng: number;

  /** `seed` fixes the byte stream `random` returns (default 1). */
  constructor(start = 0, seed = 1) {
    this.t = start;
    this.rng = seed >>> 0 || 1;
  }

  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  immediate(fn: () => void): void {
    this.nextTurn.push(fn);
  }

  /**
   * Runs every deferred function (and those they defer), then every `immediate` one, repeatedly,
   * at the current time. An exception is rethrown once the queues are empty (the first one).
   */
  runDeferred(): void {
    let error: { e: unknown } | undefined;
    while (this.deferred.length > 0 || this.nextTurn.length > 0) {
      for (let i = 0; i < this.deferred.length; i++) {
        try {
          this.deferred[i]!();
        } catch (e) {
          error ??= { e };
        }
      }
      this.deferred.length = 0;
      const turn = this.nextTurn;
      this.nextTurn = [];
      for (const fn of turn) {
        try {
          fn();
        } catch (e) {
          error ??= { e };
        }
      }
    }
    if (error) throw error.e;
  }

  /** Deterministic bytes (xorshift32): simulations and tests only, never real keys. */
  random(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let x = this.rng;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    this.rng = x;
    return out;
  }

  now(): number {
    return this.t;
  }

  setTimer(atMs: number, fn: () => void): TimerHandle {
    const timer = new ManualTimer(this, Math.max(atMs, this.t), this.seq++, fn);
    this.timers.push(timer);
    this.live++;
    return timer;
  }

  /** Bookkeeping for ManualTimer.cancel. */
  timerCancelled(): void {
    this.live--;
    this.dead++;
    // Re-armed timers (a deadline pushed out per packet) would otherwise pile up far in the future.
    if (this.dead > 1024 && this.dead > this.live) {
      this.timers.retain((x) => x.state === 0);
      this.dead = 0;
    }
  }

  /** Number of timers not yet fired or cancelled, plus deferred functions not yet run. */
  get pending(): number {
    return this.live + this.deferred.length + this.nextTurn.length;
  }

  /** The due time of the earliest pending timer, or Infinity. */
  nextDue(): number {
    if (this.deferred.length > 0 || this.nextTurn.length > 0) return this.t;
    const top = this.firstLive();
    return top ? top.at : Infinity;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms}`);
    this.advanceTo(this.t + ms);
  }

  advanceTo(target: number): void {
    if (target < this.t) throw new RangeError(`cannot go back from ${this.t} to ${target}`);
    this.runDeferred();
    for (;;) {
      const next = this.firstLive();
      if (!next || next.at > target) break;
      this.timers.pop();
      next.state = 2;
      this.live--;
      this.t = next.at;
      next.fn();
      this.runDeferred();
    }
    this.t = target;
  }

  /** The earliest pending timer, dropping cancelled ones off the top. */
  private firstLive(): ManualTimer | undefined {
    for (;;) {
      const top = this.timers.peek();
      if (!top || top.state === 0) return top;
      this.timers.pop();
      this.dead--;
    }
  }
}
