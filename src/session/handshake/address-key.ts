// Map keys for socket addresses: family, IP bytes and port (the origin bits are not part of an
// endpoint's identity; wire-reference A.6).
import type { SocketAddress } from '../../wire/address.js';
import { toHex } from '../../crypto/hex.js';

export function addressKey(a: SocketAddress): string {
  return `${a.family}/${toHex(a.ip)}/${a.port}`;
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
