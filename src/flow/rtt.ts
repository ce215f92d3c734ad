// Round-trip time estimation and the 16-bit packet timestamps it is measured with
// (RFC 7016 sections 2.2.4 and 3.5.2.2; wire-reference A.4, B.3). Pure: every method takes `now`
// in milliseconds on the session's monotonic clock (src/session/clock.ts).

/** The header timestamp counts 4 ms ticks (250 Hz) modulo 65536 (A.4). */
export const TIMESTAMP_TICK_MS = 4;
/** ERTO before any RTT sample: 3 s (A.4; rtmfp-cpp INITIAL_ERTO). */
export const INITIAL_ERTO_MS = 3000;
/** MRTO before any RTT sample: 250 ms (rtmfp-cpp INITIAL_MRTO); only the backoff floor uses it. */
export const INITIAL_MRTO_MS = 250;
/** ERTO floor: 250 ms (A.4; rtmfp-cpp MINIMUM_ERTO). */
export const MINIMUM_ERTO_MS = 250;
/** MRTO adds the receiver's largest ack delay, 200 ms (A.4, C.3; RFC 7016 section 3.6.3.4.1). */
export const ACK_DELAY_ALLOWANCE_MS = 200;
/**
 * ERTO doubles on each retransmission timeout (RFC 7016 3.5.2.2, as RFC 6298 5.5), until a new
 * RTT sample recomputes it. rtmfp-cpp backs off by x sqrt(2) (B.3); doubling quiets a dead peer
 * sooner and costs a live one nothing (its next ack brings a sample).
 */
export const ERTO_BACKOFF_FACTOR = 2;
/** ...capped at 10 s (B.3; rtmfp-cpp MAX_ERTO). */
export const MAX_ERTO_MS = 10_000;
/** Stop echoing a timestamp 128 s after it arrived (A.4; rtmfp-cpp MAX_TS_ECHO_ELAPSED). */
export const MAX_TIMESTAMP_ECHO_AGE_MS = 128_000;
/** An echo is a valid RTT sample only if under half the 16-bit tick space (A.4). */
export const MAX_ECHO_RTT_TICKS = 32768;

/**
 * SRTT / RTTVAR with the TCP weights (1/8, 1/4), MRTO = SRTT + 4*RTTVAR + 200 ms and
 * ERTO = max(MRTO, 250 ms) (A.4). Times in milliseconds.
 */
export class RttEstimator {
  private _srtt = -1;
  private _rttvar = 0;
  /** Minimum retransmission timeout (A.4). */
  mrto = INITIAL_MRTO_MS;
  /** Effective retransmission timeout: what retransmission timers use. */
  erto = INITIAL_ERTO_MS;
  /** Most recent sample (ms), or -1. */
  lastRtt = -1;
  /** `now` of the most recent sample, or -Infinity. */
  lastSampleAt = -Infinity;
  /** Samples taken from timestamp echoes. */
  echoSamples = 0;
  /** Samples taken from acks of never-retransmitted fragments. */
  ackSamples = 0;
  /** Times ERTO was backed off. */
  backoffs = 0;

  /** Smoothed RTT in ms, or undefined before the first sample. */
  get srtt(): number | undefined {
    return this._srtt < 0 ? undefined : this._srtt;
  }

  get rttvar(): number | undefined {
    return this._srtt < 0 ? undefined : this._rttvar;
  }

  get samples(): number {
    return this.echoSamples + this.ackSamples;
  }

  /**
   * Folds in one RTT measurement (ms). `source` only feeds the counters. Negative or
   * non-finite samples are ignored (a confused clock must not poison SRTT).
   */
  addSample(rttMs: number, now: number, source: 'echo' | 'ack' = 'echo'): void {
    if (!(rttMs >= 0) || !Number.isFinite(rttMs)) return;
    if (this._srtt < 0) {
      // First sample: RTTVAR = R/2 as in TCP (RFC 6298 section 2.2), which rtmfp-cpp follows.
      this._srtt = rttMs;
      this._rttvar = rttMs / 2;
    } else {
      this._rttvar = (3 * this._rttvar + Math.abs(this._srtt - rttMs)) / 4;
      this._srtt = (7 * this._srtt + rttMs) / 8;
    }
    this.mrto = this._srtt + 4 * this._rttvar + ACK_DELAY_ALLOWANCE_MS;
    this.erto = Math.max(this.mrto, MINIMUM_ERTO_MS);
    this.lastRtt = rttMs;
    this.lastSampleAt = now;
    if (source === 'echo') this.echoSamples++;
    else this.ackSamples++;
  }

  /**
   * Retransmission timeout backoff: ERTO x 2, capped at 10 s but never below MRTO.
   * Returns the new ERTO.
   */
  backoff(): number {
    this.erto = Math.max(Math.min(this.erto * ERTO_BACKOFF_FACTOR, MAX_ERTO_MS), this.mrto);
    this.backoffs++;
    return this.erto;
  }
}

/** The timestamp fields a packet header may carry (src/wire/packet.ts PacketHeader). */
export interface TimestampFields {
  timestamp?: number;
  timestampEcho?: number;
}

/**
 * The TS / TSE bookkeeping of one session (A.4): what to put in the next packet, and the RTT
 * sample an arriving echo gives. TS in every packet: RFC 7016 2.2.4 makes it optional, but
 * librtmfp discards packets without it and Flash-era peers always send it (product.md), so
 * rtmfp-cpp's "only when the tick changed" is not followed. TSE as RFC 7016 3.5.2.1 and
 * rtmfp-cpp: only when there is something new to echo, echo = last received timestamp plus the
 * ticks elapsed since it first arrived, no echo 128 s after the last timestamp arrived.
 */
export class PacketTimestamps {
  /** Clock origin of tick 0 (any origin works, A.4). */
  readonly originMs: number;
  private lastEchoSent = -1;
  private timestampReceived = -1;
  private timestampReceivedAt = -Infinity;
  private lastEchoReceived = -1;

  constructor(originMs = 0) {
    this.originMs = originMs;
  }

  /** Our clock in ticks modulo 65536. */
  timestampAt(now: number): number {
    return Math.floor((now - this.originMs) / TIMESTAMP_TICK_MS) & 0xffff;
  }

  /** TS for a packet sent at `now`: always present (see the class comment). */
  timestampFor(now: number): number {
    return this.timestampAt(now);
  }

  /** TSE for a packet sent at `now`, or undefined when there is nothing (new) to echo. */
  timestampEchoFor(now: number): number | undefined {
    if (this.timestampReceived < 0) return undefined;
    const elapsed = now - this.timestampReceivedAt;
    if (elapsed > MAX_TIMESTAMP_ECHO_AGE_MS) {
      this.timestampReceived = -1;
      this.lastEchoSent = -1;
      return undefined;
    }
    const echo = (this.timestampReceived + Math.floor(Math.max(0, elapsed) / TIMESTAMP_TICK_MS)) & 0xffff;
    return echo !== this.lastEchoSent ? echo : undefined;
  }

  /** Both fields for a packet about to be built at `now` (commit with onSent once it is sent). */
  fieldsFor(now: number): TimestampFields {
    const out: TimestampFields = { timestamp: this.timestampFor(now) };
    const tse = this.timestampEchoFor(now);
    if (tse !== undefined) out.timestampEcho = tse;
    return out;
  }

  /** Records the TS / TSE a packet actually carried. */
  onSent(fields: TimestampFields): void {
    if (fields.timestampEcho !== undefined) this.lastEchoSent = fields.timestampEcho;
  }

  /**
   * Takes the TS / TSE of an authenticated packet that arrived at `now`. Returns an RTT sample in
   * ms when the echo is new and under 32768 ticks old (A.4), else undefined.
   */
  onReceived(fields: TimestampFields, now: number): number | undefined {
    // A peer that sends TS in every packet repeats it within a tick: keep the time it first
    // arrived, or the echo would lose the ticks it has been held (up to one per repeat).
    const ts = fields.timestamp;
    if (ts !== undefined && ((ts & 0xffff) !== this.timestampReceived || now - this.timestampReceivedAt >= TIMESTAMP_TICK_MS * 0x8000)) {
      this.timestampReceived = ts & 0xffff;
      this.timestampReceivedAt = now;
    }
    const echo = fields.timestampEcho;
    if (echo === undefined || echo === this.lastEchoReceived) return undefined;
    this.lastEchoReceived = echo;
    const ticks = (this.timestampAt(now) - echo) & 0xffff;
    if (ticks >= MAX_ECHO_RTT_TICKS) return undefined;
    return ticks * TIMESTAMP_TICK_MS;
  }
}
