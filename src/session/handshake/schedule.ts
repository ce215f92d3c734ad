// The startup retransmission schedule (RFC 7016 section 3.5.1; wire-reference B.1, as rtmfp-cpp
// does it): send at once, again after 1 s, and grow the gap by 1.5 s each time, so sends go out
// at 0, 1, 3.5, 7.5, 13, 20, ... seconds after the first. IHello (per candidate address) and
// IIKeying use the same schedule.

export const FIRST_RETRANSMIT_MS = 1000;
export const RETRANSMIT_GROWTH_MS = 1500;

export class RetransmitSchedule {
  /** When the next send is due. */
  nextAt: number;
  private gap: number;
  sends = 0;

  constructor(now: number, firstGapMs = FIRST_RETRANSMIT_MS, private readonly growthMs = RETRANSMIT_GROWTH_MS) {
    this.nextAt = now;
    this.gap = firstGapMs;
  }

  due(now: number): boolean {
    return now >= this.nextAt;
  }

  /** Record a send at `now` and schedule the next one. */
  sent(now: number): void {
    this.sends++;
    // Anchor on the schedule, not on a late `now`, so a slow poll does not stretch every gap; a
    // poll later than a whole gap restarts from `now` rather than sending twice in a row.
    const next = this.nextAt + this.gap;
    this.nextAt = next > now ? next : now + this.gap;
    this.gap += this.growthMs;
  }
}
