// The in-memory network: hosts, NATs and the links between them, run by a Clock (a ManualClock
// in tests and the simulator, so a whole scenario is deterministic and never sleeps). Every
// datagram in flight is one pooled record in ONE event heap ordered by (arrival time, send
// order); the network keeps at most one clock timer armed, for the earliest arrival. Sending
// creates no closure and no timer, so 10,000 hosts and 100,000 sessions cost O(log n) per
// datagram. All randomness (loss, duplication, jitter, reordering, NAT ports) comes from one
// SeededRandom: the same seed and the same sends give the same run.
//
// A datagram's way: sender's access link up -> out through the NAT(s) of its realm until the
// destination address is found (each NAT rewrites the source to its mapping) -> the path from
// the node it left by (host or outermost NAT) to the node owning the destination (host or NAT)
// -> at arrival time, in through that NAT (filter, rewrite the destination; hairpinning) ->
// the receiving host's access link down -> the bound port, batched with everything that reaches
// the port at the same instant.
import { TransportError, TransportErrorCode } from './transport-error.js';
import { AddressOrigin, formatIp, socketAddressFromEndpoint, type SocketAddress } from './socket-address.js';
import { LINK_DROP_QUEUE, VirtualLink, type LinkOptions } from './virtual-link.js';
import { VirtualNat, type NatContext, type NatOptions } from './virtual-nat.js';
import { VirtualHost, EPHEMERAL_PORT_FIRST } from './virtual-host.js';
import { VirtualPort, type PortNetwork } from './virtual-port.js';
import { Realm, ip32, ip32Bytes, ip6Key as ip6KeyOf, ipKeyOf, type IpKey } from './virtual-realm.js';
import { EventHeap } from '../time/event-heap.js';
import { SeededRandom } from '../time/seeded-random.js';
import type { Clock, TimerHandle } from '../time/clock.js';

export interface VirtualNetworkOptions {
  /** Drives deliveries; normally a ManualClock. */
  clock: Clock;
  /** Seeds every random choice of the network. Default 1. */
  seed?: number;
  /**
   * Impairments of every path between two nodes that has no path of its own (setPath): latency,
   * jitter, loss, duplication, reordering. It has no queue (bandwidth must be 0): give queues to
   * host links or to explicit paths.
   */
  defaultPath?: LinkOptions;
  /** Bytes added to each datagram for bandwidth and queue accounting (28 = IPv4 + UDP). Default 0. */
  overheadBytes?: number;
  /** Larger sends are refused (counted as send errors), as UDP refuses them. Default 65,507. */
  maxDatagramBytes?: number;
  /**
   * Deliveries are rounded up to a multiple of this many ms so that more datagrams share a batch
   * (fewer, larger batches for big simulations). Default 0: exact times.
   */
  tickMs?: number;
}

export interface HostOptions {
  name?: string;
  /** Its IPv4 address (text). Default: the next free one of its realm (20.0.0.1... public, 192.168.0.2... behind a NAT). */
  ipv4?: string;
  /** A public IPv6 address: text, or true for the next free 2001:db8::/96 one. Default none. */
  ipv6?: string | boolean;
  /** The NAT it sits behind. Default: none (a public address). */
  behind?: VirtualNat;
  /** Its access link towards the network, and from it. */
  up?: LinkOptions;
  down?: LinkOptions;
}

export interface AddNatOptions extends NatOptions {
  /** Its public IPv4 address (text). Default: the next free one of the realm outside it. */
  publicIp?: string;
  /** A NAT in front of this one (carrier-grade NAT). Default: none. */
  behind?: VirtualNat;
}

export interface BindOptions {
  /**
   * A host, or an address text. An address no host has creates a public host with it. Default:
   * a new public host.
   */
  host?: VirtualHost | string;
  /** 0 (default) picks a free port from 49152 up. */
  port?: number;
  /** Default 6 when `host` is IPv6 text, else 4. */
  family?: 4 | 6;
}

/** Network-wide totals. Live object. Invariant: datagramsSent + duplicated = datagramsDelivered + every dropped* + inFlight. */
export class VirtualNetworkCounters {
  datagramsSent = 0;
  bytesSent = 0;
  sendErrors = 0;
  datagramsDelivered = 0;
  bytesDelivered = 0;
  /** Batches handed to ports. */
  batches = 0;
  duplicated = 0;
  reordered = 0;
  droppedLoss = 0;
  droppedQueue = 0;
  /** Refused by a NAT: no mapping, filtered, hairpinning off, no public port free. */
  droppedNatFilter = 0;
  /** Reached a host on a port nothing is bound to. */
  droppedNoListener = 0;
  /** No host owns the destination address in any realm the datagram could reach. */
  droppedNoRoute = 0;
  /** Still in flight when the network closed. */
  droppedClosed = 0;
}

type VirtualNode = VirtualHost | VirtualNat;

// Stages of a datagram's way (see the top of the file).
const UP = 0;
const RESOLVE = 1;
const PATH = 2;
const ARRIVE = 3;
const DOWN = 4;
const DELIVER = 5;
// What a heap entry waits for: arrival at a NAT or a queued down link, or delivery to a port.
const EVENT_EDGE = 0;
const EVENT_DELIVER = 1;

const enum Drop {
  Loss,
  Queue,
  Nat,
  NoListener,
  NoRoute,
}

/** One datagram in flight (pooled). */
class Transit {
  at = 0;
  seq = 0;
  event = EVENT_DELIVER;
  data: Uint8Array = EMPTY;
  /** Bytes it counts on links (datagram plus overhead). */
  size = 0;
  sender!: VirtualPort;
  family: 4 | 6 = 4;
  /** Its source as the current realm sees it. */
  src!: SocketAddress;
  srcKey = 0;
  srcPort = 0;
  dstKey: IpKey = 0;
  dstPort = 0;
  /** The node it left its realm(s) by, and the node it is going to (or has reached). */
  srcNode!: VirtualNode;
  node!: VirtualNode;
}

const EMPTY = new Uint8Array(0);
const POOL_MAX = 65_536;
const INTERN_MAX = 1 << 20;
const V6_PREFIX = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0);

export class VirtualNetwork implements PortNetwork, NatContext {
  readonly clock: Clock;
  readonly rng: SeededRandom;
  readonly counters = new VirtualNetworkCounters();
  /** Impairments of paths without their own (see VirtualNetworkOptions.defaultPath). */
  readonly defaultPath: VirtualLink;
  /** The public realm (IPv4 and IPv6). */
  readonly publicRealm: Realm;
  readonly overheadBytes: number;
  readonly maxDatagramBytes: number;
  readonly tickMs: number;

  private readonly heap = new EventHeap<Transit>();
  private seq = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private dispatching = false;
  private readonly dirty: VirtualPort[] = [];
  private readonly pool: Transit[] = [];
  private readonly ports = new Set<VirtualPort>();
  private readonly byText = new Map<string, VirtualHost | null>();
  private readonly interned = new Map<string, SocketAddress>();
  private realmSeq = 1;
  private hostSeq = 0;
  private v6Next = 1;
  private closedFlag = false;

  constructor(options: VirtualNetworkOptions) {
    this.clock = options.clock;
    this.rng = new SeededRandom(options.seed ?? 1);
    this.defaultPath = new VirtualLink(options.defaultPath);
    if (this.defaultPath.bandwidth > 0) {
      throw new TransportError(TransportErrorCode.InvalidOption, 'defaultPath cannot have a bandwidth (it has no queue); set it on host links or explicit paths');
    }
    this.overheadBytes = nonNegativeInt('overheadBytes', options.overheadBytes, 0);
    this.maxDatagramBytes = nonNegativeInt('maxDatagramBytes', options.maxDatagramBytes, 65_507);
    const tick = options.tickMs ?? 0;
    if (!(tick >= 0) || !Number.isFinite(tick)) throw new TransportError(TransportErrorCode.InvalidOption, `tickMs must be >= 0, got ${tick}`);
    this.tickMs = tick;
    this.publicRealm = new Realm(0, undefined, 0x14000001); // 20.0.0.1
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Datagrams on their way now. */
  get inFlight(): number {
    return this.heap.size;
  }

  /** Ports bound now. */
  get portCount(): number {
    return this.ports.size;
  }

  addHost(o: HostOptions = {}): VirtualHost {
    const realm = o.behind ? o.behind.inside : this.publicRealm;
    const ip4 = this.takeV4(realm, o.ipv4);
    let ip6Bytes: Uint8Array | undefined;
    let ip6Key: string | undefined;
    if (o.ipv6 !== undefined && o.ipv6 !== false) {
      if (o.ipv6 === true) {
        do {
          ip6Bytes = new Uint8Array(16);
          ip6Bytes.set(V6_PREFIX);
          ip6Bytes.set(ip32Bytes(this.v6Next++), 12);
          ip6Key = ip6KeyOf(ip6Bytes);
        } while (this.publicRealm.nodes.has(ip6Key));
      } else {
        ip6Bytes = parseIp(o.ipv6, 6);
        ip6Key = ip6KeyOf(ip6Bytes);
        if (this.publicRealm.nodes.has(ip6Key)) throw new TransportError(TransportErrorCode.InvalidOption, `address ${o.ipv6} is taken`);
      }
    }
    const ipv4 = formatIp({ family: 4, ip: ip4.bytes });
    const ipv6 = ip6Bytes ? formatIp({ family: 6, ip: ip6Bytes }) : undefined;
    const host = new VirtualHost(o.name ?? `host${this.hostSeq++}`, ipv4, ip4.key, ip4.bytes, realm, ipv6, ip6Key, ip6Bytes, new VirtualLink(o.up), new VirtualLink(o.down), o.behind);
    realm.nodes.set(ip4.key, host);
    this.noteText(ipv4, host);
    if (ip6Key !== undefined) {
      this.publicRealm.nodes.set(ip6Key, host);
      this.noteText(ipv6!, host);
    }
    return host;
  }

  /** A NAT; put hosts behind it with `addHost({ behind: nat })`. */
  addNat(o: AddNatOptions = {}): VirtualNat {
    const outside = o.behind ? o.behind.inside : this.publicRealm;
    const ip = this.takeV4(outside, o.publicIp);
    const nat = new VirtualNat(this, ip.key, formatIp({ family: 4, ip: ip.bytes }), ip.bytes, outside, o);
    nat.inside = new Realm(this.realmSeq++, nat, 0xc0a80002); // 192.168.0.2
    outside.nodes.set(ip.key, nat);
    return nat;
  }

  /**
   * Binds a port. Throws TransportError ERR_TRANSPORT_BIND when the port is taken (or no port is
   * free, or the host has no address of that family), ERR_TRANSPORT_OPTION on bad options.
   */
  bind(o: BindOptions = {}): VirtualPort {
    if (this.closedFlag) throw new TransportError(TransportErrorCode.Bind, 'the virtual network is closed');
    const family = o.family ?? (typeof o.host === 'string' && o.host.includes(':') ? 6 : 4);
    if (family !== 4 && family !== 6) throw new TransportError(TransportErrorCode.InvalidOption, `family must be 4 or 6, got ${String(family)}`);
    let host: VirtualHost;
    if (o.host === undefined) host = this.addHost(family === 6 ? { ipv6: true } : {});
    else if (typeof o.host === 'string') {
      const text = formatIp({ family: o.host.includes(':') ? 6 : 4, ip: parseIp(o.host, o.host.includes(':') ? 6 : 4) });
      const known = this.byText.get(text);
      if (known === null) throw new TransportError(TransportErrorCode.InvalidOption, `address ${text} is in several realms: pass the VirtualHost`);
      host = known ?? this.addHost(text.includes(':') ? { ipv6: text } : { ipv4: text });
    } else host = o.host;
    if (family === 6 && host.ip6Bytes === undefined) throw new TransportError(TransportErrorCode.Bind, `host ${host.name} has no IPv6 address`);
    const ports = family === 4 ? host.ports4 : host.ports6;
    let port = o.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new TransportError(TransportErrorCode.InvalidOption, `port ${port} out of range`);
    const text = family === 4 ? host.ipv4 : host.ipv6!;
    if (port === 0) {
      port = this.freePort(host, family);
      if (port < 0) throw new TransportError(TransportErrorCode.Bind, `no free port on ${text}`);
    } else if (ports.has(port)) {
      throw new TransportError(TransportErrorCode.Bind, `${family === 6 ? `[${text}]` : text}:${port} is in use`);
    }
    const realm = family === 4 ? host.realm : this.publicRealm;
    const source = this.intern(realm, family, family === 4 ? host.ip4Bytes : host.ip6Bytes!, port);
    const p = new VirtualPort(this, host, family, port, source, family === 4 ? host.ip4Key : 0);
    ports.set(port, p);
    this.ports.add(p);
    return p;
  }

  /**
   * The path from one node to another (one direction): `from` is the host that sends, or the
   * outermost NAT its datagrams leave by; `to` the host, or NAT, owning the destination address.
   * Creates it (from the default path's knobs overlaid with `options`) or reconfigures it.
   */
  setPath(from: VirtualNode, to: VirtualNode, options: LinkOptions): VirtualLink {
    from.pathsOut ??= new Map();
    let link = from.pathsOut.get(to);
    if (!link) {
      const d = this.defaultPath;
      link = new VirtualLink({
        latencyMs: d.latencyMs,
        jitterMs: d.jitterMs,
        loss: d.loss,
        duplicate: d.duplicate,
        reorder: d.reorder,
        ...(d.reorderDelayMs !== undefined ? { reorderDelayMs: d.reorderDelayMs } : {}),
      });
      from.pathsOut.set(to, link);
    }
    return link.configure(options);
  }

  /** setPath both ways with the same knobs (separate queues). */
  setPaths(a: VirtualNode, b: VirtualNode, options: LinkOptions): [VirtualLink, VirtualLink] {
    return [this.setPath(a, b, options), this.setPath(b, a, options)];
  }

  /** The host owning an address text (unique across realms), if any. */
  hostByAddress(text: string): VirtualHost | undefined {
    return this.byText.get(text) ?? undefined;
  }

  /** Closes every port and drops everything in flight (counted). Idempotent. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const p of [...this.ports]) void p.close();
    this.counters.droppedClosed += this.heap.size;
    this.heap.clear();
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** The one SocketAddress object for (realm, ip, port), origin Observed (a source we saw). */
  intern(realm: Realm, family: 4 | 6, ip: Uint8Array, port: number): SocketAddress {
    const key = `${realm.id}|${ipKeyOf({ family, ip })}|${port}`;
    let a = this.interned.get(key);
    if (!a) {
      // Bounded like AddressCache: emptied when full (a later lookup makes a new object).
      if (this.interned.size >= INTERN_MAX) this.interned.clear();
      a = { family, ip: ip.slice(), port, origin: AddressOrigin.Observed };
      this.interned.set(key, a);
    }
    return a;
  }

  // ---- PortNetwork ----

  sendFrom(port: VirtualPort, datagram: Uint8Array, to: SocketAddress): void {
    const pc = port.counters;
    const len = datagram.byteLength;
    const fam = to.family;
    if (port.closed || this.closedFlag || fam !== port.family || to.ip.length !== (fam === 4 ? 4 : 16) || !(to.port > 0 && to.port <= 0xffff) || len > this.maxDatagramBytes) {
      pc.sendErrors++;
      this.counters.sendErrors++;
      return;
    }
    pc.sendsSubmitted++;
    pc.bytesOut += len;
    this.counters.datagramsSent++;
    this.counters.bytesSent += len;
    const tr = this.pool.pop() ?? new Transit();
    tr.data = datagram;
    tr.size = len + this.overheadBytes;
    tr.sender = port;
    tr.family = fam;
    tr.src = port.source;
    tr.srcKey = port.ipKey;
    tr.srcPort = port.port;
    tr.dstKey = fam === 4 ? ip32(to.ip) : ipKeyOf(to);
    tr.dstPort = to.port;
    tr.srcNode = port.host;
    tr.node = port.host;
    this.forward(tr, this.clock.now(), UP);
  }

  unbind(port: VirtualPort): void {
    const ports = port.family === 4 ? port.host.ports4 : port.host.ports6;
    if (ports.get(port.port) === port) ports.delete(port.port);
    this.ports.delete(port);
  }

  // ---- the way of a datagram ----

  /** Moves `tr` from `stage` at time `t` until it is dropped or waits in the heap. */
  private forward(tr: Transit, t: number, stage: number): void {
    for (;;) {
      switch (stage) {
        case UP: {
          const link = tr.sender.host.up;
          if (!link.isIdle && (t = this.cross(link, tr, t, RESOLVE)) < 0) return;
          stage = RESOLVE;
          break;
        }
        case RESOLVE: {
          // Routed in the sender's realm; outward through each gateway NAT until found.
          let realm = tr.family === 4 ? tr.sender.host.realm : this.publicRealm;
          let from: VirtualNode = tr.sender.host;
          let node = realm.nodes.get(tr.dstKey) as VirtualNode | undefined;
          while (node === undefined) {
            const nat = realm.gateway as VirtualNat | undefined;
            if (!nat || tr.family !== 4) return this.drop(tr, Drop.NoRoute);
            const m = nat.outbound(tr.src, tr.srcKey * 65536 + tr.srcPort, tr.dstKey as number, tr.dstPort, t);
            if (!m) return this.drop(tr, Drop.Nat);
            tr.src = m.publicAddress;
            tr.srcKey = nat.publicKey;
            tr.srcPort = m.publicPort;
            from = nat;
            realm = nat.outside;
            node = realm.nodes.get(tr.dstKey) as VirtualNode | undefined;
          }
          tr.srcNode = from;
          tr.node = node;
          stage = PATH;
          break;
        }
        case PATH: {
          if (tr.srcNode !== tr.node) {
            const link = tr.srcNode.pathsOut?.get(tr.node) ?? this.defaultPath;
            if (!link.isIdle && (t = this.cross(link, tr, t, ARRIVE)) < 0) return;
          }
          stage = ARRIVE;
          break;
        }
        case ARRIVE: {
          // A NAT's state and a queue's order must be read at arrival time: wait in the heap.
          const node = tr.node;
          if (node.kind === 'nat' || node.down.queued) return this.schedule(tr, t, EVENT_EDGE);
          stage = DOWN;
          break;
        }
        case DOWN: {
          const link = (tr.node as VirtualHost).down;
          if (!link.isIdle && (t = this.cross(link, tr, t, DELIVER)) < 0) return;
          return this.schedule(tr, t, EVENT_DELIVER);
        }
        default:
          return this.schedule(tr, t, EVENT_DELIVER);
      }
    }
  }

  /** Passes a link: the time it leaves, or -1 when dropped. A duplicate goes on from `next`. */
  private cross(link: VirtualLink, tr: Transit, t: number, next: number): number {
    const reordered = link.counters.reordered;
    const at = link.transit(tr.size, t, this.rng);
    if (at < 0) {
      this.drop(tr, at === LINK_DROP_QUEUE ? Drop.Queue : Drop.Loss);
      return -1;
    }
    if (link.counters.reordered !== reordered) this.counters.reordered++;
    if (link.duplicated) {
      this.counters.duplicated++;
      const copy = this.pool.pop() ?? new Transit();
      copy.data = tr.data.slice(); // the receiver may keep (and a decryptor reuse) each buffer
      copy.size = tr.size;
      copy.sender = tr.sender;
      copy.family = tr.family;
      copy.src = tr.src;
      copy.srcKey = tr.srcKey;
      copy.srcPort = tr.srcPort;
      copy.dstKey = tr.dstKey;
      copy.dstPort = tr.dstPort;
      copy.srcNode = tr.srcNode;
      copy.node = tr.node;
      this.forward(copy, at + link.copyDelay(this.rng), next);
    }
    return at;
  }

  /** At a NAT (through it, possibly several nested) or a queued down link, at time `t`. */
  private arrive(tr: Transit, t: number): void {
    let node = tr.node;
    while (node.kind === 'nat') {
      const nat = node;
      // Its own public address as the source: a datagram from its inside (hairpinning, RFC 4787 6).
      if (tr.srcKey === nat.publicKey) {
        if (!nat.hairpinning) {
          nat.counters.droppedHairpin++;
          return this.drop(tr, Drop.Nat);
        }
        nat.counters.hairpinned++;
      }
      const m = nat.inbound(tr.dstPort, tr.srcKey, tr.srcPort, t);
      if (!m) return this.drop(tr, Drop.Nat);
      tr.dstKey = Math.floor(m.internalKey / 65536);
      tr.dstPort = m.internalKey % 65536;
      const inner = nat.inside.nodes.get(tr.dstKey) as VirtualNode | undefined;
      if (!inner) return this.drop(tr, Drop.NoRoute);
      node = inner;
    }
    tr.node = node;
    this.forward(tr, t, DOWN);
  }

  private deliver(tr: Transit): void {
    const host = tr.node as VirtualHost;
    const port = (tr.family === 4 ? host.ports4 : host.ports6).get(tr.dstPort) as VirtualPort | undefined;
    if (!port) return this.drop(tr, Drop.NoListener);
    if (port.enqueue(tr.data, tr.src)) this.dirty.push(port);
    this.counters.datagramsDelivered++;
    this.counters.bytesDelivered += tr.data.byteLength;
    this.release(tr);
  }

  private drop(tr: Transit, why: Drop): void {
    const c = this.counters;
    const pc = tr.sender.counters;
    switch (why) {
      case Drop.Loss:
        c.droppedLoss++;
        pc.droppedLoss++;
        break;
      case Drop.Queue:
        c.droppedQueue++;
        pc.droppedQueue++;
        break;
      case Drop.Nat:
        c.droppedNatFilter++;
        pc.droppedNatFilter++;
        break;
      case Drop.NoListener:
        c.droppedNoListener++;
        pc.droppedNoListener++;
        break;
      case Drop.NoRoute:
        c.droppedNoRoute++;
        pc.droppedNoRoute++;
        break;
    }
    this.release(tr);
  }

  private release(tr: Transit): void {
    // A pooled record must not keep a closed port, its host or a buffer alive.
    tr.data = EMPTY;
    tr.sender = undefined!;
    tr.src = undefined!;
    tr.srcNode = undefined!;
    tr.node = undefined!;
    if (this.pool.length < POOL_MAX) this.pool.push(tr);
  }

  // ---- the event heap and its one timer ----

  private schedule(tr: Transit, at: number, event: number): void {
    if (event === EVENT_DELIVER && this.tickMs > 0) at = Math.ceil(at / this.tickMs) * this.tickMs;
    tr.at = at;
    tr.seq = this.seq++;
    tr.event = event;
    this.heap.push(tr);
    if (at < this.timerAt && !this.dispatching) this.arm();
  }

  private arm(): void {
    const top = this.heap.peek();
    const at = top ? top.at : Infinity;
    if (at === this.timerAt) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = at;
    if (top) this.timer = this.clock.setTimer(at, this.onTimer);
  }

  /** Everything due: through NATs and queues, into ports; then one batch per port. */
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.dispatching = true;
    try {
      const now = this.clock.now();
      const heap = this.heap;
      for (let top = heap.peek(); top !== undefined && top.at <= now; top = heap.peek()) {
        heap.pop();
        if (top.event === EVENT_EDGE) this.arrive(top, top.at);
        else this.deliver(top);
      }
      const dirty = this.dirty;
      for (let i = 0; i < dirty.length; i++) {
        const p = dirty[i]!;
        if (p.closed) continue;
        this.counters.batches++;
        p.flush();
      }
      dirty.length = 0;
    } finally {
      this.dispatching = false;
      if (!this.closedFlag) this.arm();
    }
  };

  // ---- addresses ----

  private takeV4(realm: Realm, text: string | undefined): { key: number; bytes: Uint8Array } {
    if (text === undefined) {
      const key = realm.allocateV4();
      return { key, bytes: ip32Bytes(key) };
    }
    const bytes = parseIp(text, 4);
    const key = ip32(bytes);
    if (realm.nodes.has(key)) throw new TransportError(TransportErrorCode.InvalidOption, `address ${text} is taken`);
    return { key, bytes };
  }

  private noteText(text: string, host: VirtualHost): void {
    const known = this.byText.get(text);
    this.byText.set(text, known === undefined ? host : null);
  }

  private freePort(host: VirtualHost, family: 4 | 6): number {
    const ports = family === 4 ? host.ports4 : host.ports6;
    const span = 0x10000 - EPHEMERAL_PORT_FIRST;
    let p = family === 4 ? host.cursor4 : host.cursor6;
    for (let i = 0; i < span; i++) {
      const candidate = p;
      p = p >= 0xffff ? EPHEMERAL_PORT_FIRST : p + 1;
      if (!ports.has(candidate)) {
        if (family === 4) host.cursor4 = p;
        else host.cursor6 = p;
        return candidate;
      }
    }
    return -1;
  }
}

function parseIp(text: string, family: 4 | 6): Uint8Array {
  const a = socketAddressFromEndpoint({ address: text, port: 0, family });
  return a.ip;
}

function nonNegativeInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 0) throw new TransportError(TransportErrorCode.InvalidOption, `${name} must be an integer >= 0, got ${v}`);
  return v;
}
