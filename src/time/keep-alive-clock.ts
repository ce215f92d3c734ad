/**
 * A SystemClock whose timers keep the process alive. Protocol timers must not (a closed endpoint
 * exits), but some work is the reason the process runs: an FLV file being published is paced on
 * timers, and the process must not exit between two tags.
 */
import { SystemClock, type TimerHandle } from './clock.js';

export class KeepAliveClock extends SystemClock {
  /** Like SystemClock.setTimer (never fires before `atMs`), with a referenced timer. */
  override setTimer(atMs: number, fn: () => void): TimerHandle {
    let t: ReturnType<typeof setTimeout>;
    const arm = (): void => {
      t = setTimeout(() => (this.now() < atMs ? arm() : fn()), Math.max(0, Math.ceil(atMs - this.now())));
    };
    arm();
    return { cancel: () => clearTimeout(t) };
  }
}
