// Stateless responder cookies (RFC 7016 section 3.5.1.1.2 and 3.5.1.2; wire-reference B.1, G.1).
//
// The responder keeps no state for an IHello: the cookie it puts in RHello proves, when echoed in
// IIKeying, that the initiator received that RHello at the address it claims. Layout (64 bytes,
// because librtmfp rejects an RHello whose cookie is any other length, G.1):
//
//    0  issued   u32 big-endian: second of issue on the jar's clock (floor(now / 1000))
//    4  nonce    12 random bytes (every cookie differs, even for one address and second)
//   16  baseMac  24 bytes HMAC-SHA256(secret, "RTMFP cookie base" | issued | nonce), truncated
//   40  addrMac  24 bytes HMAC-SHA256(secret, "RTMFP cookie addr" | issued | nonce | address), truncated
//
// `secret` is 32 random bytes that rotate every `rotationMs`; a cookie names its secret through
// its issue time, and secrets older than the validity window are forgotten. Two MACs tell
// "not ours / forged / expired" (bad: drop silently, no state, no DH) from "ours, but echoed from
// another address" (NAT rebinding between IHello and IIKeying: answer Cookie Change, B.1).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { systemRandom } from '../../time/clock.js';
import type { SocketAddress } from '../../wire/address.js';
import { encodeSocketAddress } from '../../wire/address.js';

export const COOKIE_LENGTH = 64;
/** How long a cookie is accepted (rtmfp-cpp and librtmfp use 95 s, wire-reference B.1). */
export const DEFAULT_COOKIE_VALIDITY_MS = 95_000;
/** How often the MAC secret changes. */
export const DEFAULT_COOKIE_ROTATION_MS = 60_000;

const ISSUED_AT = 0;
const NONCE_AT = 4;
const NONCE_BYTES = 12;
const BASE_MAC_AT = 16;
const ADDR_MAC_AT = 40;
const MAC_BYTES = 24;

const BASE_LABEL = new TextEncoder().encode('RTMFP cookie base');
const ADDR_LABEL = new TextEncoder().encode('RTMFP cookie addr');

export type CookieVerdict =
  /** Ours, in time, and bound to the address it came from. */
  | { kind: 'ok'; issuedMs: number }
  /** Ours and in time, but issued to another address: answer with a Cookie Change. */
  | { kind: 'wrongAddress'; issuedMs: number }
  /** Drop silently. */
  | { kind: 'bad'; reason: 'length' | 'expired' | 'future' | 'unknownSecret' | 'mac' };

export interface CookieJarOptions {
  validityMs?: number;
  rotationMs?: number;
  /** Randomness source (tests inject a deterministic one). */
  random?: (n: number) => Uint8Array;
}

export class CookieJar {
  readonly validityMs: number;
  readonly rotationMs: number;
  private readonly random: (n: number) => Uint8Array;
  /** Secret per rotation epoch (epoch = floor(issuedSecond * 1000 / rotationMs)). */
  private readonly secrets = new Map<number, Uint8Array>();

  constructor(options: CookieJarOptions = {}) {
    this.validityMs = options.validityMs ?? DEFAULT_COOKIE_VALIDITY_MS;
    this.rotationMs = options.rotationMs ?? DEFAULT_COOKIE_ROTATION_MS;
    if (!(this.validityMs > 0) || !(this.rotationMs >= 1000)) throw new RangeError('cookie validity must be > 0 and rotation >= 1000 ms');
    this.random = options.random ?? systemRandom;
  }

  private epochOf(issuedSecond: number): number {
    return Math.floor((issuedSecond * 1000) / this.rotationMs);
  }

  /** Forgets secrets whose every cookie has expired. */
  private prune(nowMs: number): void {
    for (const epoch of this.secrets.keys()) {
      const lastSecondOfEpoch = Math.ceil(((epoch + 1) * this.rotationMs) / 1000) - 1;
      if (nowMs - lastSecondOfEpoch * 1000 >= this.validityMs + 1000) this.secrets.delete(epoch);
    }
  }

  /** Number of secrets currently held (bounded by validity / rotation + 2). */
  get secretCount(): number {
    return this.secrets.size;
  }

  /** A fresh 64-byte cookie bound to `to` and to the current second. */
  issue(to: SocketAddress, nowMs: number): Uint8Array {
    this.prune(nowMs);
    const issued = Math.max(0, Math.floor(nowMs / 1000)) >>> 0;
    const epoch = this.epochOf(issued);
    let secret = this.secrets.get(epoch);
    if (secret === undefined) {
      secret = this.random(32).slice();
      this.secrets.set(epoch, secret);
    }
    const cookie = new Uint8Array(COOKIE_LENGTH);
    new DataView(cookie.buffer, cookie.byteOffset, cookie.byteLength).setUint32(ISSUED_AT, issued);
    cookie.set(this.random(NONCE_BYTES).subarray(0, NONCE_BYTES), NONCE_AT);
    const head = cookie.subarray(0, BASE_MAC_AT);
    cookie.set(mac(secret, BASE_LABEL, head), BASE_MAC_AT);
    cookie.set(mac(secret, ADDR_LABEL, head, encodeSocketAddress({ ...to, origin: 0 })), ADDR_MAC_AT);
    return cookie;
  }

  /** Checks a cookie echoed in IIKeying from `from`. Pure: no state changes but pruning. */
  verify(cookie: Uint8Array, from: SocketAddress, nowMs: number): CookieVerdict {
    if (cookie.length !== COOKIE_LENGTH) return { kind: 'bad', reason: 'length' };
    this.prune(nowMs);
    const issued = new DataView(cookie.buffer, cookie.byteOffset, cookie.byteLength).getUint32(ISSUED_AT);
    const nowSecond = Math.max(0, Math.floor(nowMs / 1000));
    if (issued > nowSecond) return { kind: 'bad', reason: 'future' };
    // Whole seconds: a cookie issued during second s is valid through second s + validity.
    if ((nowSecond - issued) * 1000 > this.validityMs) return { kind: 'bad', reason: 'expired' };
    const secret = this.secrets.get(this.epochOf(issued));
    if (secret === undefined) return { kind: 'bad', reason: 'unknownSecret' };
    const head = cookie.subarray(0, BASE_MAC_AT);
    if (!equal(mac(secret, BASE_LABEL, head), cookie.subarray(BASE_MAC_AT, BASE_MAC_AT + MAC_BYTES))) return { kind: 'bad', reason: 'mac' };
    const issuedMs = issued * 1000;
    const addrMac = mac(secret, ADDR_LABEL, head, encodeSocketAddress({ ...from, origin: 0 }));
    if (!equal(addrMac, cookie.subarray(ADDR_MAC_AT, ADDR_MAC_AT + MAC_BYTES))) return { kind: 'wrongAddress', issuedMs };
    return { kind: 'ok', issuedMs };
  }
}

function mac(secret: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest().subarray(0, MAC_BYTES));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
