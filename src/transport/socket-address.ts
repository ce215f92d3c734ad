// A socket address as the engine holds it (the IP as bytes, the form RFC 7016 section 2.1.5
// puts on the wire, wire-reference A.6) and its text forms. It belongs to the transport layer:
// a DatagramTransport reports each datagram's source as a SocketAddress and sends to one, and
// only the UDP transport ever converts to and from node:dgram's strings.
import { TransportError, TransportErrorCode } from './transport-error.js';

/** Where an address came from (RFC 7016 section 2.1.5; wire-reference A.6). */
export const AddressOrigin = {
  Unknown: 0,
  /** A local/LAN address the peer reported about itself. */
  Reported: 1,
  /** The public address as the sender observed it. */
  Observed: 2,
  /** Relay/redirect; Mona and librtmfp use it for "the server's address". */
  Relay: 3,
} as const;
export type AddressOrigin = (typeof AddressOrigin)[keyof typeof AddressOrigin];

/** A decoded socket address. `ip` is 4 or 16 bytes in network order (a view when decoded). */
export interface SocketAddress {
  family: 4 | 6;
  ip: Uint8Array;
  port: number;
  origin: AddressOrigin;
}

/** The node:dgram view of an address: text form plus port. */
export interface UdpEndpoint {
  address: string;
  port: number;
  family: 4 | 6;
  origin: AddressOrigin;
}

/** Text form of the IP only: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as ::). */
export function formatIp(a: Pick<SocketAddress, 'family' | 'ip'>): string {
  const b = a.ip;
  if (a.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952 section 4.2: compress the longest run (first if tied) of two or more zero words.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** `127.0.0.1:1935` or `[::1]:1935`. */
export function formatSocketAddress(a: SocketAddress): string {
  return a.family === 6 ? `[${formatIp(a)}]:${a.port}` : `${formatIp(a)}:${a.port}`;
}

export function socketAddressToEndpoint(a: SocketAddress): UdpEndpoint {
  return { address: formatIp(a), port: a.port, family: a.family, origin: a.origin };
}

/**
 * Builds a SocketAddress from node:dgram's `{address, port}` (rinfo). `family` may be given as
 * 4/6 or 'IPv4'/'IPv6'; when absent it is inferred from the text. IPv6 zone IDs (`%eth0`) are
 * dropped because the wire format has no room for them.
 */
export function socketAddressFromEndpoint(e: {
  address: string;
  port: number;
  family?: 4 | 6 | 'IPv4' | 'IPv6';
  origin?: AddressOrigin;
}): SocketAddress {
  const text = e.address;
  const fam = e.family === 'IPv4' ? 4 : e.family === 'IPv6' ? 6 : e.family ?? (text.includes(':') ? 6 : 4);
  const ip = fam === 4 ? parseIpv4(text) : parseIpv6(text);
  if (!Number.isInteger(e.port) || e.port < 0 || e.port > 0xffff) {
    throw new TransportError(TransportErrorCode.Address, `port ${e.port} out of range`);
  }
  return { family: fam, ip, port: e.port, origin: e.origin ?? AddressOrigin.Unknown };
}

function badIp(text: string): TransportError {
  return new TransportError(TransportErrorCode.Address, `not an IP address: ${JSON.stringify(text)}`);
}

function parseIpv4(text: string, out = new Uint8Array(4), at = 0): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4) throw badIp(text);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) throw badIp(text);
    const v = Number(p);
    if (v > 255) throw badIp(text);
    out[at + i] = v;
  }
  return out;
}

function parseIpv6(input: string): Uint8Array {
  let text = input;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const out = new Uint8Array(16);
  const halves = text.split('::');
  if (halves.length > 2) throw badIp(input);
  const parseHalf = (s: string): number[] => {
    if (s === '') return [];
    const groups = s.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw badIp(input);
        words.push(parseInt(g, 16));
      }
    }
    return words;
  };
  const head = parseHalf(halves[0]!);
  const tail = halves.length === 2 ? parseHalf(halves[1]!) : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) throw badIp(input);
  const words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  return out;
}

/** Byte-wise equality of two addresses (family, ip, port; origin ignored). */
export function sameSocketAddress(a: SocketAddress, b: SocketAddress): boolean {
  if (a.family !== b.family || a.port !== b.port || a.ip.length !== b.ip.length) return false;
  for (let i = 0; i < a.ip.length; i++) if (a.ip[i] !== b.ip[i]) return false;
  return true;
}
