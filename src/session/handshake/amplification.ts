// Anti-amplification for startup traffic to addresses that have not proven they can receive.
//
// A responder answers a small IHello with a larger RHello, so a spoofed source address could turn
// us into an amplifier. As QUIC does (RFC 9000 section 8.1), we account, per address not yet
// verified, the bytes received from it and refuse to send more than `factor` times that. An
// address becomes verified when it echoes a cookie bound to it (it received our RHello there).
//
// The account is kept per network, not per ip:port: an IPv4 address, or an IPv6 /64
// (address-key.ts networkKey). Every port of a spoofed victim, and every address of its /64,
// draws on one budget, so no sequence of datagrams claiming to come from there gets more than
// `factor` times their bytes back, whatever ports they name. Verification stays exact (ip:port):
// a cookie echoed from one port proves nothing about the others. Callers credit each datagram
// once (Handshake.receiveDatagram answers one hello per datagram).
//
// Why the default factor is 5 and not QUIC's 3: QUIC clients pad their first datagram to 1200
// bytes; RTMFP initiators do not, and the RHello size is fixed by the cookie (64 bytes, G.1) and
// certificate. librtmfp's IHello to a server is a 36-byte datagram (EPD `05 0a live`) and the
// server's RHello (64-byte cookie, 77-byte certificate) is a 180-byte datagram: exactly 5x, as
// MonaTiny answers in `mona-tc/handshake.json`. A Flash-style P2P IHello (fingerprint EPD, 68
// bytes) is answered by a 228-byte RHello carrying the 132-byte static certificate: 3.35x.
// A factor of 3 would leave both unanswered; 1x would answer almost nothing. A larger RHello
// (a certificate with several static keys) is not refused forever: initiators retransmit IHello
// (B.1) and each one adds to the budget, so it goes out after one or a few retransmissions.
import type { SocketAddress } from '../../wire/address.js';
import { addressKey, networkKey } from './address-key.js';
import { BoundedMap } from './bounded-map.js';

export const DEFAULT_AMPLIFICATION_FACTOR = 5;
export const DEFAULT_AMPLIFICATION_ADDRESSES = 4096;
/** An address not heard from for this long starts over (counts and verification). */
export const DEFAULT_AMPLIFICATION_IDLE_MS = 120_000;

/**
 * Size on the wire of a startup datagram carrying one chunk of `bodyLength` bytes: 4 (scrambled
 * session ID) + AES blocks over [checksum 2, flags 1, timestamp 2, chunk header 3, body], padded
 * to 16 (wire-reference A.2-A.5). Matches every captured startup datagram (36, 68, 180, 1076...).
 */
export function startupDatagramLength(bodyLength: number): number {
  const plain = 2 + 1 + 2 + 3 + bodyLength;
  return 4 + Math.ceil(plain / 16) * 16;
}

interface Account {
  received: number;
  sent: number;
  lastSeen: number;
}

export interface AmplificationOptions {
  factor?: number;
  /** Accounts (networks) and verified addresses kept, each (LRU). */
  maxAddresses?: number;
  idleMs?: number;
}

export class AmplificationGuard {
  readonly factor: number;
  readonly idleMs: number;
  /** Bytes received and sent per network (IPv4 address or IPv6 /64). */
  private readonly accounts: BoundedMap<string, Account>;
  /** Exact addresses that echoed a cookie, with when they were last heard from. */
  private readonly verified: BoundedMap<string, { lastSeen: number }>;
  /** Sends refused for lack of budget. */
  refused = 0;
  /** Bytes credited from datagrams (and forwarded hellos) of unverified and verified senders. */
  credited = 0;
  /** Bytes sent to unverified addresses (charged to a budget). */
  charged = 0;

  constructor(options: AmplificationOptions = {}) {
    this.factor = options.factor ?? DEFAULT_AMPLIFICATION_FACTOR;
    if (!(this.factor >= 1)) throw new RangeError(`amplification factor must be >= 1, got ${this.factor}`);
    this.idleMs = options.idleMs ?? DEFAULT_AMPLIFICATION_IDLE_MS;
    const cap = options.maxAddresses ?? DEFAULT_AMPLIFICATION_ADDRESSES;
    this.accounts = new BoundedMap(cap);
    this.verified = new BoundedMap(cap);
  }

  private live(a: SocketAddress, now: number): Account | undefined {
    const e = this.accounts.peek(networkKey(a));
    return e !== undefined && now - e.lastSeen <= this.idleMs ? e : undefined;
  }

  /** Credits a datagram of `bytes` received from `from`. Call once per datagram. */
  received(from: SocketAddress, bytes: number, now: number): void {
    const k = networkKey(from);
    let e = this.accounts.get(k);
    if (e === undefined || now - e.lastSeen > this.idleMs) {
      e = { received: 0, sent: 0, lastSeen: now };
      this.accounts.set(k, e);
    }
    const n = Math.max(0, bytes);
    e.received += n;
    e.lastSeen = now;
    this.credited += n;
    const v = this.verified.peek(addressKey(from));
    if (v !== undefined && now - v.lastSeen <= this.idleMs) v.lastSeen = now;
  }

  /** The address echoed a cookie bound to it: no limit toward it from now on. */
  verify(a: SocketAddress, now: number): void {
    this.verified.set(addressKey(a), { lastSeen: now });
  }

  isVerified(a: SocketAddress, now: number): boolean {
    const v = this.verified.peek(addressKey(a));
    return v !== undefined && now - v.lastSeen <= this.idleMs;
  }

  /** True (and charged) when `bytes` may go to `to`; false (and counted) otherwise. */
  trySend(to: SocketAddress, bytes: number, now: number): boolean {
    if (this.isVerified(to, now)) return true;
    const e = this.live(to, now);
    if (e === undefined || e.sent + bytes > e.received * this.factor) {
      this.refused++;
      return false;
    }
    e.sent += bytes;
    this.charged += bytes;
    return true;
  }

  /** Bytes still allowed to an address (Infinity once verified). */
  budget(to: SocketAddress, now: number): number {
    if (this.isVerified(to, now)) return Infinity;
    const e = this.live(to, now);
    return e === undefined ? 0 : e.received * this.factor - e.sent;
  }
}
