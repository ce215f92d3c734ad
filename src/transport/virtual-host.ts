// A host on the virtual network: an IPv4 address in a realm (public, or behind a NAT), optionally
// a public IPv6 address, its access link in each direction, and the ports bound on it.
import type { VirtualLink } from './virtual-link.js';
import type { VirtualNat } from './virtual-nat.js';
import type { Realm, RealmNode } from './virtual-realm.js';

/** The first port `port: 0` picks (IANA dynamic range, RFC 6335). */
export const EPHEMERAL_PORT_FIRST = 49152;

/**
 * A port as its host holds it: the network only ever puts VirtualPorts here. Declared apart so
 * that host and port (which names its host) do not import each other.
 */
export interface HostedPort {
  readonly port: number;
}

export class VirtualHost implements RealmNode {
  readonly kind = 'host' as const;
  /** Ports bound on the IPv4 address, and on the IPv6 one. */
  readonly ports4 = new Map<number, HostedPort>();
  readonly ports6 = new Map<number, HostedPort>();
  /** Paths from this host to other nodes (see VirtualNetwork.setPath). */
  pathsOut: Map<RealmNode, VirtualLink> | undefined;
  /** Next port `port: 0` tries, per family. */
  cursor4 = EPHEMERAL_PORT_FIRST;
  cursor6 = EPHEMERAL_PORT_FIRST;

  constructor(
    readonly name: string,
    /** Its IPv4 address (text), within `realm`. */
    readonly ipv4: string,
    readonly ip4Key: number,
    readonly ip4Bytes: Uint8Array,
    readonly realm: Realm,
    /** Its public IPv6 address, if it has one. */
    readonly ipv6: string | undefined,
    readonly ip6Key: string | undefined,
    readonly ip6Bytes: Uint8Array | undefined,
    /** The access link towards the network, and from it. */
    readonly up: VirtualLink,
    readonly down: VirtualLink,
    /** The NAT it sits behind, if any. */
    readonly nat: VirtualNat | undefined,
  ) {}
}
