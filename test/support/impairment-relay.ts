/**
 * A UDP relay for tests that sits between clients and one server like a NAT plus a bad network.
 *
 *   client --> relay.address (front socket) --[toServer impairments]--> leg socket --> server
 *   client <-- front socket <--[toClient impairments]-- leg socket <-- server (or anyone)
 *
 * Each client address gets its own leg socket on 127.0.0.1 port 0, so the server sees the
 * relay's address with a per-client external port (full-cone mapping: whatever reaches a leg
 * is forwarded to its client). `rebind()` replaces a client's leg socket with a new one: the
 * server sees the client's traffic come from a new port mid-transfer (RFC 7016 section 3.5.4.2
 * address mobility), and what the server still sends to the old port is lost.
 *
 * Impairments are per direction and decided per datagram at arrival from a seeded PRNG with a
 * fixed number of draws per datagram, so given the seed and the arrival order every decision
 * (drop, duplicate, hold back, jitter) is reproducible. Timing (jitter, hold-back deadlines,
 * the rate limiter) runs on real timers and is only as exact as the event loop.
 *
 * Stages, in order: drop -> duplicate -> reorder (hold a datagram back until N later ones passed
 * or T ms elapsed) -> delay (fixed + uniform jitter) -> rate limit (token bucket, bounded queue,
 * tail drop) -> send.
 */
import type { Clock, TimerHandle } from '../../src/time/clock.js';
import { SystemClock } from '../../src/time/clock.js';
import { UdpTransport, type ReceivedBatch, type UdpPeer } from '../../src/transport/udp-transport.js';
import { formatIp, type SocketAddress } from '../../src/transport/socket-address.js';
import { Prng } from '../wire-prng.js';

export interface ImpairmentProfile {
  /** Probability a datagram is dropped. */
  drop?: number;
  /** Probability a (surviving) datagram is sent twice. */
  duplicate?: number;
  /** Probability a datagram is held back (reordered). */
  reorder?: number;
  /** A held datagram is released after this many later datagrams passed. Default 3. */
  reorderDepth?: number;
  /** ... or after this many ms, whichever comes first. Default 50. */
  reorderMaxMs?: number;
  /** Fixed one-way delay added to every datagram, ms. Default 0. */
  delayMs?: number;
  /** Uniform random extra delay in [0, jitterMs], ms. Independent per datagram, so it reorders too. */
  jitterMs?: number;
  /** Token-bucket rate in bytes per second; 0 or absent = unlimited. */
  rateBytesPerSec?: number;
  /** Bucket size in bytes. Default max(1500, rate / 100). */
  burstBytes?: number;
  /** Datagrams waiting for tokens beyond this are tail-dropped. Default 64. */
  queuePackets?: number;
}

export type RelayDirection = 'toServer' | 'toClient';

export class DirectionCounters {
  /** Datagrams that entered this direction. */
  received = 0;
  dropped = 0;
  /** Extra copies created. */
  duplicated = 0;
  /** Datagrams held back by the reorder stage. */
  reordered = 0;
  /** Held datagrams released by their deadline rather than by later traffic. */
  reorderDeadlines = 0;
  /** Copies that waited in the delay stage (delay > 0). */
  delayed = 0;
  /** Copies that waited for rate tokens. */
  rateQueued = 0;
  /** Copies dropped because the rate queue was full. */
  tailDropped = 0;
  /** Copies handed to a socket. */
  forwarded = 0;
  /** toServer: copies whose client leg is gone; toClient: datagrams that reached a retired leg. */
  stale = 0;
}

export interface RelayCounters {
  readonly toServer: DirectionCounters;
  readonly toClient: DirectionCounters;
  legsOpened: number;
  rebinds: number;
  /** Datagrams reaching a leg from somewhere other than the server (still forwarded: full cone). */
  fromOtherSources: number;
}

export interface ImpairmentRelayOptions {
  /** Where the relay forwards client traffic. */
  server: UdpPeer;
  /** Seed for both directions' PRNG streams. */
  seed: number;
  toServer?: ImpairmentProfile;
  toClient?: ImpairmentProfile;
  /** Bind address of every relay socket; default 127.0.0.1. Use '::1' for an IPv6 relay. */
  host?: string;
  /** Timers for delays, deadlines and the rate limiter. Default SystemClock. */
  clock?: Clock;
}

interface Leg {
  readonly client: UdpPeer;
  readonly key: string;
  transport: UdpTransport | undefined;
  /** toServer datagrams that reached the send stage while the leg socket was (re)binding. */
  waiting: Uint8Array[];
  binding: Promise<void> | undefined;
  retired: UdpTransport[];
}

type Sink<D> = (datagram: Uint8Array, dest: D) => void;

interface Held<D> {
  datagram: Uint8Array;
  dest: D;
  remaining: number;
  timer: TimerHandle | undefined;
}

/** One direction's pipeline. D identifies the destination (a leg key or a client peer). */
class ImpairedPath<D> {
  profile: Required<ImpairmentProfile>;
  private readonly rng: Prng;
  private readonly held: Held<D>[] = [];
  private readonly timers = new Set<TimerHandle>();
  private tokens = 0;
  private lastRefill: number;
  private readonly rateQueue: { datagram: Uint8Array; dest: D }[] = [];
  private drainTimer: TimerHandle | undefined;
  private delaying = 0;
  private closed = false;

  constructor(
    seed: number,
    profile: ImpairmentProfile | undefined,
    private readonly clock: Clock,
    readonly counters: DirectionCounters,
    private readonly sink: Sink<D>,
  ) {
    this.rng = new Prng(seed);
    this.profile = normalize(profile);
    this.tokens = this.profile.burstBytes;
    this.lastRefill = clock.now();
  }

  setProfile(profile: ImpairmentProfile | undefined): void {
    this.profile = normalize(profile);
    this.tokens = Math.min(this.tokens, this.profile.burstBytes);
  }

  push(datagram: Uint8Array, dest: D): void {
    if (this.closed) return;
    const p = this.profile;
    const c = this.counters;
    c.received++;
    // Always five draws per datagram, used or not, so one profile's choices never shift the
    // random stream of the datagrams after it.
    const rDrop = this.rng.float();
    const rDup = this.rng.float();
    const rHold = this.rng.float();
    const rJitter1 = this.rng.float();
    const rJitter2 = this.rng.float();
    if (rDrop < p.drop) {
      c.dropped++;
      return;
    }
    const twice = rDup < p.duplicate;
    if (twice) c.duplicated++;
    this.reorderStage(datagram, dest, rHold < p.reorder, rJitter1);
    if (twice) this.reorderStage(datagram, dest, false, rJitter2);
  }

  private reorderStage(datagram: Uint8Array, dest: D, hold: boolean, rJitter: number): void {
    const p = this.profile;
    if (hold && p.reorderDepth > 0) {
      this.counters.reordered++;
      const h: Held<D> = { datagram, dest, remaining: p.reorderDepth, timer: undefined };
      h.timer = this.later(this.clock.now() + p.reorderMaxMs, () => {
        const i = this.held.indexOf(h);
        if (i < 0) return;
        this.held.splice(i, 1);
        this.counters.reorderDeadlines++;
        this.delayStage(h.datagram, h.dest, 0);
      });
      this.held.push(h);
      return;
    }
    this.delayStage(datagram, dest, rJitter);
    // Every datagram that passes counts down the held ones; those at zero go right after it.
    for (let i = 0; i < this.held.length; ) {
      const h = this.held[i]!;
      if (--h.remaining > 0) {
        i++;
        continue;
      }
      this.held.splice(i, 1);
      this.cancel(h.timer);
      this.delayStage(h.datagram, h.dest, 0);
    }
  }

  private delayStage(datagram: Uint8Array, dest: D, rJitter: number): void {
    const p = this.profile;
    const delay = p.delayMs + rJitter * p.jitterMs;
    if (delay <= 0) {
      this.rateStage(datagram, dest);
      return;
    }
    this.counters.delayed++;
    this.delaying++;
    this.later(this.clock.now() + delay, () => {
      this.delaying--;
      this.rateStage(datagram, dest);
    });
  }

  private rateStage(datagram: Uint8Array, dest: D): void {
    const p = this.profile;
    if (p.rateBytesPerSec <= 0) {
      this.emit(datagram, dest);
      return;
    }
    this.refill();
    if (this.rateQueue.length === 0 && this.tokens >= datagram.byteLength) {
      this.tokens -= datagram.byteLength;
      this.emit(datagram, dest);
      return;
    }
    if (this.rateQueue.length >= p.queuePackets) {
      this.counters.tailDropped++;
      return;
    }
    this.counters.rateQueued++;
    this.rateQueue.push({ datagram, dest });
    this.scheduleDrain();
  }

  private refill(): void {
    const now = this.clock.now();
    const p = this.profile;
    this.tokens = Math.min(p.burstBytes, this.tokens + ((now - this.lastRefill) * p.rateBytesPerSec) / 1000);
    this.lastRefill = now;
  }

  private scheduleDrain(): void {
    if (this.drainTimer || this.rateQueue.length === 0) return;
    const head = this.rateQueue[0]!;
    const p = this.profile;
    // A datagram bigger than the bucket waits for a full bucket, then goes (tokens go negative).
    const need = Math.min(head.datagram.byteLength, p.burstBytes) - this.tokens;
    const waitMs = p.rateBytesPerSec > 0 ? Math.max(0, (need * 1000) / p.rateBytesPerSec) : 0;
    this.drainTimer = this.later(this.clock.now() + waitMs, () => {
      this.drainTimer = undefined;
      this.drain();
    });
  }

  private drain(): void {
    this.refill();
    const p = this.profile;
    while (this.rateQueue.length > 0) {
      const head = this.rateQueue[0]!;
      const cost = head.datagram.byteLength;
      if (p.rateBytesPerSec > 0 && this.tokens < Math.min(cost, p.burstBytes)) break;
      this.rateQueue.shift();
      this.tokens -= cost;
      this.emit(head.datagram, head.dest);
    }
    this.scheduleDrain();
  }

  private emit(datagram: Uint8Array, dest: D): void {
    if (this.closed) return;
    this.sink(datagram, dest);
  }

  private later(at: number, fn: () => void): TimerHandle {
    const handle: TimerHandle = this.clock.setTimer(at, () => {
      this.timers.delete(handle);
      if (!this.closed) fn();
    });
    this.timers.add(handle);
    return handle;
  }

  private cancel(h: TimerHandle | undefined): void {
    if (!h) return;
    h.cancel();
    this.timers.delete(h);
  }

  /** Copies inside the pipeline: held back, waiting out a delay, or queued for rate tokens. */
  get inFlight(): number {
    return this.held.length + this.delaying + this.rateQueue.length;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.held.length = 0;
    this.rateQueue.length = 0;
    this.delaying = 0;
  }
}

function probability(name: string, v: number | undefined): number {
  const x = v ?? 0;
  if (!(x >= 0 && x <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${v}`);
  return x;
}

function nonNegative(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!(x >= 0 && Number.isFinite(x))) throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
  return x;
}

function normalize(p: ImpairmentProfile | undefined): Required<ImpairmentProfile> {
  const rate = nonNegative('rateBytesPerSec', p?.rateBytesPerSec, 0);
  return {
    drop: probability('drop', p?.drop),
    duplicate: probability('duplicate', p?.duplicate),
    reorder: probability('reorder', p?.reorder),
    reorderDepth: Math.floor(nonNegative('reorderDepth', p?.reorderDepth, 3)),
    reorderMaxMs: nonNegative('reorderMaxMs', p?.reorderMaxMs, 50),
    delayMs: nonNegative('delayMs', p?.delayMs, 0),
    jitterMs: nonNegative('jitterMs', p?.jitterMs, 0),
    rateBytesPerSec: rate,
    burstBytes: nonNegative('burstBytes', p?.burstBytes, Math.max(1500, rate / 100)),
    queuePackets: Math.floor(nonNegative('queuePackets', p?.queuePackets, 64)),
  };
}

const keyOf = (p: UdpPeer | SocketAddress): string => `${'ip' in p ? formatIp(p) : p.address}|${p.port}`;

/** Relay sockets pass any datagram size through (the transport's default filter is 8 KiB). */
const RELAY_MAX_DATAGRAM = 65535;

export class ImpairmentRelay {
  readonly counters: RelayCounters = {
    toServer: new DirectionCounters(),
    toClient: new DirectionCounters(),
    legsOpened: 0,
    rebinds: 0,
    fromOtherSources: 0,
  };
  /** Where clients send. */
  readonly address: UdpPeer;

  private readonly legs = new Map<string, Leg>();
  private readonly upstream: ImpairedPath<string>;
  private readonly downstream: ImpairedPath<UdpPeer>;
  private closing: Promise<void> | undefined;

  static async open(options: ImpairmentRelayOptions): Promise<ImpairmentRelay> {
    const host = options.host ?? '127.0.0.1';
    let relay: ImpairmentRelay | undefined;
    const front = await UdpTransport.open({
      host,
      port: 0,
      maxDatagramBytes: RELAY_MAX_DATAGRAM,
      onBatch: (b) => relay?.fromClients(b),
    });
    relay = new ImpairmentRelay(front, host, options);
    return relay;
  }

  private constructor(
    private readonly front: UdpTransport,
    private readonly host: string,
    private readonly options: ImpairmentRelayOptions,
  ) {
    this.address = { address: front.local.address, port: front.local.port };
    const clock = options.clock ?? new SystemClock();
    // Two independent streams from one seed (the constant is the 32-bit golden ratio).
    this.upstream = new ImpairedPath(options.seed >>> 0, options.toServer, clock, this.counters.toServer, (d, key) => this.sendToServer(d, key));
    this.downstream = new ImpairedPath((options.seed ^ 0x9e3779b9) >>> 0, options.toClient, clock, this.counters.toClient, (d, client) => {
      this.counters.toClient.forwarded++;
      this.front.send(d, client);
    });
  }

  /** Changes one direction's impairments from now on; the PRNG stream continues. */
  setImpairment(direction: RelayDirection, profile: ImpairmentProfile | undefined): void {
    (direction === 'toServer' ? this.upstream : this.downstream).setProfile(profile);
  }

  /** Datagrams inside the relay's pipelines (held, delayed, rate-queued, or waiting for a leg). */
  get inFlight(): number {
    let waiting = 0;
    for (const l of this.legs.values()) waiting += l.waiting.length;
    return this.upstream.inFlight + this.downstream.inFlight + waiting;
  }

  /** Clients seen so far, in first-seen order. */
  clients(): UdpPeer[] {
    return [...this.legs.values()].map((l) => l.client);
  }

  /** The port the server sees for `client` (default: the first client), once its leg is bound. */
  externalPort(client?: UdpPeer): number | undefined {
    return this.legFor(client)?.transport?.local.port;
  }

  /**
   * Gives a client's leg (default: the first client) a new external socket and port. From the
   * moment this is called, datagrams reaching the old port are dropped (counted as
   * `toClient.stale`); datagrams for the server wait until the new socket is bound. Resolves
   * with the new port.
   */
  async rebind(client?: UdpPeer): Promise<number> {
    const leg = this.legFor(client);
    if (!leg) throw new Error('rebind: no such client leg');
    if (leg.binding) await leg.binding;
    const old = leg.transport;
    if (old) leg.retired.push(old);
    leg.transport = undefined;
    this.counters.rebinds++;
    await this.bindLeg(leg);
    if (old) await old.close();
    return leg.transport!.local.port;
  }

  /** Stops every timer and closes every socket. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.upstream.close();
      this.downstream.close();
      const all: Promise<void>[] = [this.front.close()];
      for (const leg of this.legs.values()) {
        if (leg.binding) all.push(leg.binding.then(() => leg.transport?.close()));
        else if (leg.transport) all.push(leg.transport.close());
        for (const r of leg.retired) all.push(r.close());
      }
      this.closing = Promise.all(all).then(() => undefined);
    }
    return this.closing;
  }

  private legFor(client: UdpPeer | undefined): Leg | undefined {
    return client ? this.legs.get(keyOf(client)) : this.legs.values().next().value;
  }

  private fromClients(b: ReceivedBatch): void {
    if (this.closing) return;
    for (let i = 0; i < b.datagrams.length; i++) {
      const src = b.sources[i]!;
      const key = keyOf(src);
      if (!this.legs.has(key)) {
        const leg: Leg = { client: { address: formatIp(src), port: src.port }, key, transport: undefined, waiting: [], binding: undefined, retired: [] };
        this.legs.set(key, leg);
        this.counters.legsOpened++;
        void this.bindLeg(leg);
      }
      this.upstream.push(b.datagrams[i]!, key);
    }
  }

  private bindLeg(leg: Leg): Promise<void> {
    const binding = (async (): Promise<void> => {
      let t: UdpTransport | undefined;
      try {
        t = await UdpTransport.open({
          host: this.host,
          port: 0,
          maxDatagramBytes: RELAY_MAX_DATAGRAM,
          onBatch: (b) => this.fromServerSide(leg, t, b),
        });
      } catch {
        // Could not bind a leg (port exhaustion): its datagrams are lost, as at a full NAT.
        leg.binding = undefined;
        this.counters.toServer.stale += leg.waiting.length;
        leg.waiting = [];
        return;
      }
      leg.binding = undefined;
      if (this.closing) {
        await t.close();
        return;
      }
      leg.transport = t;
      const waiting = leg.waiting;
      leg.waiting = [];
      for (const d of waiting) this.sendToServer(d, leg.key);
    })();
    leg.binding = binding;
    return binding;
  }

  private fromServerSide(leg: Leg, via: UdpTransport | undefined, b: ReceivedBatch): void {
    if (this.closing) return;
    if (via === undefined || leg.transport !== via) {
      this.counters.toClient.stale += b.datagrams.length; // reached a mapping that was rebound away
      return;
    }
    const server = this.options.server;
    for (let i = 0; i < b.datagrams.length; i++) {
      const s = b.sources[i]!;
      if (s.port !== server.port || formatIp(s) !== server.address) this.counters.fromOtherSources++;
      this.downstream.push(b.datagrams[i]!, leg.client);
    }
  }

  private sendToServer(datagram: Uint8Array, key: string): void {
    const leg = this.legs.get(key);
    if (!leg) {
      this.counters.toServer.stale++;
      return;
    }
    if (!leg.transport) {
      leg.waiting.push(datagram);
      return;
    }
    this.counters.toServer.forwarded++;
    leg.transport.send(datagram, this.options.server);
  }
}
