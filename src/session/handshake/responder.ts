// The responder side of the startup handshake (RFC 7016 sections 3.5.1.1.2 and 3.5.1.2; RFC 7425
// section 4; wire-reference B.1, B.2, D.2). Stateless until a valid cookie comes back: an IHello
// costs an HMAC and an RHello; only an IIKeying echoing a cookie we issued to that very address
// gets certificate checks, Diffie-Hellman work and a session.
import { systemRandom } from '../../time/clock.js';
import { decodeCertificate } from '../../crypto/certificate.js';
import { deriveSessionKeys, keysForRole } from '../../crypto/kdf.js';
import {
  buildResponderComponents,
  decodeKeyComponents,
  KEY_COMPONENT_RANDOMNESS_BYTES,
  negotiateIntegrity,
  NegotiationFlag,
  type IntegrityOffer,
  type KeyComponents,
} from '../../crypto/key-components.js';
import { sessionEnvelopes } from '../../crypto/handshake-crypto.js';
import { canonicalEpd, peerIdFromCertificate } from '../../crypto/peer-id.js';
import { toHex } from '../../crypto/hex.js';
import type { SocketAddress } from '../../wire/address.js';
import { ChunkType } from '../../wire/chunk-type.js';
import {
  cookieChangeBodyLength,
  iHelloBodyLength,
  rHelloBodyLength,
  type CookieChangeChunk,
  type ForwardedIHelloChunk,
  type IHelloChunk,
  type RHelloChunk,
} from '../../wire/chunks/hello.js';
import type { IIKeyingChunk, RIKeyingChunk } from '../../wire/chunks/keying.js';
import { decodeEpd, type EndpointDiscriminator } from '../../wire/epd.js';
import { EMPTY_DIRECTORY, STARTUP_SESSION_ID, type HandshakeAction, type SessionDirectory } from './actions.js';
import { addressKey, isUnroutable, ownAddress } from './address-key.js';
import { AmplificationGuard, startupDatagramLength } from './amplification.js';
import { BoundedMap } from './bounded-map.js';
import { CookieJar } from './cookie.js';
import { HandshakeCounters, HandshakeDrop } from './counters.js';
import { DEFAULT_CRYPTO_OPS, type HandshakeCryptoOps } from './crypto-ops.js';
import type { GlareDecision } from './glare.js';
import type { Identity } from './identity.js';
import { epdMismatch } from './selection.js';
import { HandshakeRateLimiter } from './rate-limit.js';

/** The signature every implementation sends: the single byte 'X' (wire-reference D.7). */
export const PLACEHOLDER_SIGNATURE: Uint8Array = new Uint8Array([0x58]);

export const DEFAULT_MAX_CACHED_RHELLOS = 1024;
export const DEFAULT_MAX_CACHED_RIKEYINGS = 1024;
/** A repeated IHello (same address and tag) within this time gets the same RHello (Mona, B.1). */
export const DEFAULT_RHELLO_CACHE_MS = 30_000;
/** How long a duplicate IIKeying gets the stored RIKeying back (the initiator gives up at 95 s). */
export const DEFAULT_RIKEYING_CACHE_MS = 95_000;

export interface ResponderOptions {
  identity: Identity;
  cookies?: CookieJar;
  amplification?: AmplificationGuard;
  rateLimiter?: HandshakeRateLimiter;
  counters?: HandshakeCounters;
  crypto?: HandshakeCryptoOps;
  /** Open sessions, for the certificate override of RFC 7425 section 4.3.7. */
  directory?: SessionDirectory;
  /** Our session IDs (4 opaque bytes, never zero); the session table should own this. */
  allocateSessionId?: () => Uint8Array;
  random?: (n: number) => Uint8Array;
  /**
   * Consulted (without side effects) for every IIKeying that passed the cookie, certificate and
   * negotiation checks, before any DH work: should we answer, and which attempt of ours does the
   * session fold in (glare, B.1)?
   */
  glare?: (farPeerId: Uint8Array, from: SocketAddress, now: number) => GlareDecision;
  maxCachedRHellos?: number;
  maxCachedRIKeyings?: number;
  rhelloCacheMs?: number;
  rikeyingCacheMs?: number;
}

interface CachedRHello {
  chunk: RHelloChunk;
  at: number;
}

interface CachedRIKeying {
  skic: Uint8Array;
  cookie: Uint8Array;
  chunk: RIKeyingChunk;
  initiatorSessionId: Uint8Array;
  at: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function randomSessionId(random: (n: number) => Uint8Array = systemRandom): Uint8Array {
  for (;;) {
    const id = random(4).slice(0, 4);
    if (id.length === 4 && (id[0]! | id[1]! | id[2]! | id[3]!) !== 0) return id;
  }
}

export class HandshakeResponder {
  readonly identity: Identity;
  readonly cookies: CookieJar;
  readonly amplification: AmplificationGuard;
  readonly rateLimiter: HandshakeRateLimiter;
  readonly counters: HandshakeCounters;
  private readonly crypto: HandshakeCryptoOps;
  private readonly directory: SessionDirectory;
  private readonly allocateSessionId: () => Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  private readonly glare: ResponderOptions['glare'];
  private readonly rhelloCache: BoundedMap<string, CachedRHello>;
  private readonly rikeyingCache: BoundedMap<string, CachedRIKeying>;
  private readonly rhelloCacheMs: number;
  private readonly rikeyingCacheMs: number;

  constructor(o: ResponderOptions) {
    this.identity = o.identity;
    this.random = o.random ?? systemRandom;
    this.cookies = o.cookies ?? new CookieJar({ random: this.random });
    this.amplification = o.amplification ?? new AmplificationGuard();
    this.rateLimiter = o.rateLimiter ?? new HandshakeRateLimiter();
    this.counters = o.counters ?? new HandshakeCounters();
    this.crypto = o.crypto ?? DEFAULT_CRYPTO_OPS;
    this.directory = o.directory ?? EMPTY_DIRECTORY;
    this.allocateSessionId = o.allocateSessionId ?? (() => randomSessionId(this.random));
    this.glare = o.glare;
    this.rhelloCache = new BoundedMap(o.maxCachedRHellos ?? DEFAULT_MAX_CACHED_RHELLOS);
    this.rikeyingCache = new BoundedMap(o.maxCachedRIKeyings ?? DEFAULT_MAX_CACHED_RIKEYINGS);
    this.rhelloCacheMs = o.rhelloCacheMs ?? DEFAULT_RHELLO_CACHE_MS;
    this.rikeyingCacheMs = o.rikeyingCacheMs ?? DEFAULT_RIKEYING_CACHE_MS;
  }

  /** Cached RHellos / RIKeyings held (bounded). */
  get cacheSizes(): { rhellos: number; rikeyings: number } {
    return { rhellos: this.rhelloCache.size, rikeyings: this.rikeyingCache.size };
  }

  /**
   * IHello from `from` in a datagram of `datagramLength` bytes. Answers RHello when the EPD selects
   * us, reports `unmatchedIHello` when it names another fingerprint (B.2), drops otherwise. It
   * credits the datagram to the amplification budget: call it (or onIIKeying) at most once per
   * datagram, as Handshake.receiveDatagram does.
   */
  onIHello(ihello: IHelloChunk, from: SocketAddress, datagramLength: number, now: number): HandshakeAction[] {
    if (!this.admit(from, datagramLength, now)) return this.counters.drop(HandshakeDrop.rateLimited);
    return this.onAdmittedIHello(ihello, from, now);
  }

  /**
   * The first step for a hello datagram: one token from the rate limiter, then the datagram's
   * bytes credited to the amplification budget. False (nothing credited) when rate-limited.
   */
  admit(from: SocketAddress, datagramLength: number, now: number): boolean {
    if (!this.rateLimiter.take(from, now)) return false;
    this.amplification.received(from, datagramLength, now);
    return true;
  }

  /** onIHello after admit(). */
  onAdmittedIHello(ihello: IHelloChunk, from: SocketAddress, now: number): HandshakeAction[] {
    const epd = this.decodeEpd(ihello.epd);
    if (epd === undefined) return this.counters.drop(HandshakeDrop.malformed);
    const mismatch = epdMismatch(epd, this.identity.decodedCertificate, this.identity.peerId);
    if (mismatch === 'fingerprint') {
      return [{ kind: 'unmatchedIHello', ihello: { type: ChunkType.IHello, epd: ihello.epd.slice(), tag: ihello.tag.slice() }, epd: decodeEpd(ihello.epd.slice()), from: ownAddress(from) }];
    }
    if (mismatch !== undefined) return this.counters.drop(HandshakeDrop.notSelected);
    return this.answerHello(ihello.tag, from, now);
  }

  /**
   * Forwarded IHello received on an open session (peer side of an introduction, B.5): answer the
   * initiator's observed address directly with an RHello, which also opens our NAT toward it.
   * The caller (Handshake) has checked that the session may forward to us at all. The answer is
   * still budgeted against the reply address as if the initiator's IHello (same EPD and tag) had
   * reached us directly, and that address's rate limit applies: a forwarder cannot make us send
   * more toward an address than the address itself could have.
   */
  onForwardedIHello(fihello: ForwardedIHelloChunk, now: number): HandshakeAction[] {
    const to = fihello.replyAddress;
    if (isUnroutable(to)) return this.counters.drop(HandshakeDrop.malformed);
    if (!this.rateLimiter.take(to, now)) return this.counters.drop(HandshakeDrop.rateLimited);
    const epd = this.decodeEpd(fihello.epd);
    if (epd === undefined) return this.counters.drop(HandshakeDrop.malformed);
    if (epdMismatch(epd, this.identity.decodedCertificate, this.identity.peerId) !== undefined) return this.counters.drop(HandshakeDrop.notSelected);
    this.amplification.received(to, startupDatagramLength(iHelloBodyLength({ type: ChunkType.IHello, epd: fihello.epd, tag: fihello.tag })), now);
    const out = this.answerHello(fihello.tag, to, now);
    if (out.length > 0) this.counters.forwardedAnswered++;
    return out;
  }

  private decodeEpd(bytes: Uint8Array): EndpointDiscriminator | undefined {
    try {
      return decodeEpd(bytes);
    } catch {
      return undefined;
    }
  }

  /** RHello to `to` (cached per address and tag, B.1), within its amplification budget. */
  private answerHello(tag: Uint8Array, to: SocketAddress, now: number): HandshakeAction[] {
    const key = `${addressKey(to)}#${toHex(tag)}`;
    const cached = this.rhelloCache.get(key);
    let chunk: RHelloChunk;
    let resent = false;
    if (cached !== undefined && now - cached.at <= this.rhelloCacheMs) {
      chunk = cached.chunk;
      resent = true;
    } else {
      chunk = {
        type: ChunkType.RHello,
        tagEcho: tag.slice(),
        cookie: this.cookies.issue(to, now),
        responderCertificate: this.identity.certificate,
      };
    }
    if (!this.amplification.trySend(to, startupDatagramLength(rHelloBodyLength(chunk)), now)) return this.counters.drop(HandshakeDrop.amplification);
    if (!resent) this.rhelloCache.set(key, { chunk, at: now });
    if (resent) this.counters.rhellosResent++;
    else this.counters.rhellosSent++;
    return [{ kind: 'sendStartup', to: ownAddress(to), sessionId: STARTUP_SESSION_ID, chunk }];
  }

  /**
   * IIKeying from `from` in a datagram of `datagramLength` bytes. Order matters: rate limit, then
   * the cookie (no DH, no state for a bad one), then the duplicate cache, then the certificate,
   * SKIC, glare and integrity negotiation, and only then Diffie-Hellman.
   */
  onIIKeying(ii: IIKeyingChunk, from: SocketAddress, datagramLength: number, now: number): HandshakeAction[] {
    if (!this.admit(from, datagramLength, now)) return this.counters.drop(HandshakeDrop.rateLimited);
    const cacheKey = `${addressKey(from)}#${toHex(ii.initiatorSessionId)}`;
    const verdict = this.cookies.verify(ii.cookieEcho, from, now);
    if (verdict.kind === 'bad') {
      // A retransmitted IIKeying whose cookie expired after we answered it still gets its answer.
      if (verdict.reason === 'expired') {
        const again = this.cachedAnswer(cacheKey, ii, from, now);
        if (again !== undefined) return again;
      }
      return this.counters.drop(HandshakeDrop.badCookie);
    }
    if (verdict.kind === 'wrongAddress') return this.cookieChange(ii, from, now);
    this.amplification.verify(from, now);
    const again = this.cachedAnswer(cacheKey, ii, from, now);
    if (again !== undefined) return again;

    let farCert;
    let skic: KeyComponents;
    let farPeerId: Uint8Array;
    try {
      farCert = decodeCertificate(ii.initiatorCertificate);
      skic = decodeKeyComponents(ii.skic);
      farPeerId = peerIdFromCertificate(ii.initiatorCertificate);
    } catch {
      return this.counters.drop(HandshakeDrop.malformed);
    }
    const nearOffer = this.responderOffer(skic);
    const integrity = negotiateIntegrity(nearOffer, { hmac: skic.hmac, sseq: skic.sseq });
    if (!integrity.ok) return this.counters.drop(HandshakeDrop.negotiationFailed);
    const glare = this.glare?.(farPeerId, from, now) ?? { answer: true, foldAttemptId: undefined };
    if (!glare.answer) return this.counters.drop(HandshakeDrop.glareIgnored);

    let keying;
    try {
      this.counters.dhOperations++;
      keying = this.crypto.respondKeying(this.identity.nearKeys, farCert, skic);
    } catch {
      return this.counters.drop(HandshakeDrop.badKeying);
    }
    const skrc = buildResponderComponents({
      hmac: nearOffer.hmac ?? { flags: 0, length: 0 },
      sseq: nearOffer.sseq ?? { flags: 0 },
      ...(keying.ephemeralKeyPair !== undefined
        ? { ephemeralKey: { group: keying.group, publicKey: keying.ephemeralKeyPair.publicKey } }
        : { extraRandomness: this.random(KEY_COMPONENT_RANDOMNESS_BYTES).slice() }),
    });
    const skicBytes = ii.skic.slice();
    let keys;
    try {
      keys = keysForRole(deriveSessionKeys(keying.sharedSecret, skicBytes, skrc), 'responder');
    } catch {
      return this.counters.drop(HandshakeDrop.badKeying);
    }
    const nearSessionId = this.allocateSessionId();
    const farSessionId = ii.initiatorSessionId.slice();
    const chunk: RIKeyingChunk = { type: ChunkType.RIKeying, responderSessionId: nearSessionId, skrc, signature: PLACEHOLDER_SIGNATURE };
    const farCertificate = ii.initiatorCertificate.slice();
    const farAddress = ownAddress(from);
    this.rikeyingCache.set(cacheKey, { skic: skicBytes, cookie: ii.cookieEcho.slice(), chunk, initiatorSessionId: farSessionId, at: now });

    const actions: HandshakeAction[] = [];
    // Certificate override (RFC 7425 section 4.3.7): the same certificate from the same address
    // means the far end restarted; its old session is stale.
    for (const s of this.directory.byPeerId(farPeerId)) {
      if (sameBytes(s.farCertificate, farCertificate) && addressKey(s.farAddress) === addressKey(from)) actions.push({ kind: 'replaceSession', session: s.handle });
    }
    actions.push({
      kind: 'established',
      session: {
        role: 'responder',
        attemptId: glare.foldAttemptId,
        nearSessionId,
        farSessionId,
        farAddress,
        farCertificate,
        farPeerId,
        farCanonicalEpd: canonicalEpd(farPeerId),
        keys,
        integrity,
        envelopes: sessionEnvelopes(keys, integrity),
        skic: skicBytes,
        skrc,
        epd: undefined,
      },
    });
    actions.push({ kind: 'sendStartup', to: farAddress, sessionId: farSessionId, chunk });
    return actions;
  }

  /** The stored RIKeying when address, initiator session ID, SKIC and cookie all match (B.1). */
  private cachedAnswer(key: string, ii: IIKeyingChunk, from: SocketAddress, now: number): HandshakeAction[] | undefined {
    const c = this.rikeyingCache.peek(key);
    if (c === undefined) return undefined;
    if (now - c.at > this.rikeyingCacheMs) {
      this.rikeyingCache.delete(key);
      return undefined;
    }
    if (!sameBytes(c.skic, ii.skic) || !sameBytes(c.cookie, ii.cookieEcho)) return undefined;
    this.counters.rikeyingsResent++;
    return [{ kind: 'sendStartup', to: ownAddress(from), sessionId: c.initiatorSessionId, chunk: c.chunk }];
  }

  private cookieChange(ii: IIKeyingChunk, from: SocketAddress, now: number): HandshakeAction[] {
    const chunk: CookieChangeChunk = { type: ChunkType.CookieChange, oldCookie: ii.cookieEcho.slice(), newCookie: this.cookies.issue(from, now) };
    if (!this.amplification.trySend(from, startupDatagramLength(cookieChangeBodyLength(chunk)), now)) return this.counters.drop(HandshakeDrop.amplification);
    this.counters.cookieChangesSent++;
    return [{ kind: 'sendStartup', to: ownAddress(from), sessionId: ii.initiatorSessionId.slice(), chunk }];
  }

  /** Our SKRC offers for this SKIC (see ResponderIntegrityPolicy). */
  private responderOffer(skic: KeyComponents): IntegrityOffer {
    const p = this.identity.responderIntegrity;
    if (p !== 'adaptive') return p;
    const hmacRequested = ((skic.hmac?.flags ?? 0) & NegotiationFlag.Request) !== 0;
    const sseqRequested = ((skic.sseq?.flags ?? 0) & NegotiationFlag.Request) !== 0;
    return {
      hmac: hmacRequested ? { flags: NegotiationFlag.SendOnRequest, length: 16 } : { flags: 0, length: 0 },
      sseq: { flags: sseqRequested ? NegotiationFlag.SendOnRequest : 0 },
    };
  }
}
