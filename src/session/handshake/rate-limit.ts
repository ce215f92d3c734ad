// Token buckets for handshake input (IHello, IIKeying), at three levels: the source ip:port, its
// IP, and for IPv6 its /64 (address-key.ts). An input costs one token at every level that applies
// and is refused unless all of them have one, so a spoofed victim gets no fresh burst on each of
// its ports or on each address of its prefix. A bucket holds `burst` tokens and refills at
// `perSecond`. Over-limit input is dropped and counted by the caller. Each table of buckets is a
// bounded LRU: an attacker cycling through more sources than it holds only resets buckets of
// addresses it is spoofing, and the cookie / anti-amplification rules still bound what any of
// them gets back.
//
// The host and prefix levels are wider than the port level because many honest clients share an
// IP (NAT, CGNAT; every test on 127.0.0.1) and many hosts share a /64.
import type { SocketAddress } from '../../wire/address.js';
import { addressKey, hostKey, prefixKey } from './address-key.js';
import { BoundedMap } from './bounded-map.js';

export const DEFAULT_HANDSHAKE_BURST = 16;
export const DEFAULT_HANDSHAKE_RATE_PER_SECOND = 8;
/** The host level allows this many times the port level (burst and rate). */
export const HOST_LIMIT_SCALE = 4;
/** The IPv6 /64 level allows this many times the port level. */
export const PREFIX_LIMIT_SCALE = 8;
export const DEFAULT_RATE_LIMIT_ADDRESSES = 4096;

export interface BucketLimit {
  burst: number;
  perSecond: number;
}

export interface RateLimitOptions {
  /** Per ip:port. Default 16. */
  burst?: number;
  /** Per ip:port. Default 8. */
  perSecond?: number;
  /** Per IP, any port. Default HOST_LIMIT_SCALE times the port level. */
  host?: BucketLimit;
  /** Per IPv6 /64. Default PREFIX_LIMIT_SCALE times the port level. */
  prefix?: BucketLimit;
  /** Buckets kept per level (LRU). */
  maxAddresses?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export type RateLimitLevel = 'port' | 'host' | 'prefix';

class BucketTable {
  private readonly buckets: BoundedMap<string, Bucket>;
  constructor(
    readonly limit: BucketLimit,
    capacity: number,
  ) {
    if (!(limit.burst >= 1) || !(limit.perSecond >= 0)) throw new RangeError('rate limit needs burst >= 1 and perSecond >= 0');
    this.buckets = new BoundedMap(capacity);
  }

  /** The refilled bucket for `key` (created full). */
  bucket(key: string, now: number): Bucket {
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.limit.burst, at: now };
      this.buckets.set(key, b);
    } else if (now > b.at) {
      b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.perSecond);
      b.at = now;
    }
    return b;
  }
}

export class HandshakeRateLimiter {
  readonly burst: number;
  readonly perSecond: number;
  private readonly port: BucketTable;
  private readonly host: BucketTable;
  private readonly prefix: BucketTable;
  /** Inputs refused. */
  limited = 0;
  /** Inputs refused, by the first level found empty. */
  readonly limitedBy: Record<RateLimitLevel, number> = { port: 0, host: 0, prefix: 0 };

  constructor(options: RateLimitOptions = {}) {
    this.burst = options.burst ?? DEFAULT_HANDSHAKE_BURST;
    this.perSecond = options.perSecond ?? DEFAULT_HANDSHAKE_RATE_PER_SECOND;
    const cap = options.maxAddresses ?? DEFAULT_RATE_LIMIT_ADDRESSES;
    const scaled = (k: number): BucketLimit => ({ burst: this.burst * k, perSecond: this.perSecond * k });
    this.port = new BucketTable({ burst: this.burst, perSecond: this.perSecond }, cap);
    this.host = new BucketTable(options.host ?? scaled(HOST_LIMIT_SCALE), cap);
    this.prefix = new BucketTable(options.prefix ?? scaled(PREFIX_LIMIT_SCALE), cap);
  }

  /** Takes one token for `from` at every level; false (nothing taken) when any bucket is empty. */
  take(from: SocketAddress, now: number): boolean {
    const p = this.port.bucket(addressKey(from), now);
    const h = this.host.bucket(hostKey(from), now);
    const pk = prefixKey(from);
    const n = pk === undefined ? undefined : this.prefix.bucket(pk, now);
    const empty: RateLimitLevel | undefined = p.tokens < 1 ? 'port' : h.tokens < 1 ? 'host' : n !== undefined && n.tokens < 1 ? 'prefix' : undefined;
    if (empty !== undefined) {
      this.limited++;
      this.limitedBy[empty]++;
      return false;
    }
    p.tokens -= 1;
    h.tokens -= 1;
    if (n !== undefined) n.tokens -= 1;
    return true;
  }
}
