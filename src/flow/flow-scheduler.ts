// The sending half of a session (RFC 7016 sections 3.5.2 and 3.6.2; wire-reference C.6): which
// flow's data goes in the next packet, within the congestion window and the burst limit, and the
// session-wide loss detection (3 nacks or ERTO) that feeds retransmission and congestion control.
// Pure: everything takes `now` (ms); nextTimeout()/onTimeout(now) replace timers.
import type { CongestionController } from './congestion.js';
import { NACKS_FOR_LOSS } from './congestion.js';
import { ACK_DELAY_MS } from './ack-policy.js';
import type { RttEstimator } from './rtt.js';
import { ChunkType } from '../wire/chunk-type.js';
import type { AckBitmapChunk, AckRangesChunk } from '../wire/chunks/ack.js';
import type { FlowExceptionReportChunk } from '../wire/chunks/flow-control.js';
import { PacketBuilder, PacketFlag } from '../wire/packet.js';
import { PRIORITY_LEVELS, isTimeCritical } from './priority.js';
import { OutstandingList, SendFragment } from './send-buffer.js';
import { AssembleContext, SendFlow, SendFlowError, SendFlowErrorCode } from './send-flow.js';

export interface FillReport {
  /** User data fragments put in the packet. */
  fragments: number;
  /** Their transmit bytes (chunk headers included). */
  dataBytes: number;
  /** Buffer Probe chunks put in the packet. */
  bufferProbes: number;
  /** The packet carries data of a time-critical flow: set TC in its header (A.4, C.6). */
  timeCritical: boolean;
}

export interface FlowSchedulerOptions {
  congestion: CongestionController;
  rtt: RttEstimator;
  /**
   * Use acks of never-retransmitted fragments as RTT samples while no timestamp echo has given
   * one (peers that never echo). Default true. Such samples include the receiver's ack delay.
   */
  ackRttSamples?: boolean;
}

/** The AssembleContext of one fillPacket call, reused for every packet of a session. */
class FillContext implements AssembleContext {
  now = 0;
  tsn = 0;
  lastUserData: { flowId: number; sequenceNumber: number } | undefined = undefined;
  /** Transmit bytes put in this packet so far, and the burst budget it may use. */
  sent = 0;
  burstRoom = Infinity;
  constructor(
    private readonly outstanding: OutstandingList,
    private readonly cc: CongestionController,
  ) {}

  canSendMore(): boolean {
    return this.outstanding.bytes < this.cc.cwnd && this.sent < this.burstRoom;
  }

  onFragmentSent(f: SendFragment): void {
    this.sent += f.transmitSize;
  }
}

/**
 * Each unanswered tail loss probe waits this much longer than the one before. Measured with 4 MiB
 * over the virtual network (0.2 ms paths, 2 ms jitter, 2 % duplication, 5 % reordering, two
 * seeds): at 30 % loss 20.8 and 26.4 s; with no probe after an ERTO until an ack: 25.7 and 52.6 s;
 * unbounded probes every 2 SRTT (the old behaviour, which hammered dead peers): 14.6 and 19.0 s.
 * At 10 % loss all take the same (3.0 and 5.9 s).
 */
export const PROBE_BACKOFF_FACTOR = Math.SQRT2;

/** Sets TC in the flags byte `builder.begin()` already wrote (fillPacket learns it afterwards). */
export function markTimeCritical(builder: PacketBuilder): void {
  builder.w.buf[builder.start]! |= PacketFlag.TimeCritical;
}

/**
 * Holds a session's send flows. Per outgoing packet: fillPacket(). Per incoming packet: onAck()
 * for each ack chunk, onFlowExceptionReport() for each exception chunk, then onPacketProcessed()
 * once (the nack rule and the congestion update run per packet, as in rtmfp-cpp). Timers:
 * nextTimeout() / onTimeout(now).
 */
export class FlowScheduler {
  readonly congestion: CongestionController;
  readonly rtt: RttEstimator;
  readonly outstanding = new OutstandingList();
  readonly ackRttSamples: boolean;
  private readonly flows = new Map<number, SendFlow>();
  /** Round-robin order per priority level. */
  private readonly levels: SendFlow[][] = Array.from({ length: PRIORITY_LEVELS }, () => []);
  /** Transmission sequence number of the next packet carrying data. */
  private nextTsn = 1;
  private maxTsnAcked = 0;
  /**
   * ERTO deadline (RFC 7016 3.5.2.2, RFC 6298 section 5): started by a data packet when not
   * running, restarted only by an ack of new data, never pushed out by sending (a retransmission
   * included), or a dead peer's timeout would never fire. Infinity when not running.
   */
  private ertoDeadline = Infinity;
  /** Nothing in flight since the last ack: ERTO after it restarts the congestion window (C.6). */
  private idleDeadline = Infinity;
  /** Tail loss probe deadline (RFC 8985 section 7), Infinity when none is due. */
  private probeDeadline = Infinity;
  /**
   * Probes sent since the last ack of new data: each waits PROBE_BACKOFF_FACTOR times longer, an
   * ERTO does not reset it, so a silent peer gets about 20 in all (until the wait passes ERTO).
   */
  private probesSinceAck = 0;
  /** A probe or an ERTO fired: the retransmission that follows arms the next probe. */
  private probeRearm = false;
  // Per incoming packet.
  private packetHadAcks = false;
  private packetPreAck = 0;
  private packetAcked = 0;

  /** Fragments declared lost by the nack rule. */
  nackLosses = 0;
  /** Fragments declared lost by ERTO. */
  timeoutLosses = 0;
  /** Tail loss probes sent (the newest fragment in flight resent to draw an ack). */
  tailProbes = 0;
  /** Packets filled with data. */
  dataPackets = 0;

  private readonly report: FillReport = { fragments: 0, dataBytes: 0, bufferProbes: 0, timeCritical: false };
  private readonly ctx: FillContext;
  private readonly order: SendFlow[] = [];

  constructor(o: FlowSchedulerOptions) {
    this.congestion = o.congestion;
    this.rtt = o.rtt;
    this.ackRttSamples = o.ackRttSamples ?? true;
    this.ctx = new FillContext(this.outstanding, this.congestion);
  }

  addFlow(flow: SendFlow): void {
    if (this.flows.has(flow.flowId)) {
      if (this.flows.get(flow.flowId) === flow) return;
      throw new SendFlowError(SendFlowErrorCode.Argument, `flow ID ${flow.flowId} is already scheduled`);
    }
    flow.attach(this);
    this.flows.set(flow.flowId, flow);
    this.levels[flow.priority]!.push(flow);
  }

  /** Forgets a flow (after it completed and lingered). Its fragments stop counting in flight. */
  removeFlow(flow: SendFlow): void {
    if (this.flows.get(flow.flowId) !== flow) return;
    this.flows.delete(flow.flowId);
    for (const level of this.levels) {
      const i = level.indexOf(flow);
      if (i >= 0) level.splice(i, 1);
    }
    for (let f = this.outstanding.head; f; ) {
      const next = f.next;
      if (f.owner === flow) this.outstanding.remove(f);
      f = next;
    }
  }

  /** Call after changing a flow's priority. */
  reprioritize(flow: SendFlow): void {
    if (this.flows.get(flow.flowId) !== flow) return;
    for (const level of this.levels) {
      const i = level.indexOf(flow);
      if (i >= 0) level.splice(i, 1);
    }
    this.levels[flow.priority]!.push(flow);
  }

  flow(flowId: number): SendFlow | undefined {
    return this.flows.get(flowId);
  }

  get flowCount(): number {
    return this.flows.size;
  }

  get bytesInFlight(): number {
    return this.outstanding.bytes;
  }

  /** Whether fillPacket would put data or a probe in a packet now. */
  wantsToSend(now: number): boolean {
    for (const f of this.flows.values()) if (f.bufferProbeDue) return true;
    if (!this.congestion.canSendData(this.outstanding.bytes, now)) return false;
    for (const f of this.flows.values()) if (f.hasDataToSend()) return true;
    return false;
  }

  /**
   * Fills the rest of the packet in `builder` (begun by the session, acks already in it if it
   * wants them first): due Buffer Probes, then data by priority, highest first; within a level
   * retransmissions before new data, flows round-robin. Data starts only while bytes in flight
   * are below cwnd and the burst budget lasts; each fragment is checked, so in flight never
   * exceeds cwnd by more than one fragment.
   */
  fillPacket(builder: PacketBuilder, now: number): FillReport {
    // One report, context and round-robin scratch per scheduler, not per packet (the relay
    // fills hundreds of packets a second per session). The report is valid until the next call.
    const report = this.report;
    report.fragments = report.dataBytes = report.bufferProbes = 0;
    report.timeCritical = false;
    for (const f of this.flows.values()) f.expire(now);
    for (const f of this.flows.values()) {
      if (!f.bufferProbeDue) continue;
      if (!builder.fits({ type: ChunkType.BufferProbe, flowId: f.flowId })) break;
      builder.append(f.takeBufferProbe()!);
      report.bufferProbes++;
    }
    const cc = this.congestion;
    if (!cc.canSendData(this.outstanding.bytes, now)) return report;
    const ctx = this.ctx;
    ctx.now = now;
    ctx.tsn = this.nextTsn;
    ctx.lastUserData = undefined;
    ctx.sent = 0;
    ctx.burstRoom = cc.burstRoom();
    let full = false;
    let newData = false;
    for (let p = PRIORITY_LEVELS - 1; p >= 0 && !full; p--) {
      const level = this.levels[p]!;
      if (level.length === 0) continue;
      for (let pass = 0; pass < 2 && !full; pass++) {
        const retransmitOnly = pass === 0;
        // Round robin: each flow that contributed goes to the back of its level.
        const order = this.order;
        order.length = 0;
        for (let i = 0; i < level.length; i++) order.push(level[i]!);
        for (let k = 0; k < order.length; k++) {
          const flow = order[k]!;
          if (retransmitOnly ? !flow.hasRetransmission() : !flow.hasDataToSend()) continue;
          const r = flow.assemble(builder, ctx, retransmitOnly);
          if (r.fragments > 0) {
            report.fragments += r.fragments;
            if (!retransmitOnly) newData = true;
            if (isTimeCritical(flow.priority)) report.timeCritical = true;
            const i = level.indexOf(flow);
            if (i >= 0) {
              level.splice(i, 1);
              level.push(flow);
            }
          }
          if (r.packetFull || !ctx.canSendMore()) {
            full = true;
            break;
          }
        }
      }
    }
    this.order.length = 0;
    const sent = ctx.sent;
    if (report.fragments > 0) {
      report.dataBytes = sent;
      this.nextTsn++;
      this.dataPackets++;
      cc.onDataSent(sent, now, report.timeCritical);
      this.idleDeadline = Infinity;
      if (this.ertoDeadline === Infinity) this.ertoDeadline = now + this.rtt.erto;
      // New data moves the probe to the new tail; the retransmission after a probe or an ERTO
      // arms the next, backed off; other retransmissions leave it alone.
      if (newData || this.probeRearm) this.armProbe(now);
      this.probeRearm = false;
    }
    return report;
  }

  /** Routes an ack chunk to its flow (unknown flows are ignored, returns false). */
  onAck(chunk: AckRangesChunk | AckBitmapChunk, now: number): boolean {
    const flow = this.flows.get(chunk.flowId);
    if (!flow) return false;
    if (!this.packetHadAcks) {
      this.packetHadAcks = true;
      this.packetPreAck = this.outstanding.bytes;
      this.packetAcked = 0;
    }
    const r = flow.onAck(chunk, now);
    this.packetAcked += r.ackedBytes;
    if (r.maxTsnAcked > this.maxTsnAcked) this.maxTsnAcked = r.maxTsnAcked;
    if (this.ackRttSamples && r.rttSampleMs !== undefined && this.rtt.echoSamples === 0) {
      this.rtt.addSample(r.rttSampleMs, now, 'ack');
    }
    return true;
  }

  /** A Flow Exception Report for one of our flows (C.4). */
  onFlowExceptionReport(chunk: FlowExceptionReportChunk, now: number): boolean {
    const flow = this.flows.get(chunk.flowId);
    if (!flow) return false;
    flow.onException(chunk.exceptionCode, now);
    return true;
  }

  /**
   * End of an incoming packet: if it carried acks, every fragment in flight sent no later than
   * the newest acked one gets a nack; 3 nacks = lost (C.6). Then the congestion update.
   */
  onPacketProcessed(now: number): void {
    if (!this.packetHadAcks) return;
    this.packetHadAcks = false;
    let lostBytes = 0;
    let anyLoss = false;
    let anyNacks = false;
    // Time-based loss (in the manner of RACK, RFC 8985 section 6): a fragment sent in an earlier
    // packet than one now acked, and older than the smoothed RTT plus a reordering allowance, is
    // lost without waiting for three nacks. With a small window there are rarely three later
    // acks, and every such loss would otherwise cost an ERTO (250 ms at least). The allowance
    // (a quarter RTT, at least 1 ms) keeps ordinary reordering from counting as loss.
    const srtt = this.rtt.srtt;
    const lostBefore = srtt === undefined ? -Infinity : now - (srtt * 1.25 + Math.max(1, srtt / 4));
    for (let f = this.outstanding.head; f; ) {
      const next = f.next;
      if (f.tsn > this.maxTsnAcked) break;
      f.nackCount++;
      if (!f.sentAbandoned) anyNacks = true;
      const timeLost = f.tsn < this.maxTsnAcked && f.sentAt <= lostBefore;
      if (f.nackCount >= NACKS_FOR_LOSS || timeLost) {
        if (!f.sentAbandoned) anyLoss = true;
        lostBytes += f.transmitSize;
        this.outstanding.remove(f);
        f.owner.onFragmentLost(f);
        this.nackLosses++;
      }
      f = next;
    }
    this.congestion.onAckPacket(
      {
        ackedBytes: this.packetAcked,
        lostBytes,
        anyLoss,
        anyNacks,
        preAckOutstanding: this.packetPreAck,
        outstandingAfter: this.outstanding.bytes,
      },
      now,
    );
    // RFC 6298 5.2/5.3: an ack of new data restarts the timer, and stops it when nothing is
    // left in flight; an ERTO of idleness then restarts the congestion window (C.6).
    if (this.outstanding.count === 0) {
      this.ertoDeadline = Infinity;
      this.idleDeadline = now + this.rtt.erto;
    } else if (this.packetAcked > 0) {
      this.ertoDeadline = now + this.rtt.erto;
    }
    if (this.packetAcked > 0) this.probesSinceAck = 0;
    this.armProbe(now);
  }

  /**
   * Tail loss probe (RFC 8985 section 7): when the last fragments of a flight are lost there is no
   * later ack to reveal it, and only ERTO (250 ms or more, backing off) would. After about two
   * smoothed RTTs without an ack, the newest fragment in flight is resent; its ack lets the
   * time-based rule find the real losses. No congestion response: a probe is not a loss signal.
   * An unanswered probe is followed by another after x sqrt(2) the wait, never at or past the
   * ERTO deadline: a dead peer gets a few dozen in all, then only ERTO's schedule.
   */
  private armProbe(now: number): void {
    const srtt = this.rtt.srtt;
    this.probeDeadline = Infinity;
    const o = this.outstanding;
    if (o.count === 0 || srtt === undefined) return;
    // RFC 8985 7.2: with a single packet in flight the receiver may hold its ack for its delayed
    // ack time (RFC 7016 3.6.3.4.1: 200 ms), so wait that out too. Without it a lone packet
    // (an audio message between video frames) drew a spurious probe 10 ms later: 10 % of a
    // relay's datagrams. Unanswered probes back off (PROBE_BACKOFF_FACTOR) and never pass ERTO.
    const onePacket = o.head!.tsn === o.tail!.tsn;
    const at = now + Math.max(2 * srtt, 10) * PROBE_BACKOFF_FACTOR ** this.probesSinceAck + (onePacket ? ACK_DELAY_MS : 0);
    if (at < this.ertoDeadline) this.probeDeadline = at;
  }

  /** The earliest of ERTO, burst pacing and the flows' lifetime / persist deadlines. */
  nextTimeout(): number {
    let t = Math.min(this.ertoDeadline, this.idleDeadline, this.probeDeadline, this.congestion.nextTimeout());
    for (const f of this.flows.values()) t = Math.min(t, f.nextTimeout());
    return t;
  }

  onTimeout(now: number): void {
    if (now >= this.probeDeadline && now < this.ertoDeadline) {
      this.probeDeadline = Infinity;
      const f = this.outstanding.tail;
      if (f) {
        this.probesSinceAck++;
        this.probeRearm = true;
        this.outstanding.remove(f);
        f.owner.onFragmentLost(f);
        this.tailProbes++;
      }
    }
    if (now >= this.ertoDeadline || now >= this.idleDeadline) {
      // Restarted, backed off, by the retransmission that follows, which also arms a probe.
      this.probeDeadline = Infinity;
      this.ertoDeadline = Infinity;
      this.idleDeadline = Infinity;
      const anything = this.outstanding.count > 0;
      if (anything) {
        this.probeRearm = true;
        // ERTO: everything in flight is lost (C.6).
        for (let f = this.outstanding.head; f; ) {
          const next = f.next;
          this.outstanding.remove(f);
          f.owner.onFragmentLost(f);
          this.timeoutLosses++;
          f = next;
        }
        this.rtt.backoff();
      }
      this.congestion.onTimeout(now, anything);
    }
    this.congestion.onTimer(now);
    for (const f of this.flows.values()) f.onTimeout(now);
  }
}
