import { DhKeyPair, type DhGroupId } from '../../crypto/dh.js';
import type { PoolDiffieHellman } from './pool-diffie-hellman.js';

export interface DhKeyReserveOptions {
  /** Groups kept ready (default [2], the Flash profile's, RFC 7425 section 4.2). */
  groups?: readonly DhGroupId[];
  /** Key pairs kept per group (default 64). */
  size?: number;
}

/**
 * Ephemeral Diffie-Hellman key pairs made ahead of time in pool workers, so a responder's
 * handshake (RFC 7425 section 4.6; wire-reference D.4) only does the agreement on the main
 * thread: generating the pair is the other half of its modular exponentiation. `take` is
 * synchronous and never waits: with the reserve empty (a burst larger than it) it returns
 * undefined and the caller generates inline. Each pair is handed out once.
 */
export class DhKeyReserve {
  private readonly ready = new Map<DhGroupId, DhKeyPair[]>();
  private readonly pending = new Map<DhGroupId, number>();
  private readonly size: number;
  private closed = false;
  /** Pairs handed out from the reserve / requests it could not serve. */
  served = 0;
  missed = 0;
  /** Worker failures while refilling (the reserve then just serves fewer). */
  failures = 0;

  constructor(
    private readonly dh: PoolDiffieHellman,
    options: DhKeyReserveOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? 64);
    for (const g of options.groups ?? [2]) {
      this.ready.set(g, []);
      this.pending.set(g, 0);
      this.refill(g);
    }
  }

  /** Resolves once every group's reserve is full (or `timeoutMs` passed). */
  async filled(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < end && [...this.ready.values()].some((a) => a.length < this.size)) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** A ready key pair of `group`, or undefined (then generate one inline). */
  take(group: DhGroupId): DhKeyPair | undefined {
    const list = this.ready.get(group);
    const pair = list?.pop();
    if (pair) this.served++;
    else this.missed++;
    if (list) this.refill(group);
    return pair;
  }

  close(): void {
    this.closed = true;
    this.ready.clear();
  }

  /** Keeps size pairs ready or on their way; each one is one pool task. */
  private refill(group: DhGroupId): void {
    const list = this.ready.get(group)!;
    while (!this.closed && list.length + this.pending.get(group)! < this.size) {
      this.pending.set(group, this.pending.get(group)! + 1);
      this.dh.generateKeyPair(group).then(
        (p) => {
          this.pending.set(group, this.pending.get(group)! - 1);
          if (!this.closed) list.push(DhKeyPair.fromParts(p.group, p.privateKey, p.publicKey));
        },
        () => {
          this.pending.set(group, this.pending.get(group)! - 1);
          this.failures++;
        },
      );
    }
  }
}
