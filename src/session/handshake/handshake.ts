// One object per endpoint for everything before a session exists: the responder, the initiator's
// attempts, the glare rule between them, (servers) introductions of IHellos that name a peer we
// have a session with, and load balancing. The endpoint feeds it decoded startup datagrams and
// Forwarded IHellos and performs the actions.
//
// Hardening (docs/sessions.md "Hardening"): one hello (IHello or IIKeying) is taken per datagram
// and the datagram is credited to the amplification budget once; Forwarded IHellos are taken only
// from sessions we trust to forward (forwarders.ts), and what we send for them is budgeted.
import type { SocketAddress } from '../../wire/address.js';
import { ChunkType } from '../../wire/chunk-type.js';
import type { AnyChunk } from '../../wire/chunk.js';
import { chunkBodyLength } from '../../wire/chunk.js';
import type { ForwardedIHelloChunk, IHelloChunk } from '../../wire/chunks/hello.js';
import { decodeEpd } from '../../wire/epd.js';
import { peerIdsEqual } from '../../crypto/peer-id.js';
import { EMPTY_DIRECTORY, type HandshakeAction, type SessionDirectory, type UnmatchedIHelloAction } from './actions.js';
import { AmplificationGuard, startupDatagramLength, type AmplificationOptions } from './amplification.js';
import { CookieJar, type CookieJarOptions } from './cookie.js';
import { HandshakeCounters, HandshakeDrop } from './counters.js';
import { DEFAULT_CRYPTO_OPS, type HandshakeCryptoOps } from './crypto-ops.js';
import { nearKeepsInitiatorRole, type GlareDecision } from './glare.js';
import type { Identity } from './identity.js';
import { HandshakeInitiator } from './initiator.js';
import { forwarderTrusted, type ForwarderInfo, type ForwarderTrust } from './forwarders.js';
import { introduce, type LoadBalancer } from './introduction.js';
import { HandshakeRateLimiter, type RateLimitOptions } from './rate-limit.js';
import { HandshakeResponder } from './responder.js';
import { epdNamesServer } from './selection.js';

export interface HandshakeOptions {
  identity: Identity;
  /** Open sessions (duplicate suppression, certificate override, introductions). */
  directory?: SessionDirectory;
  /**
   * Answer IHellos naming a peer in `directory` with Redirect + Forwarded IHello (servers, B.5).
   * Otherwise such IHellos come out as `unmatchedIHello` actions.
   */
  introductions?: boolean;
  /**
   * Redirect IHellos that look for a server (a hostname or URI EPD) to registered servers
   * (RFC 7016 3.5.1.7). With none registered, such IHellos get the normal handshake.
   */
  loadBalancer?: LoadBalancer;
  /** Who may send us Forwarded IHellos (default: sessions we opened; forwarders.ts). */
  forwarders?: ForwarderTrust;
  crypto?: HandshakeCryptoOps;
  allocateSessionId?: () => Uint8Array;
  random?: (n: number) => Uint8Array;
  cookies?: CookieJarOptions;
  amplification?: AmplificationOptions;
  rateLimit?: RateLimitOptions;
  attemptTimeoutMs?: number;
  maxHalfOpenAttempts?: number;
  maxCachedRHellos?: number;
  maxCachedRIKeyings?: number;
}

/** Where a startup chunk came from. */
export interface StartupReceipt {
  from: SocketAddress;
  /** Size of the UDP payload that carried it (anti-amplification accounting). */
  datagramLength: number;
  /** The packet's SSID: zero, or our initiator session ID on RIKeying / Cookie Change. */
  sessionId: Uint8Array;
}

function isZero(id: Uint8Array): boolean {
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return false;
  return true;
}

export class Handshake {
  readonly identity: Identity;
  readonly counters: HandshakeCounters;
  readonly responder: HandshakeResponder;
  readonly initiator: HandshakeInitiator;
  readonly amplification: AmplificationGuard;
  private readonly directory: SessionDirectory;
  private readonly introductions: boolean;
  private readonly loadBalancer: LoadBalancer | undefined;
  private readonly forwarders: ForwarderTrust;

  constructor(o: HandshakeOptions) {
    this.identity = o.identity;
    this.counters = new HandshakeCounters();
    this.directory = o.directory ?? EMPTY_DIRECTORY;
    this.introductions = o.introductions ?? false;
    this.loadBalancer = o.loadBalancer;
    this.forwarders = o.forwarders ?? {};
    this.amplification = new AmplificationGuard(o.amplification);
    const crypto = o.crypto ?? DEFAULT_CRYPTO_OPS;
    const common = {
      identity: o.identity,
      counters: this.counters,
      crypto,
      directory: this.directory,
      ...(o.allocateSessionId !== undefined ? { allocateSessionId: o.allocateSessionId } : {}),
      ...(o.random !== undefined ? { random: o.random } : {}),
    };
    this.initiator = new HandshakeInitiator({
      ...common,
      ...(o.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: o.attemptTimeoutMs } : {}),
      ...(o.maxHalfOpenAttempts !== undefined ? { maxHalfOpenAttempts: o.maxHalfOpenAttempts } : {}),
    });
    this.responder = new HandshakeResponder({
      ...common,
      cookies: new CookieJar({ ...(o.random !== undefined ? { random: o.random } : {}), ...o.cookies }),
      amplification: this.amplification,
      rateLimiter: new HandshakeRateLimiter(o.rateLimit),
      glare: (farPeerId, from, now) => this.glare(farPeerId, from, now),
      ...(o.maxCachedRHellos !== undefined ? { maxCachedRHellos: o.maxCachedRHellos } : {}),
      ...(o.maxCachedRIKeyings !== undefined ? { maxCachedRIKeyings: o.maxCachedRIKeyings } : {}),
    });
  }

  /** Start opening a session toward `epd` at `addresses` (see HandshakeInitiator.open). */
  open(epd: Uint8Array, addresses: readonly SocketAddress[], now: number): { attemptId: number; actions: HandshakeAction[] } {
    return this.initiator.open(epd, addresses, now);
  }

  cancel(attemptId: number): boolean {
    return this.initiator.abandon(attemptId);
  }

  /**
   * The chunks of one startup-mode (MOD 3) datagram. At most one hello (IHello or IIKeying) is
   * taken from it: a datagram's bytes are credited to the sender's amplification budget once, and
   * one datagram gets at most one answer, however many hellos it packs (one 100-byte datagram of
   * 16 IHellos drew 16 RHellos, 26x). Later hellos are dropped as `extraHello`. Unknown chunk
   * types are ignored (RFC 7016 2.3); anything else a startup packet might carry is dropped and
   * counted; nothing throws.
   */
  receiveDatagram(chunks: readonly AnyChunk[], r: StartupReceipt, now: number): HandshakeAction[] {
    let out: HandshakeAction[] = [];
    let hello = false;
    for (const chunk of chunks) {
      if (chunk.type === 'unknown') continue;
      if (chunk.type === ChunkType.IHello || chunk.type === ChunkType.IIKeying) {
        if (hello) {
          this.counters.drop(HandshakeDrop.extraHello);
          continue;
        }
        hello = true;
      }
      const actions = this.dispatch(chunk, r, now);
      out = out.length === 0 ? actions : out.concat(actions);
    }
    return out;
  }

  /** A startup datagram carrying this one chunk (see receiveDatagram). */
  receive(chunk: AnyChunk, r: StartupReceipt, now: number): HandshakeAction[] {
    return this.receiveDatagram([chunk], r, now);
  }

  private dispatch(chunk: AnyChunk, r: StartupReceipt, now: number): HandshakeAction[] {
    switch (chunk.type) {
      case ChunkType.IHello:
        return this.onIHello(chunk, r, now);
      case ChunkType.IIKeying: {
        const actions = this.responder.onIIKeying(chunk, r.from, r.datagramLength, now);
        // Glare, yielding side: only once the session really exists is our attempt folded into it.
        for (const a of actions) if (a.kind === 'established' && a.session.attemptId !== undefined) this.initiator.abandon(a.session.attemptId);
        return actions;
      }
      case ChunkType.RHello:
        return this.initiator.onRHello(chunk, r.from, now);
      case ChunkType.Redirect:
        return this.initiator.onRedirect(chunk, r.from, now);
      case ChunkType.CookieChange:
        return this.initiator.onCookieChange(chunk, r.from, now, isZero(r.sessionId) ? undefined : r.sessionId);
      case ChunkType.RIKeying:
        return this.initiator.onRIKeying(chunk, r.from, r.sessionId, now);
      default:
        return this.counters.drop(HandshakeDrop.unexpectedChunk);
    }
  }

  private onIHello(chunk: IHelloChunk, r: StartupReceipt, now: number): HandshakeAction[] {
    if (!this.responder.admit(r.from, r.datagramLength, now)) return this.counters.drop(HandshakeDrop.rateLimited);
    const balanced = this.loadBalancer === undefined ? undefined : this.balance(this.loadBalancer, chunk, r.from, now);
    if (balanced !== undefined) return balanced;
    const actions = this.responder.onAdmittedIHello(chunk, r.from, now);
    return this.introductions ? actions.flatMap((a) => (a.kind === 'unmatchedIHello' ? this.introduce(a, now) : [a])) : actions;
  }

  /**
   * Load balancing: an IHello looking for a server (hostname or URI; an empty EPD looks for
   * nothing) gets a Redirect to registered servers, charged to the initiator's budget, and each
   * server a Forwarded IHello. undefined when the responder should handle it.
   */
  private balance(lb: LoadBalancer, ihello: IHelloChunk, from: SocketAddress, now: number): HandshakeAction[] | undefined {
    let epd;
    try {
      epd = decodeEpd(ihello.epd);
    } catch {
      return undefined; // the responder counts it
    }
    if (!epdNamesServer(epd)) return undefined; // a peer ID (registration, introduction) or nothing
    const actions = lb.onIHello(ihello, from);
    if (actions.length === 0) return undefined; // no server registered: serve it ourselves
    for (const a of actions) {
      if (a.kind === 'sendStartup' && !this.amplification.trySend(a.to, startupDatagramLength(chunkBodyLength(a.chunk)), now)) {
        return this.counters.drop(HandshakeDrop.amplification);
      }
    }
    this.counters.loadBalanced++;
    return actions;
  }

  /**
   * A Forwarded IHello that arrived on an open session (we are the introduced target, B.5, or a
   * server behind a load balancer). Only a forwarder we trust may make us send to an address of
   * its choosing (forwarders.ts); others are dropped as `untrustedForwarder`. The RHello is then
   * budgeted against the reply address (HandshakeResponder.onForwardedIHello).
   */
  receiveForwardedIHello(chunk: ForwardedIHelloChunk, via: ForwarderInfo, now: number): HandshakeAction[] {
    if (!forwarderTrusted(this.forwarders, via)) return this.counters.drop(HandshakeDrop.untrustedForwarder);
    return this.responder.onForwardedIHello(chunk, now);
  }

  nextTimeout(): number {
    return this.initiator.nextTimeout();
  }

  onTimeout(now: number): HandshakeAction[] {
    return this.initiator.onTimeout(now);
  }

  /**
   * Server side of an introduction: Redirect to the initiator (charged to its amplification
   * budget) + Forwarded IHello to the target. A fingerprint we have no session for stays an
   * `unmatchedIHello` for the application.
   */
  private introduce(u: UnmatchedIHelloAction, now: number): HandshakeAction[] {
    const fp = u.epd.fingerprint;
    const target = fp === undefined ? undefined : this.directory.byPeerId(fp)[0];
    if (target === undefined) return [u];
    const actions = introduce(u.ihello, u.from, target);
    // All or nothing: an initiator over its budget gets no Redirect, and its target no Forwarded
    // IHello (which would make the target answer that address).
    for (const a of actions) {
      if (a.kind === 'sendStartup' && !this.amplification.trySend(a.to, startupDatagramLength(chunkBodyLength(a.chunk)), now)) {
        return this.counters.drop(HandshakeDrop.amplification);
      }
    }
    for (const a of actions) {
      if (a.kind === 'sendStartup') this.counters.redirectsSent++;
      else if (a.kind === 'sendOnSession') this.counters.introductions++;
    }
    return actions;
  }

  /**
   * Glare (B.1): an IIKeying from a peer we are also opening to. The larger peer ID keeps the
   * initiator role (glare.ts). When we yield, the responder names our attempt in its
   * `established` action (and receive() then abandons it), so its waiting flows move there.
   */
  private glare(farPeerId: Uint8Array, _from: SocketAddress, _now: number): GlareDecision {
    const attempts = this.initiator.attemptsToward(farPeerId);
    if (attempts.length === 0 || peerIdsEqual(farPeerId, this.identity.peerId)) return { answer: true, foldAttemptId: undefined };
    if (nearKeepsInitiatorRole(this.identity.peerId, farPeerId)) return { answer: false };
    return { answer: true, foldAttemptId: attempts[0] };
  }
}
