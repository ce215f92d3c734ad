// The addresses a NetConnection reports with `setPeerInfo` (wire-reference E.4, B.6) so that the
// server can introduce peers to it (RFC 7016 3.5.1.4-3.5.1.6, wire-reference B.5): the server
// already knows the address it sees us at; these add the addresses a peer on our own network can
// reach directly.
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/**
 * Most addresses reported. The server keeps the same number (server-client MAX_PEER_INFO_ADDRESSES);
 * a peer retries every address it learns, so a long list only costs IHellos.
 */
export const MAX_PEER_INFO_ADDRESSES = 16;

export interface BoundAddress {
  address: string;
  port: number;
  family: 4 | 6;
}

/** "a.b.c.d:port" or "[v6]:port": the string form of a setPeerInfo argument (librtmfp's form, B.6). */
export function formatPeerAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * What to report for a socket bound to `bound`. A socket bound to one address reports that
 * address. A socket bound to the unspecified address reports every interface address it can
 * receive on, as Flash and librtmfp do (B.6): IPv4 for 0.0.0.0, IPv4 and IPv6 for `::`. Loopback
 * addresses are left out (useless off-box, and the server's observed address already covers a
 * peer on the same host), as are IPv6 link-local ones (unusable without a scope ID).
 */
export function peerInfoAddresses(
  bound: BoundAddress,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
  max: number = MAX_PEER_INFO_ADDRESSES,
): string[] {
  const unspecified = bound.address === '0.0.0.0' || bound.address === '::';
  if (!unspecified) return [formatPeerAddress(bound.address, bound.port)];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (out.length >= max) return out;
      if (info.internal) continue;
      const v6 = info.family === 'IPv6';
      if (v6 && bound.family === 4) continue;
      if (v6 && /^fe[89ab]/i.test(info.address)) continue;
      const text = formatPeerAddress(info.address, bound.port);
      if (seen.has(text)) continue;
      seen.add(text);
      out.push(text);
    }
  }
  return out;
}
