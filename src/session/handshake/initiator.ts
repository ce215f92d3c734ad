// The initiator side of the startup handshake (RFC 7016 section 3.5.1; RFC 7425 section 4;
// wire-reference B.1, B.5, D.2-D.5). One attempt per session being opened:
//
//   IHELLO_SENT  IHello to every candidate address on the retransmission schedule. An RHello with
//                our tag, from ANY address (G.7), whose certificate the EPD selects -> KEYING_SENT.
//                A Redirect with our tag adds candidates (at most 24 learned, B.5).
//   KEYING_SENT  IIKeying to the RHello's source on the same schedule. A Cookie Change whose old
//                cookie is ours is accepted once. The RIKeying sent to our session ID -> established.
//   Any state    95 s after opening (configurable) -> failed.
//
// Poll style: nextTimeout() says when to call onTimeout(now); inputs return actions.
import { systemRandom } from '../../time/clock.js';
import { decodeCertificate, type Certificate } from '../../crypto/certificate.js';
import type { InitiatorKeying } from '../../crypto/handshake-crypto.js';
import { sessionEnvelopes } from '../../crypto/handshake-crypto.js';
import { toHex } from '../../crypto/hex.js';
import { deriveSessionKeys, keysForRole } from '../../crypto/kdf.js';
import { buildInitiatorComponents, decodeKeyComponents, KEY_COMPONENT_RANDOMNESS_BYTES, negotiateIntegrity } from '../../crypto/key-components.js';
import { canonicalEpd, peerIdFromCertificate, peerIdsEqual } from '../../crypto/peer-id.js';
import type { SocketAddress } from '../../wire/address.js';
import { ChunkType } from '../../wire/chunk-type.js';
import type { CookieChangeChunk, IHelloChunk, RedirectChunk, RHelloChunk } from '../../wire/chunks/hello.js';
import type { IIKeyingChunk, RIKeyingChunk } from '../../wire/chunks/keying.js';
import { decodeEpd, type EndpointDiscriminator } from '../../wire/epd.js';
import { EMPTY_DIRECTORY, STARTUP_SESSION_ID, type HandshakeAction, type SessionDirectory } from './actions.js';
import { addressKey, isUnroutable, ownAddress } from './address-key.js';
import { HandshakeCounters, HandshakeDrop } from './counters.js';
import { DEFAULT_CRYPTO_OPS, type HandshakeCryptoOps } from './crypto-ops.js';
import type { Identity } from './identity.js';
import { PLACEHOLDER_SIGNATURE, randomSessionId } from './responder.js';
import { RetransmitSchedule } from './schedule.js';
import { epdMismatch } from './selection.js';

/** rtmfp-cpp abandons an opening session after 95 s (wire-reference B.1). */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 95_000;
/** Redirect-learned candidates per attempt (rtmfp-cpp's cap, B.5). */
export const MAX_LEARNED_CANDIDATES = 24;
/** Addresses given to open(); more are ignored. */
export const MAX_INITIAL_CANDIDATES = 24;
export const DEFAULT_MAX_HALF_OPEN_ATTEMPTS = 256;
export const TAG_LENGTH = 16;

export type AttemptState = 'ihelloSent' | 'keyingSent';

interface Candidate {
  address: SocketAddress;
  schedule: RetransmitSchedule;
}

interface Keying {
  responderAddress: SocketAddress;
  responderCertificate: Uint8Array;
  decodedCertificate: Certificate;
  farPeerId: Uint8Array;
  cookie: Uint8Array;
  cookieChanged: boolean;
  plan: InitiatorKeying;
  skic: Uint8Array;
  nearSessionId: Uint8Array;
  chunk: IIKeyingChunk;
  schedule: RetransmitSchedule;
}

interface Attempt {
  id: number;
  epdBytes: Uint8Array;
  epd: EndpointDiscriminator;
  tag: Uint8Array;
  tagKey: string;
  ihello: IHelloChunk;
  deadline: number;
  state: AttemptState;
  candidates: Map<string, Candidate>;
  learned: number;
  keying: Keying | undefined;
}

/** A read-only view of an attempt, for the endpoint and tests. */
export interface AttemptInfo {
  id: number;
  state: AttemptState;
  tag: Uint8Array;
  epd: Uint8Array;
  candidates: SocketAddress[];
  deadline: number;
  /** Known once an RHello was accepted. */
  farPeerId: Uint8Array | undefined;
  nearSessionId: Uint8Array | undefined;
  cookie: Uint8Array | undefined;
}

export interface InitiatorOptions {
  identity: Identity;
  counters?: HandshakeCounters;
  crypto?: HandshakeCryptoOps;
  /** Open sessions, for duplicate suppression by canonical EPD (B.1). */
  directory?: SessionDirectory;
  allocateSessionId?: () => Uint8Array;
  random?: (n: number) => Uint8Array;
  attemptTimeoutMs?: number;
  maxHalfOpenAttempts?: number;
}

export class HandshakeInitiator {
  readonly identity: Identity;
  readonly counters: HandshakeCounters;
  private readonly crypto: HandshakeCryptoOps;
  private readonly directory: SessionDirectory;
  private readonly allocateSessionId: () => Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  readonly attemptTimeoutMs: number;
  readonly maxHalfOpenAttempts: number;
  private nextId = 1;
  private readonly attempts = new Map<number, Attempt>();
  private readonly byTag = new Map<string, Attempt>();
  private readonly bySessionId = new Map<string, Attempt>();

  constructor(o: InitiatorOptions) {
    this.identity = o.identity;
    this.counters = o.counters ?? new HandshakeCounters();
    this.crypto = o.crypto ?? DEFAULT_CRYPTO_OPS;
    this.directory = o.directory ?? EMPTY_DIRECTORY;
    this.random = o.random ?? systemRandom;
    this.allocateSessionId = o.allocateSessionId ?? (() => randomSessionId(this.random));
    this.attemptTimeoutMs = o.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.maxHalfOpenAttempts = o.maxHalfOpenAttempts ?? DEFAULT_MAX_HALF_OPEN_ATTEMPTS;
  }

  get size(): number {
    return this.attempts.size;
  }

  attempt(id: number): AttemptInfo | undefined {
    const a = this.attempts.get(id);
    if (a === undefined) return undefined;
    return {
      id: a.id,
      state: a.state,
      tag: a.tag,
      epd: a.epdBytes,
      candidates: [...a.candidates.values()].map((c) => c.address),
      deadline: a.deadline,
      farPeerId: a.keying?.farPeerId,
      nearSessionId: a.keying?.nearSessionId,
      cookie: a.keying?.cookie,
    };
  }

  /** Open attempts toward the peer `peerId` (by fingerprint EPD, or by the RHello certificate). */
  attemptsToward(peerId: Uint8Array): number[] {
    const out: number[] = [];
    for (const a of this.attempts.values()) {
      const known = a.keying?.farPeerId ?? a.epd.fingerprint;
      if (known !== undefined && peerIdsEqual(known, peerId)) out.push(a.id);
    }
    return out;
  }

  /**
   * Starts opening a session toward `epd` (encoded EPD bytes) at the candidate addresses. The
   * EPD must decode (WireError otherwise: this is our own caller's input, not the network's).
   */
  open(epd: Uint8Array, addresses: readonly SocketAddress[], now: number): { attemptId: number; actions: HandshakeAction[] } {
    const decoded = decodeEpd(epd);
    const id = this.nextId++;
    if (this.attempts.size >= this.maxHalfOpenAttempts) {
      this.counters.drops[HandshakeDrop.tooManyAttempts]++;
      return { attemptId: id, actions: [{ kind: 'attemptFailed', attemptId: id, reason: 'tooManyAttempts' }] };
    }
    let tag: Uint8Array;
    do tag = this.random(TAG_LENGTH).slice(0, TAG_LENGTH);
    while (this.byTag.has(toHex(tag)));
    const epdBytes = epd.slice();
    const a: Attempt = {
      id,
      epdBytes,
      epd: decoded,
      tag,
      tagKey: toHex(tag),
      ihello: { type: ChunkType.IHello, epd: epdBytes, tag },
      deadline: now + this.attemptTimeoutMs,
      state: 'ihelloSent',
      candidates: new Map(),
      learned: 0,
      keying: undefined,
    };
    this.attempts.set(id, a);
    this.byTag.set(a.tagKey, a);
    const actions: HandshakeAction[] = [];
    for (const addr of addresses.slice(0, MAX_INITIAL_CANDIDATES)) this.addCandidate(a, addr, now, actions);
    return { attemptId: id, actions };
  }

  private addCandidate(a: Attempt, address: SocketAddress, now: number, out: HandshakeAction[]): boolean {
    if (isUnroutable(address)) return false;
    const k = addressKey(address);
    if (a.candidates.has(k)) return false;
    const c: Candidate = { address: ownAddress(address), schedule: new RetransmitSchedule(now) };
    a.candidates.set(k, c);
    this.sendIHello(a, c, now, out);
    return true;
  }

  private sendIHello(a: Attempt, c: Candidate, now: number, out: HandshakeAction[]): void {
    c.schedule.sent(now);
    out.push({ kind: 'sendStartup', to: c.address, sessionId: STARTUP_SESSION_ID, chunk: a.ihello });
  }

  private sendIIKeying(k: Keying, now: number, out: HandshakeAction[]): void {
    k.schedule.sent(now);
    out.push({ kind: 'sendStartup', to: k.responderAddress, sessionId: STARTUP_SESSION_ID, chunk: k.chunk });
  }

  /** Stops an attempt without an action (the caller knows: cancel, or folded by glare). */
  abandon(attemptId: number): boolean {
    const a = this.attempts.get(attemptId);
    if (a === undefined) return false;
    this.remove(a);
    return true;
  }

  private remove(a: Attempt): void {
    this.attempts.delete(a.id);
    this.byTag.delete(a.tagKey);
    if (a.keying !== undefined) this.bySessionId.delete(toHex(a.keying.nearSessionId));
  }

  /** RHello from any address, matched by tag alone (G.7). */
  onRHello(rhello: RHelloChunk, from: SocketAddress, now: number): HandshakeAction[] {
    const a = this.byTag.get(toHex(rhello.tagEcho));
    if (a === undefined || a.state !== 'ihelloSent') return this.counters.drop(HandshakeDrop.noAttempt);
    let cert: Certificate;
    let farPeerId: Uint8Array;
    const certBytes = rhello.responderCertificate.slice();
    try {
      cert = decodeCertificate(certBytes);
      farPeerId = peerIdFromCertificate(certBytes);
    } catch {
      return this.counters.drop(HandshakeDrop.malformed);
    }
    if (epdMismatch(a.epd, cert, farPeerId) !== undefined) return this.counters.drop(HandshakeDrop.wrongResponder);
    // Duplicate suppression (B.1): a session with this peer already exists; use it.
    const existing = this.directory.byPeerId(farPeerId)[0];
    if (existing !== undefined) {
      this.remove(a);
      return [{ kind: 'attemptDeduplicated', attemptId: a.id, session: existing.handle }];
    }
    let plan: InitiatorKeying;
    try {
      if (this.identity.nearKeys.staticKeys.size === 0) this.counters.dhOperations++;
      plan = this.crypto.planInitiatorKeying(this.identity.nearKeys, cert, this.identity.groupPreference);
    } catch {
      // No group in common with this responder; another RHello (load balancing) may do better.
      return this.counters.drop(HandshakeDrop.badKeying);
    }
    const offer = this.identity.initiatorIntegrity;
    const skic = buildInitiatorComponents({
      ...(plan.ephemeralKeyPair !== undefined ? { ephemeralKey: { group: plan.group, publicKey: plan.ephemeralKeyPair.publicKey } } : {}),
      ...(plan.groupSelect !== undefined ? { groupSelect: plan.groupSelect } : {}),
      extraRandomness: this.random(KEY_COMPONENT_RANDOMNESS_BYTES).slice(),
      ...(offer.hmac !== undefined ? { hmac: offer.hmac } : {}),
      ...(offer.sseq !== undefined ? { sseq: offer.sseq } : {}),
    });
    const nearSessionId = this.allocateSessionId();
    const cookie = rhello.cookie.slice();
    const k: Keying = {
      responderAddress: ownAddress(from),
      responderCertificate: certBytes,
      decodedCertificate: cert,
      farPeerId,
      cookie,
      cookieChanged: false,
      plan,
      skic,
      nearSessionId,
      chunk: this.iikeying(nearSessionId, cookie, skic),
      schedule: new RetransmitSchedule(now),
    };
    a.state = 'keyingSent';
    a.keying = k;
    this.bySessionId.set(toHex(nearSessionId), a);
    const out: HandshakeAction[] = [];
    this.sendIIKeying(k, now, out);
    return out;
  }

  private iikeying(sessionId: Uint8Array, cookie: Uint8Array, skic: Uint8Array): IIKeyingChunk {
    return {
      type: ChunkType.IIKeying,
      initiatorSessionId: sessionId,
      cookieEcho: cookie,
      initiatorCertificate: this.identity.certificate,
      skic,
      signature: PLACEHOLDER_SIGNATURE,
    };
  }

  /** Redirect matched by tag: more candidates; none listed means "the address this came from" (B.5). */
  onRedirect(redirect: RedirectChunk, from: SocketAddress, now: number): HandshakeAction[] {
    const a = this.byTag.get(toHex(redirect.tagEcho));
    if (a === undefined || a.state !== 'ihelloSent') return this.counters.drop(HandshakeDrop.noAttempt);
    const list = redirect.redirectDestinations.length === 0 ? [from] : redirect.redirectDestinations;
    const out: HandshakeAction[] = [];
    for (const addr of list) {
      if (isUnroutable(addr) || a.candidates.has(addressKey(addr))) continue;
      if (a.learned >= MAX_LEARNED_CANDIDATES) {
        this.counters.drops[HandshakeDrop.candidateCap]++;
        continue;
      }
      if (this.addCandidate(a, addr, now, out)) a.learned++;
    }
    return out;
  }

  /**
   * Cookie Change (RFC 7016 section 3.5.1.2): accepted once per attempt, only while the old cookie
   * is the one we echo; the IIKeying is rebuilt with the new cookie (same SKIC, no new DH) and
   * resent on a fresh schedule. `sessionId` is the packet's SSID (our initiator session ID) when
   * the endpoint knows it.
   */
  onCookieChange(cc: CookieChangeChunk, from: SocketAddress, now: number, sessionId?: Uint8Array): HandshakeAction[] {
    void from;
    let a: Attempt | undefined;
    if (sessionId !== undefined) a = this.bySessionId.get(toHex(sessionId));
    else for (const x of this.bySessionId.values()) if (x.keying !== undefined && sameBytes(x.keying.cookie, cc.oldCookie)) a = x;
    const k = a?.keying;
    if (a === undefined || k === undefined || a.state !== 'keyingSent') return this.counters.drop(HandshakeDrop.noAttempt);
    if (k.cookieChanged || !sameBytes(k.cookie, cc.oldCookie)) return this.counters.drop(HandshakeDrop.cookieChangeRefused);
    k.cookie = cc.newCookie.slice();
    k.cookieChanged = true;
    k.chunk = this.iikeying(k.nearSessionId, k.cookie, k.skic);
    k.schedule = new RetransmitSchedule(now);
    const out: HandshakeAction[] = [];
    this.sendIIKeying(k, now, out);
    return out;
  }

  /** RIKeying, which arrives with SSID = our initiator session ID (A.8). */
  onRIKeying(ri: RIKeyingChunk, from: SocketAddress, sessionId: Uint8Array, now: number): HandshakeAction[] {
    void from;
    void now;
    const a = this.bySessionId.get(toHex(sessionId));
    const k = a?.keying;
    if (a === undefined || k === undefined || a.state !== 'keyingSent') return this.counters.drop(HandshakeDrop.noAttempt);
    let skrc;
    try {
      skrc = decodeKeyComponents(ri.skrc);
    } catch {
      return this.counters.drop(HandshakeDrop.malformed);
    }
    const integrity = negotiateIntegrity(this.identity.initiatorIntegrity, { hmac: skrc.hmac, sseq: skrc.sseq });
    if (!integrity.ok) {
      this.remove(a);
      this.counters.drops[HandshakeDrop.negotiationFailed]++;
      return [{ kind: 'attemptFailed', attemptId: a.id, reason: 'negotiationFailed' }];
    }
    const skrcBytes = ri.skrc.slice();
    let keys;
    try {
      this.counters.dhOperations++;
      const secret = this.crypto.initiatorSharedSecret(k.plan, this.identity.nearKeys, k.decodedCertificate, skrc);
      keys = keysForRole(deriveSessionKeys(secret, k.skic, skrcBytes), 'initiator');
    } catch {
      // An RIKeying is sent under the default key, so anyone on the path can forge one: a bad one
      // does not end the attempt.
      return this.counters.drop(HandshakeDrop.badKeying);
    }
    this.remove(a);
    return [
      {
        kind: 'established',
        session: {
          role: 'initiator',
          attemptId: a.id,
          nearSessionId: k.nearSessionId,
          farSessionId: ri.responderSessionId.slice(),
          farAddress: k.responderAddress,
          farCertificate: k.responderCertificate,
          farPeerId: k.farPeerId,
          farCanonicalEpd: canonicalEpd(k.farPeerId),
          keys,
          integrity,
          envelopes: sessionEnvelopes(keys, integrity),
          skic: k.skic,
          skrc: skrcBytes,
          epd: a.epdBytes,
        },
      },
    ];
  }

  /** When onTimeout should next be called (Infinity when nothing is pending). */
  nextTimeout(): number {
    let t = Infinity;
    for (const a of this.attempts.values()) {
      t = Math.min(t, a.deadline);
      if (a.state === 'ihelloSent') for (const c of a.candidates.values()) t = Math.min(t, c.schedule.nextAt);
      else if (a.keying !== undefined) t = Math.min(t, a.keying.schedule.nextAt);
    }
    return t;
  }

  /** Retransmits what is due and fails attempts past their deadline. */
  onTimeout(now: number): HandshakeAction[] {
    const out: HandshakeAction[] = [];
    for (const a of [...this.attempts.values()]) {
      if (now >= a.deadline) {
        this.remove(a);
        out.push({ kind: 'attemptFailed', attemptId: a.id, reason: 'timeout' });
        continue;
      }
      if (a.state === 'ihelloSent') {
        for (const c of a.candidates.values()) if (c.schedule.due(now)) this.sendIHello(a, c, now, out);
      } else if (a.keying !== undefined && a.keying.schedule.due(now)) {
        this.sendIIKeying(a.keying, now, out);
      }
    }
    return out;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

