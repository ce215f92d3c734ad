/**
 * When a receiver acknowledges (RFC 7016 §3.6.3.4; wire-reference C.3). Pure timing rules, no
 * chunk building: the owner (ReceiveFlows) marks flows as owing an ack and asks when to send.
 *
 * - An ack is delayed by at most `delayMs` (200 ms) after the first unacknowledged data.
 * - After every `packetsPerAck` (2) packets that contained user data, an ack is obligatory.
 * - Some events make it due at once: out-of-order or duplicate data, ABN, FIN, data on a flow
 *   whose previous advertisement was below 2 blocks, a rejected flow, a Buffer Probe.
 *
 * Poll style: `nextAckDeadline()` is the time the ack becomes due (<= now once it is due,
 * Infinity when nothing is owed) and `ackDue(now)` is `now >= nextAckDeadline()`. The session
 * then builds a packet and calls `drain` (through ReceiveFlows.writeAcks). Flows keep their
 * order of first marking, so a packet too small for every ack serves the oldest first.
 */
import { ReceiveFlowError, ReceiveFlowErrorCode } from './receive-flow.js';

/** Longest an ack may be delayed (RFC 7016 §3.6.3.4.1, wire-reference C.3). */
export const ACK_DELAY_MS = 200;
/** Packets containing user data after which an ack is obligatory (C.3). */
export const ACK_EVERY_PACKETS = 2;
/** An advertisement below this many blocks makes the next data on that flow ack at once (C.3). */
export const LOW_WINDOW_BLOCKS = 2;

export interface AckPolicyOptions {
  delayMs?: number;
  packetsPerAck?: number;
}

export class AckPolicy<K> {
  readonly delayMs: number;
  readonly packetsPerAck: number;
  /** Flows owing an ack, in the order they were first marked. */
  private readonly pending = new Set<K>();
  /** Packets with user data since the last complete ack round. */
  private dataPackets = 0;
  /** When the owed ack becomes due; Infinity when nothing is owed. */
  private deadline = Infinity;

  constructor(options: AckPolicyOptions = {}) {
    this.delayMs = options.delayMs ?? ACK_DELAY_MS;
    this.packetsPerAck = options.packetsPerAck ?? ACK_EVERY_PACKETS;
    if (!(this.delayMs >= 0) || !Number.isInteger(this.packetsPerAck) || this.packetsPerAck < 1) {
      throw new ReceiveFlowError(ReceiveFlowErrorCode.Config, `bad ack policy: delayMs ${this.delayMs}, packetsPerAck ${this.packetsPerAck}`);
    }
  }

  /** `flow` has something new to acknowledge; `immediate` for the events listed above. */
  mark(flow: K, now: number, immediate = false): void {
    this.pending.add(flow);
    if (immediate) this.deadline = Math.min(this.deadline, now);
    else if (this.deadline === Infinity) this.deadline = now + this.delayMs;
  }

  /** A packet that contained user data was processed at `now` (the every-2-packets rule). */
  dataPacket(now: number): void {
    this.dataPackets++;
    if (this.dataPackets >= this.packetsPerAck && this.pending.size > 0) this.deadline = Math.min(this.deadline, now);
  }

  /** Drops a flow (forgotten or evicted): it owes nothing any more. */
  forget(flow: K): void {
    this.pending.delete(flow);
    if (this.pending.size === 0) this.reset();
  }

  isPending(flow: K): boolean {
    return this.pending.has(flow);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  nextAckDeadline(): number {
    return this.pending.size === 0 ? Infinity : this.deadline;
  }

  ackDue(now: number): boolean {
    return now >= this.nextAckDeadline();
  }

  /**
   * Offers every pending flow to `write`, oldest first, until it returns false (packet full).
   * Written flows stop owing; when all were written the timers restart from zero, otherwise
   * the rest stay pending with the same deadline (still due if it was). Returns flows written.
   */
  drain(write: (flow: K) => boolean): number {
    let n = 0;
    for (const flow of this.pending) {
      if (!write(flow)) break;
      this.pending.delete(flow);
      n++;
    }
    if (this.pending.size === 0) this.reset();
    return n;
  }

  private reset(): void {
    this.dataPackets = 0;
    this.deadline = Infinity;
  }
}
