// Per-address token buckets for handshake input (IHello, IIKeying). Each accepted handshake chunk
// costs one token; a bucket holds `burst` tokens and refills at `perSecond`. Over-limit input is
// dropped and counted by the caller. The table of buckets is a bounded LRU: an attacker cycling
// through more source addresses than it holds only resets buckets of addresses it is spoofing,
// and the cookie/anti-amplification rules still bound what any of them gets back.
import type { SocketAddress } from '../../wire/address.js';
import { addressKey } from './address-key.js';
import { BoundedMap } from './bounded-map.js';

export const DEFAULT_HANDSHAKE_BURST = 16;
export const DEFAULT_HANDSHAKE_RATE_PER_SECOND = 8;
export const DEFAULT_RATE_LIMIT_ADDRESSES = 4096;

export interface RateLimitOptions {
  burst?: number;
  perSecond?: number;
  maxAddresses?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class HandshakeRateLimiter {
  readonly burst: number;
  readonly perSecond: number;
  private readonly buckets: BoundedMap<string, Bucket>;
  /** Inputs refused. */
  limited = 0;

  constructor(options: RateLimitOptions = {}) {
    this.burst = options.burst ?? DEFAULT_HANDSHAKE_BURST;
    this.perSecond = options.perSecond ?? DEFAULT_HANDSHAKE_RATE_PER_SECOND;
    if (!(this.burst >= 1) || !(this.perSecond >= 0)) throw new RangeError('rate limit needs burst >= 1 and perSecond >= 0');
    this.buckets = new BoundedMap(options.maxAddresses ?? DEFAULT_RATE_LIMIT_ADDRESSES);
  }

  /** Takes one token for `from`; false when the bucket is empty. */
  take(from: SocketAddress, now: number): boolean {
    const k = addressKey(from);
    let b = this.buckets.get(k);
    if (b === undefined) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(k, b);
    } else if (now > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens < 1) {
      this.limited++;
      return false;
    }
    b.tokens -= 1;
    return true;
  }
}
