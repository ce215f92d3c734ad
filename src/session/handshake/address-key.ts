// Map keys for socket addresses: family, IP bytes and port (the origin bits are not part of an
// endpoint's identity; wire-reference A.6), and coarser keys for what one host or one network
// controls: the IP without the port, and for IPv6 the /64 (one subscriber's or one LAN's prefix,
// RFC 4291 section 2.5.4 / RFC 6177), so a spoofed victim is not a fresh key on each port or each
// address of its prefix.
import type { SocketAddress } from '../../wire/address.js';
import { toHex } from '../../crypto/hex.js';

export function addressKey(a: SocketAddress): string {
  return `${a.family}/${toHex(a.ip)}/${a.port}`;
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 2.5.5.2), as a dual-stack socket reports IPv4 peers. */
function isV4Mapped(a: SocketAddress): boolean {
  if (a.family !== 6 || a.ip.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (a.ip[i] !== 0) return false;
  return a.ip[10] === 0xff && a.ip[11] === 0xff;
}

/** The IP alone (any port). IPv4-mapped IPv6 addresses key as the IPv4 address they carry. */
export function hostKey(a: SocketAddress): string {
  if (isV4Mapped(a)) return `4/${toHex(a.ip.subarray(12))}`;
  return `${a.family}/${toHex(a.ip)}`;
}

/** The IPv6 /64 an address belongs to; undefined for IPv4 (and IPv4-mapped) addresses. */
export function prefixKey(a: SocketAddress): string | undefined {
  if (a.family !== 6 || a.ip.length !== 16 || isV4Mapped(a)) return undefined;
  return `6/${toHex(a.ip.subarray(0, 8))}/64`;
}

/** What one unverified sender is assumed to control: its IPv4 address, or its IPv6 /64. */
export function networkKey(a: SocketAddress): string {
  return prefixKey(a) ?? hostKey(a);
}

/** 0.0.0.0:0 / [::]:0 and port 0: Mona's "peer gone" placeholder (B.6), never a destination. */
export function isUnroutable(a: SocketAddress): boolean {
  if (a.port === 0) return true;
  for (let i = 0; i < a.ip.length; i++) if (a.ip[i] !== 0) return false;
  return true;
}

/** A copy that owns its IP bytes (decoded addresses are views into packet buffers). */
export function ownAddress(a: SocketAddress, origin = a.origin): SocketAddress {
  return { family: a.family, ip: a.ip.slice(), port: a.port, origin };
}
