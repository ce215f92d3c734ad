// A NAT on the virtual network with the behaviours RFC 4787 names, so NAT traversal (RTMFP
// introductions and hole punching, RFC 7016 3.5.1.5-3.5.1.6) can be tested against each kind:
//   mapping (4.1):   which outbound flows share one public (ip, port): endpoint-independent,
//                    address-dependent, address-and-port-dependent ("symmetric");
//   filtering (5):   which inbound datagrams a mapping lets through: from anyone, from an IP the
//                    inside sent to, from an (ip, port) the inside sent to;
//   timeout (4.3):   a mapping (and each filter permission) lives mappingTimeoutMs after the last
//                    outbound datagram (REQ-5: at least 2 minutes by default; inbound refresh
//                    optional, REQ-6);
//   hairpinning (6): inside to inside through the public address, seen from the public mapping.
// State is touched lazily (expiry is checked when a mapping is used) plus an amortized sweep, so
// an idle NAT costs nothing per tick.
import { TransportError, TransportErrorCode } from './transport-error.js';
import type { SocketAddress } from './socket-address.js';
import type { Realm, RealmNode } from './virtual-realm.js';
import type { VirtualLink } from './virtual-link.js';
import type { SeededRandom } from '../time/seeded-random.js';

/** RFC 4787 behaviours, for mapping (section 4.1) and for filtering (section 5). */
export const NatBehavior = {
  EndpointIndependent: 'endpoint-independent',
  AddressDependent: 'address-dependent',
  AddressAndPortDependent: 'address-and-port-dependent',
} as const;
export type NatBehavior = (typeof NatBehavior)[keyof typeof NatBehavior];

/** How a new mapping's public port is chosen (RFC 4787 4.2.1 port preservation, or not). */
export type NatPortAllocation = 'preserve' | 'sequential' | 'random';

export interface NatOptions {
  /** Default endpoint-independent (RFC 4787 REQ-1). */
  mapping?: NatBehavior;
  /** Default address-and-port-dependent (the common "port-restricted cone"). */
  filtering?: NatBehavior;
  /** Default 120,000 ms (REQ-5). */
  mappingTimeoutMs?: number;
  /** Inbound datagrams refresh the mapping too (REQ-6 allows either). Default false. */
  inboundRefresh?: boolean;
  /** Default true (REQ-9). */
  hairpinning?: boolean;
  /** Default 'sequential'. */
  portAllocation?: NatPortAllocation;
  /** Public ports handed out, inclusive. Default [1024, 65535]. */
  portRange?: readonly [number, number];
}

/** What a NAT did. Live object. */
export class VirtualNatCounters {
  mappingsCreated = 0;
  mappingsExpired = 0;
  translatedOut = 0;
  translatedIn = 0;
  hairpinned = 0;
  /** Inbound datagrams for a public port with no live mapping. */
  droppedNoMapping = 0;
  /** Inbound datagrams the filter refused. */
  droppedFiltered = 0;
  /** Hairpin datagrams refused because hairpinning is off. */
  droppedHairpin = 0;
  /** Outbound datagrams dropped because no public port was free. */
  droppedNoPort = 0;
}

/** One mapping: an inside endpoint (and, when mapping depends on it, a remote) to a public port. */
export class NatMapping {
  lastRefresh: number;
  /** Filter permissions (ADF: remote ip32; APDF: ip32 * 65536 + port) -> last outbound time. */
  readonly permits = new Map<number, number>();
  permitsPruneAt = 32;

  constructor(
    /** The inside endpoint, interned in the inside realm. */
    readonly internal: SocketAddress,
    readonly internalKey: number,
    /** The remote the mapping depends on (ip32 or ip32 * 65536 + port), -1 when independent. */
    readonly remoteKey: number,
    readonly publicPort: number,
    /** The public endpoint, interned in the outside realm: what remotes see as the source. */
    readonly publicAddress: SocketAddress,
    now: number,
  ) {
    this.lastRefresh = now;
  }
}

/** What a NAT needs from its network. */
export interface NatContext {
  readonly rng: SeededRandom;
  intern(realm: Realm, family: 4 | 6, ip: Uint8Array, port: number): SocketAddress;
}

export class VirtualNat implements RealmNode {
  readonly kind = 'nat' as const;
  readonly mapping: NatBehavior;
  readonly filtering: NatBehavior;
  readonly mappingTimeoutMs: number;
  readonly inboundRefresh: boolean;
  hairpinning: boolean;
  readonly portAllocation: NatPortAllocation;
  readonly counters = new VirtualNatCounters();
  /** Paths from this NAT's public address to other nodes (see VirtualNetwork.setPath). */
  pathsOut: Map<RealmNode, VirtualLink> | undefined;
  /** The realm behind the NAT (set by the network right after construction). */
  inside!: Realm;

  /** Endpoint-independent mapping: inside key -> mapping. */
  private readonly byInternal = new Map<number, NatMapping>();
  /** Dependent mapping: inside key -> remote key -> mapping. */
  private readonly byInternalRemote = new Map<number, Map<number, NatMapping>>();
  private readonly byPublicPort = new Map<number, NatMapping>();
  private readonly portLow: number;
  private readonly portHigh: number;
  private portCursor: number;
  private sweepAt = 64;

  constructor(
    private readonly ctx: NatContext,
    /** The public IPv4 address as ip32, in `outside`. */
    readonly publicKey: number,
    readonly publicIp: string,
    readonly publicIpBytes: Uint8Array,
    /** The realm the public address lives in. */
    readonly outside: Realm,
    options: NatOptions,
  ) {
    this.mapping = behavior('mapping', options.mapping, NatBehavior.EndpointIndependent);
    this.filtering = behavior('filtering', options.filtering, NatBehavior.AddressAndPortDependent);
    const timeout = options.mappingTimeoutMs ?? 120_000;
    if (!(timeout > 0)) throw new TransportError(TransportErrorCode.InvalidOption, `mappingTimeoutMs must be > 0, got ${timeout}`);
    this.mappingTimeoutMs = timeout;
    this.inboundRefresh = options.inboundRefresh ?? false;
    this.hairpinning = options.hairpinning ?? true;
    this.portAllocation = options.portAllocation ?? 'sequential';
    if (!['preserve', 'sequential', 'random'].includes(this.portAllocation)) {
      throw new TransportError(TransportErrorCode.InvalidOption, `portAllocation must be preserve, sequential or random, got ${String(this.portAllocation)}`);
    }
    const [lo, hi] = options.portRange ?? [1024, 65535];
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi <= 65535 && lo <= hi)) {
      throw new TransportError(TransportErrorCode.InvalidOption, `portRange must be [lo, hi] within 1..65535, got [${lo}, ${hi}]`);
    }
    this.portLow = lo;
    this.portHigh = hi;
    this.portCursor = lo;
  }

  /** Live mappings (expired ones not yet swept included). */
  get mappingCount(): number {
    return this.byPublicPort.size;
  }

  /**
   * The public port an inside endpoint sending to `remote` would use now, or undefined. Reading
   * it refreshes nothing (tests and tools).
   */
  publicPortFor(internalKey: number, remoteIp32: number, remotePort: number, now: number): number | undefined {
    const m = this.find(internalKey, this.mappingRemoteKey(remoteIp32, remotePort), now);
    return m?.publicPort;
  }

  /**
   * An outbound datagram from inside endpoint `internal` (key ip32 * 65536 + port) to remote
   * (ip32, port) at time `now`: the mapping it leaves through (created or refreshed), or
   * undefined when no public port is free (counted).
   */
  outbound(internal: SocketAddress, internalKey: number, remoteIp32: number, remotePort: number, now: number): NatMapping | undefined {
    const remoteKey = this.mappingRemoteKey(remoteIp32, remotePort);
    let m = this.find(internalKey, remoteKey, now);
    if (!m) {
      let port = this.allocatePort(internal.port);
      if (port < 0) {
        this.sweep(now);
        port = this.allocatePort(internal.port);
      }
      if (port < 0) {
        this.counters.droppedNoPort++;
        return undefined;
      }
      const pub = this.ctx.intern(this.outside, 4, this.publicIpBytes, port);
      m = new NatMapping(internal, internalKey, remoteKey, port, pub, now);
      this.byPublicPort.set(port, m);
      if (remoteKey < 0) this.byInternal.set(internalKey, m);
      else {
        let byRemote = this.byInternalRemote.get(internalKey);
        if (!byRemote) this.byInternalRemote.set(internalKey, (byRemote = new Map()));
        byRemote.set(remoteKey, m);
      }
      this.counters.mappingsCreated++;
      if (this.byPublicPort.size >= this.sweepAt) this.sweep(now);
    }
    m.lastRefresh = now;
    if (this.filtering !== NatBehavior.EndpointIndependent) {
      const permit = this.filtering === NatBehavior.AddressDependent ? remoteIp32 : remoteIp32 * 65536 + remotePort;
      m.permits.set(permit, now);
      if (m.permits.size >= m.permitsPruneAt) this.prunePermits(m, now);
    }
    this.counters.translatedOut++;
    return m;
  }

  /**
   * An inbound datagram to public `port` from (ip32, port) at `now`: the mapping it goes to, or
   * undefined when there is none or the filter refuses it (counted).
   */
  inbound(publicPort: number, fromIp32: number, fromPort: number, now: number): NatMapping | undefined {
    const m = this.byPublicPort.get(publicPort);
    if (!m || this.expired(m, now)) {
      if (m) this.remove(m);
      this.counters.droppedNoMapping++;
      return undefined;
    }
    if (this.filtering !== NatBehavior.EndpointIndependent) {
      const permit = this.filtering === NatBehavior.AddressDependent ? fromIp32 : fromIp32 * 65536 + fromPort;
      const t = m.permits.get(permit);
      if (t === undefined || now - t >= this.mappingTimeoutMs) {
        this.counters.droppedFiltered++;
        return undefined;
      }
    }
    if (this.inboundRefresh) m.lastRefresh = now;
    this.counters.translatedIn++;
    return m;
  }

  /** Removes every mapping (a NAT reboot). */
  reset(): void {
    this.byInternal.clear();
    this.byInternalRemote.clear();
    this.byPublicPort.clear();
  }

  private mappingRemoteKey(ip: number, port: number): number {
    return this.mapping === NatBehavior.EndpointIndependent ? -1 : this.mapping === NatBehavior.AddressDependent ? ip : ip * 65536 + port;
  }

  private find(internalKey: number, remoteKey: number, now: number): NatMapping | undefined {
    const m = remoteKey < 0 ? this.byInternal.get(internalKey) : this.byInternalRemote.get(internalKey)?.get(remoteKey);
    if (m && this.expired(m, now)) {
      this.remove(m);
      return undefined;
    }
    return m;
  }

  private expired(m: NatMapping, now: number): boolean {
    return now - m.lastRefresh >= this.mappingTimeoutMs;
  }

  private remove(m: NatMapping): void {
    if (this.byPublicPort.get(m.publicPort) === m) this.byPublicPort.delete(m.publicPort);
    if (m.remoteKey < 0) {
      if (this.byInternal.get(m.internalKey) === m) this.byInternal.delete(m.internalKey);
    } else {
      const byRemote = this.byInternalRemote.get(m.internalKey);
      if (byRemote?.get(m.remoteKey) === m) {
        byRemote.delete(m.remoteKey);
        if (byRemote.size === 0) this.byInternalRemote.delete(m.internalKey);
      }
    }
    this.counters.mappingsExpired++;
  }

  /** Drops expired mappings; runs when the table doubles, so its cost is amortized per mapping. */
  private sweep(now: number): void {
    for (const m of [...this.byPublicPort.values()]) if (this.expired(m, now)) this.remove(m);
    this.sweepAt = Math.max(64, this.byPublicPort.size * 2);
  }

  private prunePermits(m: NatMapping, now: number): void {
    for (const [k, t] of m.permits) if (now - t >= this.mappingTimeoutMs) m.permits.delete(k);
    m.permitsPruneAt = Math.max(32, m.permits.size * 2);
  }

  private allocatePort(internalPort: number): number {
    const lo = this.portLow;
    const span = this.portHigh - lo + 1;
    if (this.byPublicPort.size >= span) return -1;
    if (this.portAllocation === 'preserve' && internalPort >= lo && internalPort <= this.portHigh && !this.byPublicPort.has(internalPort)) return internalPort;
    if (this.portAllocation === 'random') {
      for (let i = 0; i < 16; i++) {
        const p = lo + this.ctx.rng.int(span);
        if (!this.byPublicPort.has(p)) return p;
      }
    }
    for (let i = 0; i < span; i++) {
      const p = this.portCursor;
      this.portCursor = p >= this.portHigh ? lo : p + 1;
      if (!this.byPublicPort.has(p)) return p;
    }
    return -1;
  }
}

function behavior(name: string, v: NatBehavior | undefined, dflt: NatBehavior): NatBehavior {
  if (v === undefined) return dflt;
  if (v !== NatBehavior.EndpointIndependent && v !== NatBehavior.AddressDependent && v !== NatBehavior.AddressAndPortDependent) {
    throw new TransportError(TransportErrorCode.InvalidOption, `${name} must be one of ${Object.values(NatBehavior).join(', ')}, got ${String(v)}`);
  }
  return v;
}
