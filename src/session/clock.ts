/**
 * Time for the protocol state machines. Everything in `src/session/` and `src/flow/` reads time
 * from a Clock so tests can drive retransmission, keepalive and congestion timers without
 * sleeping (`ManualClock`), while the endpoint uses `SystemClock`.
 *
 * Times are milliseconds on a monotonic scale with an arbitrary origin.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` once at (or soon after) `atMs`. Cancelling an already-fired timer is a no-op. */
  setTimer(atMs: number, fn: () => void): TimerHandle;
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
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told. `advance` runs every due timer in time order (ties in the
 * order they were set), including timers set by timers, with `now()` equal to each timer's due
 * time while it runs.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(atMs: number, fn: () => void): TimerHandle {
    const timer: ManualTimer = { at: Math.max(atMs, this.t), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of timers not yet fired or cancelled. */
  get pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }

  /** The due time of the earliest pending timer, or Infinity. */
  nextDue(): number {
    let min = Infinity;
    for (const x of this.timers) if (!x.cancelled && x.at < min) min = x.at;
    return min;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms}`);
    this.advanceTo(this.t + ms);
  }

  advanceTo(target: number): void {
    if (target < this.t) throw new RangeError(`cannot go back from ${this.t} to ${target}`);
    for (;;) {
      let next: ManualTimer | undefined;
      for (const x of this.timers) {
        if (x.cancelled || x.at > target) continue;
        if (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq)) next = x;
      }
      if (!next) break;
      next.cancelled = true;
      this.t = next.at;
      next.fn();
    }
    this.timers = this.timers.filter((x) => !x.cancelled);
    this.t = target;
  }
}
