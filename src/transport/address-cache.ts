// node:dgram speaks IP strings; the engine speaks SocketAddress (bytes). Converting per datagram
// cost a parse per received packet and a format per sent one (performance-baselines: parseIpv4
// and an IP string per send were both in the relay's profile). This cache converts once per peer:
// a received (address, port) pair always maps to the same interned SocketAddress object, and the
// text of any SocketAddress object is formatted once and remembered with it.
import type { RemoteInfo } from 'node:dgram';
import { AddressOrigin, formatIp, socketAddressFromEndpoint, type SocketAddress } from './socket-address.js';

/**
 * Most interned addresses kept. A flood of spoofed sources cannot grow the cache beyond this:
 * when full, it is emptied and refilled by whoever is still talking (correct either way, since
 * an address not in the cache is simply parsed again).
 */
export const ADDRESS_CACHE_MAX_ENTRIES = 16_384;

export class AddressCache {
  /** address text -> port -> interned SocketAddress. */
  private byText = new Map<string, Map<number, SocketAddress>>();
  private entries = 0;
  private readonly text = new WeakMap<SocketAddress, string>();
  private readonly maxEntries: number;

  constructor(maxEntries = ADDRESS_CACHE_MAX_ENTRIES) {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.entries;
  }

  /** The interned address of a datagram's source (origin Observed: we saw it, RFC 7016 2.1.5). */
  fromRemoteInfo(r: RemoteInfo): SocketAddress {
    return this.intern(r.address, r.port, AddressOrigin.Observed, r.family === 'IPv6' ? 6 : 4);
  }

  intern(address: string, port: number, origin: AddressOrigin = AddressOrigin.Observed, family?: 4 | 6): SocketAddress {
    let ports = this.byText.get(address);
    const hit = ports?.get(port);
    if (hit) return hit;
    if (this.entries >= this.maxEntries) {
      this.byText = new Map();
      this.entries = 0;
      ports = undefined;
    }
    const a = socketAddressFromEndpoint({ address, port, origin, ...(family !== undefined ? { family } : {}) });
    if (!ports) {
      ports = new Map();
      this.byText.set(address, ports);
    }
    ports.set(port, a);
    this.entries++;
    // node reports IPv4-mapped and zone-scoped sources in the form it accepts back.
    this.text.set(a, address);
    return a;
  }

  /** The text form node:dgram takes, formatted once per address object. */
  textOf(a: SocketAddress): string {
    let t = this.text.get(a);
    if (t === undefined) {
      t = formatIp(a);
      this.text.set(a, t);
    }
    return t;
  }
}
