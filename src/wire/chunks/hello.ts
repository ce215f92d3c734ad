// Hello-phase chunks (RFC 7016 sections 2.3.2-2.3.5 and 2.3.9; wire-reference A.8, B.1, B.5):
// IHello 0x30, Forwarded IHello 0x0f, RHello 0x70, Redirect 0x71, RHello Cookie Change 0x79.
import { readSocketAddress, SocketAddress, socketAddressLength, writeSocketAddress } from '../address.js';
import { MAX_EPD_LENGTH } from '../epd.js';
import { WireError, WireErrorCode } from '../errors.js';
import { ByteReader } from '../reader.js';
import { ByteWriter, vluLength } from '../writer.js';
import { ChunkType } from '../chunk-type.js';
import {
  checkEncodable,
  MAX_CERTIFICATE_LENGTH,
  MAX_COOKIE_LENGTH,
  MAX_REDIRECT_ADDRESSES,
  MAX_TAG_LENGTH,
  restWithin,
} from './limits.js';

/** IHello: `epdLength, epd, tag(rest)`. Byte fields are views into the decoded packet. */
export interface IHelloChunk {
  type: typeof ChunkType.IHello;
  /** The raw endpoint discriminator (decode with `decodeEpd`). */
  epd: Uint8Array;
  tag: Uint8Array;
}

/** Forwarded IHello: `epdLength, epd, replyAddress, tag(rest)` (B.5). */
export interface ForwardedIHelloChunk {
  type: typeof ChunkType.ForwardedIHello;
  epd: Uint8Array;
  /** The initiator's address as the forwarder observed it. */
  replyAddress: SocketAddress;
  tag: Uint8Array;
}

/** RHello: `tagLength, tagEcho, cookieLength, cookie, responderCertificate(rest)`. */
export interface RHelloChunk {
  type: typeof ChunkType.RHello;
  tagEcho: Uint8Array;
  cookie: Uint8Array;
  responderCertificate: Uint8Array;
}

/** Responder Redirect: `tagLength, tagEcho, address*(rest)`; no addresses = "retry where this came from". */
export interface RedirectChunk {
  type: typeof ChunkType.Redirect;
  tagEcho: Uint8Array;
  redirectDestinations: SocketAddress[];
}

/** RHello Cookie Change: `oldCookieLength, oldCookie, newCookie(rest)` (RFC 7016 section 3.5.1.2). */
export interface CookieChangeChunk {
  type: typeof ChunkType.CookieChange;
  oldCookie: Uint8Array;
  newCookie: Uint8Array;
}

export function decodeIHelloBody(body: Uint8Array): IHelloChunk {
  const r = new ByteReader(body);
  const epd = r.vluField(MAX_EPD_LENGTH);
  const tag = restWithin(r, MAX_TAG_LENGTH, 'tag');
  return { type: ChunkType.IHello, epd, tag };
}

export function iHelloBodyLength(c: IHelloChunk): number {
  return vluLength(c.epd.length) + c.epd.length + c.tag.length;
}

export function writeIHelloBody(w: ByteWriter, c: IHelloChunk): void {
  checkEncodable(c.epd, MAX_EPD_LENGTH, 'EPD');
  checkEncodable(c.tag, MAX_TAG_LENGTH, 'tag');
  w.vluField(c.epd).bytes(c.tag);
}

export function decodeForwardedIHelloBody(body: Uint8Array): ForwardedIHelloChunk {
  const r = new ByteReader(body);
  const epd = r.vluField(MAX_EPD_LENGTH);
  const replyAddress = readSocketAddress(r);
  const tag = restWithin(r, MAX_TAG_LENGTH, 'tag');
  return { type: ChunkType.ForwardedIHello, epd, replyAddress, tag };
}

export function forwardedIHelloBodyLength(c: ForwardedIHelloChunk): number {
  return vluLength(c.epd.length) + c.epd.length + socketAddressLength(c.replyAddress) + c.tag.length;
}

export function writeForwardedIHelloBody(w: ByteWriter, c: ForwardedIHelloChunk): void {
  checkEncodable(c.epd, MAX_EPD_LENGTH, 'EPD');
  checkEncodable(c.tag, MAX_TAG_LENGTH, 'tag');
  w.vluField(c.epd);
  writeSocketAddress(w, c.replyAddress);
  w.bytes(c.tag);
}

export function decodeRHelloBody(body: Uint8Array): RHelloChunk {
  const r = new ByteReader(body);
  const tagEcho = r.vluField(MAX_TAG_LENGTH);
  const cookie = r.vluField(MAX_COOKIE_LENGTH);
  const responderCertificate = restWithin(r, MAX_CERTIFICATE_LENGTH, 'certificate');
  return { type: ChunkType.RHello, tagEcho, cookie, responderCertificate };
}

export function rHelloBodyLength(c: RHelloChunk): number {
  return vluLength(c.tagEcho.length) + c.tagEcho.length + vluLength(c.cookie.length) + c.cookie.length + c.responderCertificate.length;
}

export function writeRHelloBody(w: ByteWriter, c: RHelloChunk): void {
  checkEncodable(c.tagEcho, MAX_TAG_LENGTH, 'tag');
  checkEncodable(c.cookie, MAX_COOKIE_LENGTH, 'cookie');
  checkEncodable(c.responderCertificate, MAX_CERTIFICATE_LENGTH, 'certificate');
  w.vluField(c.tagEcho).vluField(c.cookie).bytes(c.responderCertificate);
}

export function decodeRedirectBody(body: Uint8Array): RedirectChunk {
  const r = new ByteReader(body);
  const tagEcho = r.vluField(MAX_TAG_LENGTH);
  const redirectDestinations: SocketAddress[] = [];
  while (!r.atEnd()) {
    if (redirectDestinations.length >= MAX_REDIRECT_ADDRESSES) {
      throw new WireError(WireErrorCode.Limit, `more than ${MAX_REDIRECT_ADDRESSES} redirect addresses`, r.pos);
    }
    redirectDestinations.push(readSocketAddress(r));
  }
  return { type: ChunkType.Redirect, tagEcho, redirectDestinations };
}

export function redirectBodyLength(c: RedirectChunk): number {
  let n = vluLength(c.tagEcho.length) + c.tagEcho.length;
  for (const a of c.redirectDestinations) n += socketAddressLength(a);
  return n;
}

export function writeRedirectBody(w: ByteWriter, c: RedirectChunk): void {
  checkEncodable(c.tagEcho, MAX_TAG_LENGTH, 'tag');
  if (c.redirectDestinations.length > MAX_REDIRECT_ADDRESSES) {
    throw new WireError(WireErrorCode.Unencodable, `more than ${MAX_REDIRECT_ADDRESSES} redirect addresses`);
  }
  w.vluField(c.tagEcho);
  for (const a of c.redirectDestinations) writeSocketAddress(w, a);
}

export function decodeCookieChangeBody(body: Uint8Array): CookieChangeChunk {
  const r = new ByteReader(body);
  const oldCookie = r.vluField(MAX_COOKIE_LENGTH);
  const newCookie = restWithin(r, MAX_COOKIE_LENGTH, 'cookie');
  return { type: ChunkType.CookieChange, oldCookie, newCookie };
}

export function cookieChangeBodyLength(c: CookieChangeChunk): number {
  return vluLength(c.oldCookie.length) + c.oldCookie.length + c.newCookie.length;
}

export function writeCookieChangeBody(w: ByteWriter, c: CookieChangeChunk): void {
  checkEncodable(c.oldCookie, MAX_COOKIE_LENGTH, 'cookie');
  checkEncodable(c.newCookie, MAX_COOKIE_LENGTH, 'cookie');
  w.vluField(c.oldCookie).bytes(c.newCookie);
}
