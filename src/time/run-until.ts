// Driving a ManualClock from async code. Protocol code under a ManualClock only moves when the
// clock does, but promise continuations (a resolved connect(), an awaited write) run in
// microtasks, which only drain between macrotasks. These helpers alternate the two: yield one
// event-loop turn (every pending continuation runs), check, then move the clock. The simulator,
// the virtual-network tests and anything else that scripts a scenario under virtual time use them.
import { RtmfpError } from '../errors.js';
import type { ManualClock } from './clock.js';

export interface RunOptions {
  /** Most virtual ms one step moves the clock. Default 10. */
  stepMs?: number;
  /** Give up (RtmfpError ERR_RUN_TIMEOUT) after this many virtual ms. Default 60,000. */
  maxMs?: number;
  /**
   * Jump straight to the next due timer when it is nearer than `stepMs` (default true): the same
   * events in fewer turns. With false the clock moves in fixed `stepMs` steps.
   */
  jump?: boolean;
}

/** Error code when `runUntil` / `settle` run out of virtual time. */
export const RUN_TIMEOUT = 'ERR_RUN_TIMEOUT';

const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Moves `clock` until `done()` holds, yielding an event-loop turn between steps. Returns the
 * virtual ms it took. Throws RtmfpError ERR_RUN_TIMEOUT after `maxMs` of virtual time.
 */
export async function runUntil(clock: ManualClock, done: () => boolean, options: RunOptions = {}): Promise<number> {
  const stepMs = options.stepMs ?? 10;
  const maxMs = options.maxMs ?? 60_000;
  const jump = options.jump ?? true;
  if (!(stepMs > 0)) throw new RangeError(`stepMs must be > 0, got ${stepMs}`);
  const start = clock.now();
  const deadline = start + maxMs;
  for (let still = 0; ; ) {
    await turn();
    if (done()) return clock.now() - start;
    const now = clock.now();
    if (now >= deadline) throw new RtmfpError(RUN_TIMEOUT, `condition not met after ${maxMs} virtual ms`);
    let target = Math.min(now + stepMs, deadline);
    if (jump) target = Math.min(target, Math.max(clock.nextDue(), now));
    // A step that moves no time (deferred work, timers due now) must still make progress.
    if (target === now) {
      if (++still > 100_000) throw new RtmfpError(RUN_TIMEOUT, `no progress at virtual time ${now}: work keeps rescheduling itself now`);
    } else {
      still = 0;
    }
    clock.advanceTo(target);
  }
}

/**
 * Moves `clock` until `promise` settles and returns its value (or throws its reason). Same
 * options and timeout as `runUntil`.
 */
export async function settle<T>(clock: ManualClock, promise: PromiseLike<T>, options: RunOptions = {}): Promise<T> {
  let state: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  promise.then(
    (value) => (state = { ok: true, value }),
    (error: unknown) => (state = { ok: false, error }),
  );
  await runUntil(clock, () => state !== undefined, options);
  const s = state!;
  if (!s.ok) throw s.error;
  return s.value;
}
