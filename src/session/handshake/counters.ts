// Why handshake input was dropped. Nothing in the handshake throws on bad input: every refusal is
// counted here under a stable name (brief item 7), which tests and operators read.

export const HandshakeDrop = {
  /** Per-address token bucket empty. */
  rateLimited: 'rateLimited',
  /** An answer would exceed the anti-amplification budget of an unverified address. */
  amplification: 'amplification',
  /** A chunk body or field that does not decode (EPD, certificate, SKIC, SKRC). */
  malformed: 'malformed',
  /** A startup chunk type the handshake does not take here (or a session chunk). */
  unexpectedChunk: 'unexpectedChunk',
  /**
   * IHello / FIHello whose EPD names a hostname or needs ancillary data we do not match, or names
   * nothing at all (an empty EPD selects nobody; selection.ts).
   */
  notSelected: 'notSelected',
  /** A second IHello / IIKeying in one datagram: one hello is answered per datagram. */
  extraHello: 'extraHello',
  /** Forwarded IHello from a session we do not trust to forward (not opened by us, not configured). */
  untrustedForwarder: 'untrustedForwarder',
  /** IIKeying with a missing, forged, expired or foreign cookie (no DH, no state). */
  badCookie: 'badCookie',
  /** IIKeying whose certificate or SKIC cannot be used (no common group, bad public key...). */
  badKeying: 'badKeying',
  /** IIKeying whose integrity offers cannot be satisfied (D.3). */
  negotiationFailed: 'negotiationFailed',
  /** IIKeying from a peer we are opening to, ignored because we keep the initiator role (glare). */
  glareIgnored: 'glareIgnored',
  /** RHello / Redirect / Cookie Change / RIKeying matching no attempt, or in the wrong state. */
  noAttempt: 'noAttempt',
  /** RHello whose certificate the EPD does not select. */
  wrongResponder: 'wrongResponder',
  /** A second Cookie Change, or one whose old cookie is not ours. */
  cookieChangeRefused: 'cookieChangeRefused',
  /** Redirect addresses beyond the per-attempt cap. */
  candidateCap: 'candidateCap',
  /** A new attempt refused because too many are half open. */
  tooManyAttempts: 'tooManyAttempts',
} as const;
export type HandshakeDrop = (typeof HandshakeDrop)[keyof typeof HandshakeDrop];

export class HandshakeCounters {
  readonly drops: Record<HandshakeDrop, number>;
  /** DH agreements performed (key pair generation + secret), for tests and capacity planning. */
  dhOperations = 0;
  rhellosSent = 0;
  rhellosResent = 0;
  rikeyingsResent = 0;
  cookieChangesSent = 0;
  /** Introductions (B.5): Forwarded IHellos sent on a target's session. */
  introductions = 0;
  /** Redirects sent to initiators of introductions (B.5). */
  redirectsSent = 0;
  /** Load balancing (RFC 7016 3.5.1.7): IHellos answered with a Redirect to registered servers. */
  loadBalanced = 0;
  /** Forwarded IHellos from trusted forwarders answered with an RHello (budgeted like a direct IHello). */
  forwardedAnswered = 0;

  constructor() {
    this.drops = Object.fromEntries(Object.values(HandshakeDrop).map((k) => [k, 0])) as Record<HandshakeDrop, number>;
  }

  drop(reason: HandshakeDrop): [] {
    this.drops[reason]++;
    return [];
  }

  get totalDrops(): number {
    let n = 0;
    for (const v of Object.values(this.drops)) n += v;
    return n;
  }
}
