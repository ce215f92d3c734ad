// One direction of one virtual link: a host's access link up or down, or a path between two
// nodes. It models what a datagram meets on the way: a serialization queue of bounded size at a
// given bandwidth (tail drop when full), random loss, propagation latency with jitter (which
// reorders), explicit reordering (an extra hold-back so later datagrams overtake) and duplication.
// The network applies a link to a datagram with no allocation: `transit` returns a time or a drop
// code, and leaves `duplicated` set for the caller to fork a copy.
import { TransportError, TransportErrorCode } from './transport-error.js';
import type { SeededRandom } from '../time/seeded-random.js';

export interface LinkOptions {
  /** One-way propagation delay in ms. Default 0. */
  latencyMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs) per datagram; reorders. Default 0. */
  jitterMs?: number;
  /** Serialization rate in bytes per second; 0 means unlimited (no queue). Default 0. */
  bandwidth?: number;
  /**
   * Most bytes waiting in (or being serialized by) the link's queue. A datagram that does not
   * fit is dropped at the tail and counted. Only meaningful with `bandwidth`. Default 65,536.
   */
  queueBytes?: number;
  /** Probability a datagram is lost on the wire (after the queue). Default 0. */
  loss?: number;
  /** Probability a datagram is delivered twice. Default 0. */
  duplicate?: number;
  /** Probability a datagram is held back by `reorderDelayMs` so later ones overtake it. Default 0. */
  reorder?: number;
  /** The hold-back of a reordered datagram. Default max(1, latencyMs). */
  reorderDelayMs?: number;
}

/** What a link did. Live object. */
export class VirtualLinkCounters {
  /** Datagrams that left the link (copies included) and their bytes (with the network's overhead). */
  datagrams = 0;
  bytes = 0;
  droppedLoss = 0;
  droppedQueue = 0;
  duplicated = 0;
  reordered = 0;
  /** Longest time a datagram waited in the queue, ms. */
  maxQueueDelayMs = 0;
}

/** `transit` results below zero. */
export const LINK_DROP_QUEUE = -1;
export const LINK_DROP_LOSS = -2;

const DEFAULT_QUEUE_BYTES = 65_536;

export class VirtualLink {
  latencyMs = 0;
  jitterMs = 0;
  bandwidth = 0;
  queueBytes = DEFAULT_QUEUE_BYTES;
  loss = 0;
  duplicate = 0;
  reorder = 0;
  reorderDelayMs: number | undefined;
  readonly counters = new VirtualLinkCounters();
  /** Set by `transit` when the datagram it passed is to be duplicated. */
  duplicated = false;
  /** When the queue finishes serializing what it holds. */
  private busyUntil = -Infinity;
  /** True when the link does nothing (the network skips it). */
  private idle = true;

  constructor(options: LinkOptions = {}) {
    this.configure(options);
  }

  /** Changes some knobs (others keep their values). Throws TransportError ERR_TRANSPORT_OPTION. */
  configure(o: LinkOptions): this {
    const nonNegative = (name: string, v: number | undefined): number | undefined => {
      if (v === undefined) return undefined;
      if (!(v >= 0) || !Number.isFinite(v)) throw new TransportError(TransportErrorCode.InvalidOption, `${name} must be a finite number >= 0, got ${v}`);
      return v;
    };
    const probability = (name: string, v: number | undefined): number | undefined => {
      if (v === undefined) return undefined;
      if (!(v >= 0 && v <= 1)) throw new TransportError(TransportErrorCode.InvalidOption, `${name} must be a probability in [0, 1], got ${v}`);
      return v;
    };
    this.latencyMs = nonNegative('latencyMs', o.latencyMs) ?? this.latencyMs;
    this.jitterMs = nonNegative('jitterMs', o.jitterMs) ?? this.jitterMs;
    this.bandwidth = nonNegative('bandwidth', o.bandwidth) ?? this.bandwidth;
    this.queueBytes = nonNegative('queueBytes', o.queueBytes) ?? this.queueBytes;
    this.loss = probability('loss', o.loss) ?? this.loss;
    this.duplicate = probability('duplicate', o.duplicate) ?? this.duplicate;
    this.reorder = probability('reorder', o.reorder) ?? this.reorder;
    if (o.reorderDelayMs !== undefined) this.reorderDelayMs = nonNegative('reorderDelayMs', o.reorderDelayMs);
    this.idle = this.latencyMs === 0 && this.jitterMs === 0 && this.bandwidth === 0 && this.loss === 0 && this.duplicate === 0 && this.reorder === 0;
    return this;
  }

  /** True when the link changes nothing. */
  get isIdle(): boolean {
    return this.idle;
  }

  /** True when the link has a queue, so datagrams must enter it in time order. */
  get queued(): boolean {
    return this.bandwidth > 0;
  }

  /** Bytes in the queue at time `t` (ms). */
  backlogAt(t: number): number {
    return this.busyUntil > t ? ((this.busyUntil - t) * this.bandwidth) / 1000 : 0;
  }

  /**
   * Passes a datagram of `size` bytes entering at time `t`: returns when it leaves the far end,
   * or LINK_DROP_QUEUE / LINK_DROP_LOSS. Sets `duplicated` when a copy must follow it.
   */
  transit(size: number, t: number, rng: SeededRandom): number {
    const c = this.counters;
    this.duplicated = false;
    let depart = t;
    if (this.bandwidth > 0) {
      const start = this.busyUntil > t ? this.busyUntil : t;
      if (((start - t) * this.bandwidth) / 1000 + size > this.queueBytes) {
        c.droppedQueue++;
        return LINK_DROP_QUEUE;
      }
      depart = start + (size * 1000) / this.bandwidth;
      this.busyUntil = depart;
      if (start - t > c.maxQueueDelayMs) c.maxQueueDelayMs = start - t;
    }
    if (rng.chance(this.loss)) {
      c.droppedLoss++;
      return LINK_DROP_LOSS;
    }
    let at = depart + this.latencyMs;
    if (this.jitterMs > 0) at += rng.next() * this.jitterMs;
    if (rng.chance(this.reorder)) {
      at += this.reorderDelayMs ?? Math.max(1, this.latencyMs);
      c.reordered++;
    }
    if (rng.chance(this.duplicate)) {
      this.duplicated = true;
      c.duplicated++;
      c.datagrams++;
      c.bytes += size;
    }
    c.datagrams++;
    c.bytes += size;
    return at;
  }

  /** The extra delay of a duplicate over its original (a fresh jitter draw). */
  copyDelay(rng: SeededRandom): number {
    return this.jitterMs > 0 ? rng.next() * this.jitterMs : 0;
  }
}
