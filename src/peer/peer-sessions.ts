// Sessions to peers by peer ID on one Endpoint, shared by every subsystem that talks to peers
// (direct NetStreams now, NetGroups later). A session is opened on demand, by the server's
// introduction (RFC 7016 3.5.1.4-3.5.1.6, wire-reference B.5) and/or at known addresses, reused
// whichever side opened it, held by its users and closed once it has been idle for a while. Each
// session's incoming flows go to whichever subsystem claims their metadata (FlowRouter); a flow
// nobody claims is rejected (Flow Exception Report, RFC 7016 2.3.16, wire-reference C.4).
//
// Every inbound session of the endpoint is taken as a peer session: use PeerSessions on an
// endpoint of a client (a NetConnection's), not on a server's.
import { EventEmitter } from 'node:events';
import { fromHex, toHex } from '../crypto/hex.js';
import type { ReceiveFlowInfo } from '../flow/receive-flow.js';
import type { Endpoint } from '../session/endpoint.js';
import type { Session, SessionCloseReason } from '../session/session.js';
import { PeerError, PeerErrorCode } from './errors.js';
import { FlowRouter, type FlowRoute, type Unregister } from './flow-router.js';
import { PeerSession, type PeerHold, type PeerSessionOwner } from './peer-session.js';

/** How long a session nobody holds any more stays open (a new user may take it again). */
export const DEFAULT_PEER_LINGER_MS = 1000;
/** How long a session a peer opened to us may stay without a user (its first flows come first). */
export const DEFAULT_PEER_ACCEPT_GRACE_MS = 10_000;
/** How long open() waits for a new session. */
export const DEFAULT_PEER_OPEN_TIMEOUT_MS = 15_000;
/** How long an idle close waits for the orderly close (RFC 7016 3.5.5) before aborting. */
export const DEFAULT_PEER_CLOSE_WAIT_MS = 3000;

export interface PeerSessionsOptions {
  lingerMs?: number;
  acceptGraceMs?: number;
  closeWaitMs?: number;
}

export interface PeerOpenOptions {
  /**
   * Where to send the IHello besides the peer's known addresses: typically the server we are
   * connected to, which introduces us (forwards the IHello to the peer, B.5).
   */
  addresses?: readonly { address: string; port: number }[];
  timeoutMs?: number;
}

/** Live object. */
export interface PeerSessionsCounters {
  /** Sessions peers opened to us. */
  sessionsIn: number;
  /** Sessions we opened. */
  sessionsOut: number;
  /** Sessions we closed because nobody held them. */
  closedIdle: number;
  /** Incoming flows a route claimed. */
  flowsClaimed: number;
  /** Incoming flows no route claimed: rejected. */
  flowsRejected: number;
}

export interface PeerSessionsEvents {
  /** A peer session joined (a peer opened it, or we did). */
  session: [peer: PeerSession];
}

const registry = new WeakMap<Endpoint, PeerSessions>();

export class PeerSessions extends EventEmitter<PeerSessionsEvents> implements PeerSessionOwner {
  readonly endpoint: Endpoint;
  readonly counters: PeerSessionsCounters = { sessionsIn: 0, sessionsOut: 0, closedIdle: 0, flowsClaimed: 0, flowsRejected: 0 };
  private readonly router = new FlowRouter();
  private readonly options: Required<PeerSessionsOptions>;
  /** Adopted sessions by far peer ID (hex); more than one when both sides opened one. */
  private readonly byPeer = new Map<string, PeerSession[]>();
  private readonly pending = new Map<string, Promise<PeerSession>>();
  private readonly known = new Map<string, { address: string; port: number }[]>();
  private closed = false;
  private readonly onInbound = (session: Session): void => {
    this.counters.sessionsIn++;
    this.adopt(session, false);
  };

  /** The endpoint's PeerSessions, created on first use (`options` apply then). */
  static of(endpoint: Endpoint, options: PeerSessionsOptions = {}): PeerSessions {
    return registry.get(endpoint) ?? new PeerSessions(endpoint, options);
  }

  /** Throws PeerError ERR_PEER_SESSIONS_EXIST when the endpoint has one (see `of`). */
  constructor(endpoint: Endpoint, options: PeerSessionsOptions = {}) {
    super();
    if (registry.has(endpoint)) throw new PeerError(PeerErrorCode.Exists, 'this endpoint already has its PeerSessions');
    registry.set(endpoint, this);
    this.endpoint = endpoint;
    this.options = {
      lingerMs: options.lingerMs ?? DEFAULT_PEER_LINGER_MS,
      acceptGraceMs: options.acceptGraceMs ?? DEFAULT_PEER_ACCEPT_GRACE_MS,
      closeWaitMs: options.closeWaitMs ?? DEFAULT_PEER_CLOSE_WAIT_MS,
    };
    endpoint.on('session', this.onInbound);
  }

  /** Claims the incoming flows whose metadata starts with `route.prefix` (see FlowRoute). */
  register(route: FlowRoute): Unregister {
    return this.router.register(route);
  }

  /** Where to find a peer (peer ID as 64 hex digits or 32 bytes) besides introductions. An empty list forgets it. */
  setAddresses(peerId: string | Uint8Array, addresses: readonly { address: string; port: number }[]): void {
    const key = peerKey(peerId);
    if (addresses.length === 0) this.known.delete(key);
    else this.known.set(key, addresses.map((a) => ({ address: a.address, port: a.port })));
  }

  /** An open session with the peer, if there is one (ours or theirs). */
  get(peerId: string | Uint8Array): PeerSession | undefined {
    return this.byPeer.get(peerKey(peerId))?.find((p) => p.open);
  }

  /** Every adopted session that is not closed yet. */
  *sessions(): IterableIterator<PeerSession> {
    for (const list of this.byPeer.values()) yield* list;
  }

  /**
   * A hold on an open session with the peer: the one there is (either side opened it), or a new
   * one (one attempt per peer at a time, shared by concurrent callers). Rejects with PeerError
   * (NoRoute, Timeout, Closed) or the endpoint's ERR_SESSION_OPEN_FAILED.
   */
  async open(peerId: string | Uint8Array, options: PeerOpenOptions = {}): Promise<PeerHold> {
    if (this.closed) throw new PeerError(PeerErrorCode.Closed, 'PeerSessions is closed');
    const key = peerKey(peerId);
    const peer = this.get(key) ?? (await (this.pending.get(key) ?? this.connect(key, options)));
    if (!peer.open) throw new PeerError(PeerErrorCode.Closed, `the session with peer ${key.slice(0, 16)}… closed`);
    return peer.hold();
  }

  /** Closes now every session nobody holds (orderly, bounded by closeWaitMs), and waits for it. */
  async closeIdle(closeWaitMs = this.options.closeWaitMs): Promise<void> {
    const idle = [...this.sessions()].filter((p) => p.users === 0);
    await Promise.all(idle.map((p) => this.closeBounded(p, closeWaitMs)));
  }

  /** Stops taking sessions and closes every one (orderly, bounded). Holds become void. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.endpoint.off('session', this.onInbound);
    if (registry.get(this.endpoint) === this) registry.delete(this.endpoint);
    await Promise.all([...this.sessions()].map((p) => this.closeBounded(p, this.options.closeWaitMs)));
  }

  // ---- PeerSessionOwner ----

  idle(peer: PeerSession): void {
    this.armIdle(peer, this.options.lingerMs);
  }

  busy(peer: PeerSession): void {
    peer.idleTimer?.cancel();
    peer.idleTimer = undefined;
  }

  // ---- internals ----

  private connect(key: string, options: PeerOpenOptions): Promise<PeerSession> {
    if (this.closed) return Promise.reject(new PeerError(PeerErrorCode.Closed, 'PeerSessions is closed'));
    const addresses = [...(this.known.get(key) ?? []), ...(options.addresses ?? [])];
    if (addresses.length === 0) {
      return Promise.reject(new PeerError(PeerErrorCode.NoRoute, 'no server to introduce us and no known address for the peer'));
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_PEER_OPEN_TIMEOUT_MS;
    const clock = this.endpoint.clock;
    const p = new Promise<PeerSession>((resolve, reject) => {
      let timedOut = false;
      const timer = clock.setTimer(clock.now() + timeoutMs, () => {
        timedOut = true;
        reject(new PeerError(PeerErrorCode.Timeout, `peer not reached within ${timeoutMs} ms`));
      });
      this.endpoint.connect({ peerId: fromHex(key, 32), addresses }).then(
        (session) => {
          timer.cancel();
          this.counters.sessionsOut++;
          const peer = this.adopt(session, true);
          // Too late for its caller: nobody holds it, so it idles out like any other.
          if (timedOut) this.armIdle(peer, this.options.lingerMs);
          else resolve(peer);
        },
        (e: unknown) => {
          timer.cancel();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
    this.pending.set(key, p);
    const forget = (): void => void (this.pending.get(key) === p && this.pending.delete(key));
    p.then(forget, forget);
    return p;
  }

  private adopt(session: Session, outbound: boolean): PeerSession {
    const peer = new PeerSession(session, outbound, this);
    const list = this.byPeer.get(peer.farId);
    if (list) list.push(peer);
    else this.byPeer.set(peer.farId, [peer]);
    session.on('flow', (flow) => this.onFlow(peer, flow));
    session.on('message', (flow, message) => peer.flows.get(flow)?.onMessage(flow, message));
    session.on('abandoned', (flow, first, last) => peer.flows.get(flow)?.onAbandoned?.(flow, first, last));
    session.on('flowComplete', (flow) => {
      const handler = peer.flows.get(flow);
      peer.flows.delete(flow);
      handler?.onComplete?.(flow);
    });
    session.once('close', (reason) => this.onClose(peer, reason));
    // A session a peer opened has no user until one of its flows is claimed and held.
    if (!outbound) this.armIdle(peer, this.options.acceptGraceMs);
    this.emit('session', peer);
    return peer;
  }

  private onFlow(peer: PeerSession, flow: ReceiveFlowInfo): void {
    const handler = this.router.route(peer, flow);
    if (handler) {
      this.counters.flowsClaimed++;
      peer.flows.set(flow, handler);
      return;
    }
    this.counters.flowsRejected++;
    peer.session.rejectFlow(flow.flowId);
  }

  private onClose(peer: PeerSession, reason: SessionCloseReason): void {
    peer.idleTimer?.cancel();
    peer.idleTimer = undefined;
    const list = this.byPeer.get(peer.farId);
    if (list) {
      const rest = list.filter((p) => p !== peer);
      if (rest.length > 0) this.byPeer.set(peer.farId, rest);
      else this.byPeer.delete(peer.farId);
    }
    const flows = [...peer.flows];
    peer.flows.clear();
    for (const [flow, handler] of flows) handler.onSessionClose?.(flow);
    peer.emit('close', reason);
  }

  private armIdle(peer: PeerSession, afterMs: number): void {
    if (!peer.open || peer.users > 0) return;
    peer.idleTimer?.cancel();
    const clock = this.endpoint.clock;
    peer.idleTimer = clock.setTimer(clock.now() + afterMs, () => {
      peer.idleTimer = undefined;
      if (peer.users > 0 || !peer.open) return;
      this.counters.closedIdle++;
      void this.closeBounded(peer, this.options.closeWaitMs);
    });
  }

  /** Orderly close, aborted after `waitMs`; resolves once the session is closed. */
  private closeBounded(peer: PeerSession, waitMs: number): Promise<void> {
    const session = peer.session;
    if (session.state === 'closed') return Promise.resolve();
    const clock = this.endpoint.clock;
    return new Promise<void>((resolve) => {
      const timer = clock.setTimer(clock.now() + waitMs, () => session.abort('local'));
      session.once('close', () => {
        timer.cancel();
        resolve();
      });
      session.close();
    });
  }
}

/** Peer IDs are compared in lowercase hex (wire-reference D.6). Throws CryptoError on bad hex. */
function peerKey(peerId: string | Uint8Array): string {
  return typeof peerId === 'string' ? toHex(fromHex(peerId, 32)) : toHex(peerId);
}
