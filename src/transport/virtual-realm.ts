// Address realms of the virtual network (RFC 2663 terms): the public internet is one realm, the
// inside of each NAT another. An address means something only within its realm, so two hosts
// behind different NATs may both be 192.168.0.2. A datagram is routed in its sender's realm; an
// address not found there goes out through the realm's gateway NAT to the realm outside it.
// IPv6 has one realm (the public one): the NATs here are IPv4 NATs (RFC 4787).
import type { SocketAddress } from './socket-address.js';

/** A v4 address as a number (ip32); a v6 address as its text. */
export type IpKey = number | string;

/** Something that owns an address in a realm: a host, or a NAT by its public address. */
export interface RealmNode {
  readonly kind: 'host' | 'nat';
}

export class Realm<N extends RealmNode = RealmNode> {
  /** The nodes of this realm by address. */
  readonly nodes = new Map<IpKey, N>();
  /** Next address handed out automatically (ip32). */
  nextAuto: number;

  constructor(
    readonly id: number,
    /** The NAT this realm is the inside of (undefined: the public realm). */
    readonly gateway: (N & RealmNode) | undefined,
    firstAuto: number,
  ) {
    this.nextAuto = firstAuto;
  }

  /** A free v4 address (skipping .0 and .255 in the last octet). */
  allocateV4(): number {
    for (;;) {
      const ip = this.nextAuto >>> 0;
      this.nextAuto = (this.nextAuto + 1) >>> 0;
      const last = ip & 0xff;
      if (last === 0 || last === 255 || this.nodes.has(ip)) continue;
      return ip;
    }
  }
}

export function ip32(ip: Uint8Array): number {
  return ((ip[0]! << 24) | (ip[1]! << 16) | (ip[2]! << 8) | ip[3]!) >>> 0;
}

export function ip32Bytes(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** The key of an address's IP for realm lookups. */
export function ipKeyOf(a: Pick<SocketAddress, 'family' | 'ip'>): IpKey {
  return a.family === 4 ? ip32(a.ip) : ip6Key(a.ip);
}

/** The realm key of a 16-byte IPv6 address (32 hex digits). */
export function ip6Key(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
}
