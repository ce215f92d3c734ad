// Session congestion control: RFC 7016 section 3.5.2 and appendix A as rtmfp-cpp implements them
// (wire-reference C.6). Pure: the session reports sends, ack-bearing packets, losses and
// timeouts with `now` (ms); the controller answers how much may be in flight. Delay-based
// congestion detection and ECN (both optional in C.6) are not implemented.
import { RtmfpError } from '../errors.js';

/** rtmfp-cpp's user data payload per fragment: 1200 - 5 - 3 - 1 - 3*10 = 1161 bytes (A.5, C.6). */
export const DEFAULT_MSS = 1161;
/**
 * The fragment payload size that always fits a packet of `maxPacketLength` bytes counted from the
 * flags byte: minus header (flags + TS + TSE = 5), chunk header 3, flags 1 and three VLUs of up
 * to 10 bytes (A.5). 1200 gives 1161; Mona's 1192 gives 1153.
 */
export function mssForPacketLength(maxPacketLength: number): number {
  return maxPacketLength - 5 - 3 - 1 - 3 * 10;
}

/** Initial window 3*MSS (C.6; RFC 7016 appendix A). */
export const INITIAL_CWND_SEGMENTS = 3;
/** Window after a retransmission timeout: 2*MSS (C.6). */
export const TIMEOUT_CWND_SEGMENTS = 2;
/** At most 6 packets per round before new acks (C.6; RFC 7016 section 3.5.2.3). */
export const MAX_BURST_PACKETS = 6;
/** The burst limit applies only when SRTT >= 4.5 ms (C.6; rtmfp-cpp BURST_RTT_THRESH). */
export const BURST_RTT_THRESHOLD_MS = 4.5;
/** TC sent / TCR received influence growth and loss response for 800 ms (C.6; RFC 7016 3.5.2.1). */
export const TIME_CRITICAL_WINDOW_MS = 800;
/** A fragment is lost after 3 nacks (C.6; rtmfp-cpp NAKS_FOR_LOSS). */
export const NACKS_FOR_LOSS = 3;
/** With fast growth allowed, losses above this many bytes in flight cut by 1/8 only (C.6). */
export const LARGE_WINDOW_BYTES = 67200;
/** cwnd decays when more than 6*MSS of it is unused (C.6). */
export const DECAY_MARGIN_SEGMENTS = 6;
/** ...by 1 byte per ack-bearing packet (C.6; rtmfp-cpp CWND_DECAY_SIZE). */
export const DECAY_BYTES = 1;
/** Congestion avoidance: +96 bytes per max(cwnd/16, 64) acked bytes, step capped at 9600 (C.6). */
export const AVOIDANCE_INCREMENT = 96;
export const AVOIDANCE_STEP_CAP = 9600;
/** With TC/TCR present: +48 (this session sent TC) or +24 per step, step capped at 4800 (C.6). */
export const TC_AVOIDANCE_INCREMENT = 48;
export const TCR_AVOIDANCE_INCREMENT = 24;
export const TC_AVOIDANCE_STEP_CAP = 4800;
export const AVOIDANCE_STEP_MIN = 64;

/**
 * Endpoint-wide time-critical state (C.6, RFC 7016 section 3.5.2.1): when any session sent TC
 * data, and which session last received TC, so the others set TCR for 800 ms. One per endpoint,
 * shared by its sessions' controllers. `session` keys are opaque.
 */
export class EndpointTimeCritical {
  /** When any session of this endpoint last sent a TC packet. */
  lastSentAt = -Infinity;
  private reportingSession: unknown = undefined;
  private reportedAt = -Infinity;
  private previousReportedAt = -Infinity;

  onSent(now: number): void {
    this.lastSentAt = now;
  }

  /** A TC packet arrived on `session`. */
  onReceived(session: unknown, now: number): void {
    if (session !== this.reportingSession) {
      this.previousReportedAt = this.reportedAt;
      this.reportingSession = session;
    }
    this.reportedAt = now;
  }

  /** Whether `session`'s next packet sets TCR: TC arrived on another session in the last 800 ms. */
  shouldReportTcr(session: unknown, now: number): boolean {
    const t = session === this.reportingSession ? this.previousReportedAt : this.reportedAt;
    return now - t < TIME_CRITICAL_WINDOW_MS;
  }
}

/** Everything learned from the acks of one received packet (call onAckPacket once per packet). */
export interface AckPacketReport {
  /** Bytes (as transmitted) newly acknowledged by this packet. */
  ackedBytes: number;
  /** Bytes of fragments this packet declared lost (nack rule). */
  lostBytes?: number;
  /** A fragment that was not sent abandoned was declared lost (or the peer signalled congestion). */
  anyLoss?: boolean;
  /** A fragment that was not sent abandoned was nacked. */
  anyNacks?: boolean;
  /** Bytes in flight before this packet's acks were applied. */
  preAckOutstanding: number;
  /** Bytes in flight after acks and losses (starts the recovery period). */
  outstandingAfter: number;
}

export interface CongestionControllerOptions {
  mss?: number;
  /** Where SRTT comes from (an RttEstimator); without it the burst limit never applies. */
  rtt?: { readonly srtt: number | undefined };
  /** Shared endpoint TC state; a private one by default. */
  endpoint?: EndpointTimeCritical;
}

/**
 * cwnd in bytes. The session asks canSendData() before putting data in a packet, reports data
 * it sent with onDataSent(), each received packet that carried acks with onAckPacket() (or the
 * onAck / onLoss shorthands), and ERTO expiry with onTimeout(). Poll-style pacing: when the burst
 * budget is spent, nextTimeout() says when it refills; call onTimer(now) then.
 */
export class CongestionController {
  readonly mss: number;
  readonly initialCwnd: number;
  readonly maxBurstBytes: number;
  readonly endpoint: EndpointTimeCritical;
  private readonly rtt: { readonly srtt: number | undefined } | undefined;

  cwnd: number;
  ssthresh = Infinity;
  /** Loss responses (multiplicative decreases). */
  losses = 0;
  /** Bytes declared lost, summed. */
  lostBytes = 0;
  /** Retransmission timeouts with data outstanding. */
  timeouts = 0;
  /** Bytes that must drain before the next loss response (the recovery period, C.6). */
  recoveryRemaining = 0;
  /** Bytes still in the burst budget; may go negative by up to one packet. */
  burstBudget: number;

  private recoveryLossAllowance = 0;
  private ackedAccumulator = 0;
  private burstRefillAt = Infinity;
  private tcSentAt = -Infinity;
  private tcrReceivedAt = -Infinity;

  constructor(options: CongestionControllerOptions = {}) {
    this.mss = options.mss ?? DEFAULT_MSS;
    if (!Number.isInteger(this.mss) || this.mss < 1) throw new RtmfpError('ERR_CONGESTION_ARGUMENT', `MSS ${this.mss} is not a positive integer`);
    this.initialCwnd = INITIAL_CWND_SEGMENTS * this.mss;
    this.maxBurstBytes = MAX_BURST_PACKETS * this.mss;
    this.cwnd = this.initialCwnd;
    this.burstBudget = this.maxBurstBytes;
    this.rtt = options.rtt;
    this.endpoint = options.endpoint ?? new EndpointTimeCritical();
  }

  /** Whether the window has room: data may start while bytes in flight are below cwnd (C.6). */
  canSend(bytesInFlight: number): boolean {
    return this.cwnd > bytesInFlight;
  }

  /** Whether the burst limit applies now: only once SRTT >= 4.5 ms is known (C.6). */
  burstLimited(): boolean {
    const srtt = this.rtt?.srtt;
    return srtt !== undefined && srtt >= BURST_RTT_THRESHOLD_MS;
  }

  /**
   * canSend plus the burst limit. When the budget is spent this arms the pacing refill
   * (srtt * (MSS + overspend) / cwnd, as rtmfp-cpp paces) reported by nextTimeout().
   */
  canSendData(bytesInFlight: number, now: number): boolean {
    if (!this.canSend(bytesInFlight)) return false;
    if (!this.burstLimited()) return true;
    this.onTimer(now);
    if (this.burstBudget > 0) return true;
    if (this.burstRefillAt === Infinity) {
      const excess = -this.burstBudget;
      this.burstRefillAt = now + (this.rtt!.srtt! * (this.mss + excess)) / this.cwnd;
    }
    return false;
  }

  /** Bytes of data this packet may still carry before the burst limit stops it (Infinity if none). */
  burstRoom(): number {
    return this.burstLimited() ? this.burstBudget : Infinity;
  }

  /** The session put `bytes` of user data in a packet at `now`; `timeCritical` = the packet has TC. */
  onDataSent(bytes: number, now: number, timeCritical: boolean): void {
    this.burstBudget -= bytes;
    if (timeCritical) {
      this.tcSentAt = now;
      this.endpoint.onSent(now);
    }
  }

  /** The peer set TCR on a packet of this session (C.6): suppresses fast growth for 800 ms. */
  onTimeCriticalReverse(now: number): void {
    this.tcrReceivedAt = now;
  }

  /** Slow start and the 1/2 loss response are allowed: no TCR received, no TC sent anywhere, in 800 ms. */
  fastGrowthAllowed(now: number): boolean {
    return this.tcrReceivedAt + TIME_CRITICAL_WINDOW_MS < now && this.endpoint.lastSentAt + TIME_CRITICAL_WINDOW_MS < now;
  }

  /** This session sent TC data in the last 800 ms. */
  timeCriticalSent(now: number): boolean {
    return this.tcSentAt + TIME_CRITICAL_WINDOW_MS >= now;
  }

  /** Shorthand for an ack packet without loss. */
  onAck(ackedBytes: number, now: number, preAckOutstanding: number, outstandingAfter: number, anyNacks = false): void {
    this.onAckPacket({ ackedBytes, preAckOutstanding, outstandingAfter, anyNacks }, now);
  }

  /** Shorthand for an ack packet that declared `lostBytes` lost. */
  onLoss(lostBytes: number, now: number, preAckOutstanding: number, outstandingAfter: number, ackedBytes = 0): void {
    this.onAckPacket({ ackedBytes, lostBytes, anyLoss: true, anyNacks: true, preAckOutstanding, outstandingAfter }, now);
  }

  /**
   * The window update for one received packet that carried acks (RFC 7016 appendix A as
   * rtmfp-cpp does it, C.6). Also refills the burst budget: new acks end the round.
   */
  onAckPacket(r: AckPacketReport, now: number): void {
    if (this.burstBudget < this.maxBurstBytes) this.burstBudget = this.maxBurstBytes;
    this.burstRefillAt = Infinity;

    const lost = r.lostBytes ?? 0;
    const anyLoss = r.anyLoss ?? false;
    const anyNacks = r.anyNacks ?? false;
    const pre = r.preAckOutstanding;
    this.lostBytes += lost;
    const fastGrow = this.fastGrowthAllowed(now);
    const tcSent = this.timeCriticalSent(now);
    // Losses during recovery cost 1.5x what was lost (rounded up).
    let lossCost = lost ? lost + Math.floor((lost + 1) / 2) : 0;

    const drained = r.ackedBytes + lost;
    if (this.recoveryRemaining > drained) {
      // Recovery period: one loss response per window of data (C.6 "hold for one recovery window").
      this.recoveryRemaining -= drained;
      if (lossCost) {
        if (lossCost <= this.recoveryLossAllowance) {
          this.recoveryLossAllowance -= lossCost;
        } else {
          // More was lost in this window than the cut allowed for: cut further.
          lossCost -= this.recoveryLossAllowance;
          this.recoveryLossAllowance = 0;
          lossCost = Math.min(this.ssthresh, lossCost);
          this.ssthresh = Math.max(this.ssthresh - lossCost, this.initialCwnd);
          this.cwnd = this.ssthresh;
          this.recoveryRemaining += lossCost;
        }
      }
      return;
    }
    this.recoveryRemaining = 0;

    if (anyLoss) {
      // Cut by 1/2 of what was outstanding, or by 1/8 when TC was sent within 800 ms or a large
      // window may grow fast (C.6).
      const preCut = Math.min(this.cwnd, pre);
      let allowance = tcSent || (pre > LARGE_WINDOW_BYTES && fastGrow) ? Math.floor(preCut / 8) : Math.floor(preCut / 2);
      allowance = Math.min(preCut, Math.max(allowance, lossCost));
      this.recoveryLossAllowance = allowance;
      this.ssthresh = Math.max(preCut - allowance, this.initialCwnd);
      this.cwnd = this.ssthresh;
      this.ackedAccumulator = 0;
      this.recoveryRemaining = r.outstandingAfter;
      this.losses++;
    } else if (!anyNacks && pre > Math.floor((this.cwnd * 63) / 64)) {
      // Grow only when the window was (nearly) full: an application-limited sender learns nothing.
      let increase = 0;
      if (fastGrow) {
        if (this.cwnd < this.ssthresh) {
          increase = r.ackedBytes; // slow start
          this.ackedAccumulator = 0;
        } else {
          increase = this.avoidance(r.ackedBytes, AVOIDANCE_STEP_CAP, AVOIDANCE_INCREMENT);
        }
      } else if (tcSent && this.cwnd < this.ssthresh) {
        increase = Math.floor((r.ackedBytes + 3) / 4); // quarter-speed slow start
        this.ackedAccumulator = 0;
      } else {
        increase = this.avoidance(r.ackedBytes, TC_AVOIDANCE_STEP_CAP, tcSent ? TC_AVOIDANCE_INCREMENT : TCR_AVOIDANCE_INCREMENT);
      }
      // Never more than one MSS per ack (C.6).
      this.cwnd = Math.max(this.cwnd + Math.min(increase, this.mss), this.initialCwnd);
    } else if (!anyNacks && this.cwnd > pre + DECAY_MARGIN_SEGMENTS * this.mss) {
      this.cwnd -= DECAY_BYTES; // idle decay
    }
  }

  private avoidance(acked: number, stepCap: number, increment: number): number {
    const step = Math.min(Math.max(Math.floor(this.cwnd / 16), AVOIDANCE_STEP_MIN), stepCap);
    this.ackedAccumulator += acked;
    const steps = Math.floor(this.ackedAccumulator / step);
    this.ackedAccumulator -= steps * step;
    return steps * increment;
  }

  /**
   * The session's ERTO timer fired (C.6, RFC 7016 appendix A.2): ssthresh = max(ssthresh,
   * 3/4 cwnd). With data outstanding (all of it is now lost) cwnd = 2*MSS; with nothing
   * outstanding the session was idle for an ERTO and cwnd restarts at 3*MSS. The ERTO backoff
   * itself is RttEstimator.backoff().
   */
  onTimeout(now: number, dataOutstanding: boolean): void {
    void now;
    this.burstBudget = this.maxBurstBytes;
    this.burstRefillAt = Infinity;
    this.ssthresh = Math.max(this.ssthresh, Math.floor((this.cwnd * 3) / 4));
    this.ackedAccumulator = 0;
    this.recoveryRemaining = 0;
    if (dataOutstanding) {
      this.cwnd = TIMEOUT_CWND_SEGMENTS * this.mss;
      this.timeouts++;
    } else {
      this.cwnd = this.initialCwnd;
    }
  }

  /** When the pacing refill is due, or Infinity. */
  nextTimeout(): number {
    return this.burstRefillAt;
  }

  /** Runs the pacing refill if due: one MSS, plus what the oversleep would have allowed. */
  onTimer(now: number): void {
    if (now < this.burstRefillAt) return;
    const due = this.burstRefillAt;
    this.burstRefillAt = Infinity;
    this.burstBudget = this.mss;
    const srtt = this.rtt?.srtt;
    if (srtt !== undefined && srtt >= BURST_RTT_THRESHOLD_MS && now > due) {
      this.burstBudget += Math.floor(((now - due) / srtt) * this.cwnd);
    }
  }
}
