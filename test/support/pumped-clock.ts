// A ManualClock driven by the wall clock (every 2 ms it advances by the real time elapsed), so a
// server on it serves real UDP clients, and a test can jump it forward past a deadline at once.
import { ManualClock } from '../../src/time/clock.js';

export class PumpedClock extends ManualClock {
  private last = performance.now();
  private readonly interval: ReturnType<typeof setInterval>;

  constructor() {
    super(1_000_000);
    this.interval = setInterval(() => {
      const t = performance.now();
      const dt = t - this.last;
      this.last = t;
      this.advance(dt);
    }, 2);
  }

  /** Moves the clock `ms` ahead of the wall clock now (timers due meanwhile fire). */
  jump(ms: number): void {
    this.advance(ms);
  }

  stop(): void {
    clearInterval(this.interval);
  }
}
