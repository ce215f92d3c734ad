// RFC 7016 section 2.1.5 socket address: flags(1) | IPv4 (4) or IPv6 (16) address | port (2).
// wire-reference A.6.
import { WireError, WireErrorCode } from './errors.js';
import { AddressOrigin, type SocketAddress } from '../transport/socket-address.js';
import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';

/** Flag bit meaning the address is IPv6 (16 bytes) rather than IPv4 (4 bytes). */
export const ADDRESS_FLAG_IPV6 = 0x80;
/** The low two bits carry the origin. */
export const ADDRESS_ORIGIN_MASK = 0x03;

/** Encoded size of an address: 1 + 4 + 2 or 1 + 16 + 2. */
export function socketAddressLength(a: Pick<SocketAddress, 'family'>): number {
  return a.family === 6 ? 19 : 7;
}

/**
 * Reads one socket address. Flag bits other than IPv6 and origin are reserved (A.6 says they
 * are 0); they are ignored on receipt so a future sender does not make us drop the packet.
 */
export function readSocketAddress(r: ByteReader): SocketAddress {
  const flags = r.u8();
  const family = (flags & ADDRESS_FLAG_IPV6) !== 0 ? 6 : 4;
  const ip = r.bytes(family === 6 ? 16 : 4);
  const port = r.u16();
  return { family, ip, port, origin: (flags & ADDRESS_ORIGIN_MASK) as AddressOrigin };
}

export function writeSocketAddress(w: ByteWriter, a: SocketAddress): ByteWriter {
  const want = a.family === 6 ? 16 : a.family === 4 ? 4 : -1;
  if (want < 0 || a.ip.length !== want) {
    throw new WireError(WireErrorCode.Unencodable, `IPv${a.family} address needs ${want} bytes, got ${a.ip.length}`);
  }
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 0xffff) {
    throw new WireError(WireErrorCode.Unencodable, `port ${a.port} out of range`);
  }
  if (!Number.isInteger(a.origin) || a.origin < 0 || a.origin > 3) {
    throw new WireError(WireErrorCode.Unencodable, `origin ${a.origin} out of range`);
  }
  w.u8((a.family === 6 ? ADDRESS_FLAG_IPV6 : 0) | a.origin);
  w.bytes(a.ip);
  w.u16(a.port);
  return w;
}

/** Decodes exactly one address occupying all of `bytes`. */
export function decodeSocketAddress(bytes: Uint8Array): SocketAddress {
  const r = new ByteReader(bytes);
  const a = readSocketAddress(r);
  if (!r.atEnd()) throw new WireError(WireErrorCode.Malformed, `${r.remaining} bytes after address`, r.pos);
  return a;
}

export function encodeSocketAddress(a: SocketAddress): Uint8Array {
  const w = new ByteWriter(new Uint8Array(socketAddressLength(a)));
  writeSocketAddress(w, a);
  return w.buf;
}

// The address type and its text forms live with the transport (the layer below the codecs),
// which converts node:dgram's strings once per peer; re-exported here for the codecs' users.
export {
  AddressOrigin,
  formatIp,
  formatSocketAddress,
  sameSocketAddress,
  socketAddressFromEndpoint,
  socketAddressToEndpoint,
  type SocketAddress,
  type UdpEndpoint,
} from '../transport/socket-address.js';
