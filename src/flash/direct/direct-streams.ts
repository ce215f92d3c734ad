// Direct (peer-to-peer) NetStreams of one NetConnection (RFC 7425 5.4, wire-reference E.8).
//
// Publishing side: `new NetStream(nc, NetStream.DIRECT_CONNECTIONS)` gets a DirectPublication as
// its transport; peers reach us by our peer ID, introduced by the server (B.5) or by address, and
// open a session to our endpoint. On that session each play request is a flow with TC metadata
// stream S and no association whose first message is `play name`; we answer on flows for stream
// S associated with it (PeerSubscriber).
//
// Playing side: `new NetStream(nc, publisherPeerID)` gets a session to the publisher (reused when
// one is open either way), a stream ID of its own on that session (from PLAY_STREAM_ID_BASE, as
// librtmfp uses 2000001) and a plain StreamTransport with no association; `play` goes out on it
// and the publisher's flows for that stream ID, which answer it, feed the NetStream.
import { createRelayCounters } from '../../stream/relay-counters.js';
import { RtmfpError } from '../../errors.js';
import { fromHex, toHex } from '../../crypto/hex.js';
import type { Endpoint } from '../../session/endpoint.js';
import type { Session } from '../../session/session.js';
import type { ReceiveFlowInfo } from '../../flow/receive-flow.js';
import { tcStreamId } from '../../wire/flash/tc-metadata.js';
import { FlashMessageDecoder, type FlashMessage } from '../../wire/flash/message.js';
import { localStatus, NetStreamCode, StatusLevel } from '../net-status.js';
import { NetStream } from '../net-stream.js';
import { StreamTransport } from '../../stream/stream-transport.js';
import { DirectPublication, MAX_DIRECT_STREAM_NAME_LENGTH, type DirectPublicationRegistry } from './direct-publication.js';
import { PeerSubscriber } from './peer-subscriber.js';

/**
 * First stream ID a player uses on a peer session (E.1: librtmfp's P2P NetStream is 2000001;
 * Flash's own choice is unknown). Further players on the same session count up from it.
 */
export const PLAY_STREAM_ID_BASE = 2_000_001;
/** Default for how long a player waits for the session to the publisher before Connect.Failed. */
export const DEFAULT_PEER_CONNECT_TIMEOUT_MS = 15_000;
/** An outbound peer session with no streams left is closed after this (a new play may reuse it). */
export const PEER_SESSION_LINGER_MS = 1000;
/** Most play requests one peer session may hold open towards us. */
export const MAX_PLAY_REQUESTS_PER_SESSION = 64;

export interface DirectStreamsOptions {
  /** How long a player waits for the session to the publisher. Default 15000. */
  peerConnectTimeoutMs?: number;
  /** How long a close waits for the orderly session close before aborting. Default 3000. */
  closeWaitMs?: number;
}

/** What the direct streams need from their NetConnection. */
export interface DirectStreamsHost {
  /** The NetConnection's endpoint, once it has one. */
  readonly endpoint: Endpoint | undefined;
  /** The server's address, when connected to one: where IHellos for a peer go to be introduced. */
  readonly serverAddress: { address: string; port: number } | undefined;
  readonly connected: boolean;
}

/** Counters of the direct side of a NetConnection. */
export interface DirectStreamsCounters {
  peerSessionsIn: number;
  peerSessionsOut: number;
  playRequests: number;
  /** Play requests answered with StreamNotFound or refused by onPeerConnect. */
  playRefused: number;
  /** Messages on peer flows that did not decode (dropped). */
  malformed: number;
}

type FlowRole =
  | { kind: 'ignore' }
  /** A peer's play request flow (no association): stream S. */
  | { kind: 'request'; streamId: number; subscriber: PeerSubscriber | undefined; refused: boolean }
  /** A publisher's flow answering one of our players (associated): stream S. */
  | { kind: 'return'; streamId: number };

/** One session with a peer and the direct streams on it, both ways. */
class PeerSession {
  readonly session: Session;
  readonly farID: string;
  /** Our players on this session by the stream ID they chose. */
  readonly players = new Map<number, NetStream>();
  readonly flows = new Map<number, FlowRole>();
  lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    session: Session,
    readonly outbound: boolean,
  ) {
    this.session = session;
    this.farID = toHex(session.farPeerId);
  }

  get subscriberCount(): number {
    let n = 0;
    for (const r of this.flows.values()) if (r.kind === 'request' && r.subscriber && !r.subscriber.closed) n++;
    return n;
  }

  nextStreamId(): number {
    let id = PLAY_STREAM_ID_BASE;
    while (this.players.has(id)) id++;
    return id;
  }
}

export class DirectStreams implements DirectPublicationRegistry {
  readonly counters: DirectStreamsCounters = { peerSessionsIn: 0, peerSessionsOut: 0, playRequests: 0, playRefused: 0, malformed: 0 };
  /** Our direct publications by name. */
  readonly publications = new Map<string, DirectPublication>();
  private readonly host: DirectStreamsHost;
  private readonly options: DirectStreamsOptions;
  private readonly peers = new Map<Session, PeerSession>();
  private readonly playerSessions = new Map<NetStream, PeerSession>();
  private readonly connecting = new Map<string, Promise<Session>>();
  /** Addresses to try for a peer ID (hex), besides the server's introduction. */
  private readonly knownAddresses = new Map<string, { address: string; port: number }[]>();
  private readonly decoder = new FlashMessageDecoder();
  private bound: Endpoint | undefined;
  private nextLocalStreamId = 1;
  private readonly onInbound = (session: Session): void => {
    this.counters.peerSessionsIn++;
    this.adopt(session, false);
  };

  constructor(host: DirectStreamsHost, options: DirectStreamsOptions = {}) {
    this.host = host;
    this.options = options;
  }

  /** Starts accepting peers' sessions on `endpoint` (once the NetConnection is connected). */
  bind(endpoint: Endpoint): void {
    if (this.bound === endpoint) return;
    this.unbind();
    this.bound = endpoint;
    endpoint.on('session', this.onInbound);
  }

  /** Where to find a peer without (or besides) a server's introduction. */
  setPeerAddresses(peerID: string, addresses: readonly { address: string; port: number }[]): void {
    const key = normalizePeerId(peerID);
    if (addresses.length === 0) this.knownAddresses.delete(key);
    else this.knownAddresses.set(key, addresses.map((a) => ({ address: a.address, port: a.port })));
  }

  // ---- NetStreamHost, for NetStreams with a farID ----

  attachStream(ns: NetStream): void {
    if (!this.host.connected || !this.host.endpoint) {
      queueMicrotask(() => ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, 'NetConnection is not connected')));
      return;
    }
    if (ns.farID === NetStream.DIRECT_CONNECTIONS) {
      const id = this.nextLocalStreamId++;
      ns.attach(id, new DirectPublication(ns, id, this));
      return;
    }
    let peerId: Uint8Array;
    try {
      peerId = fromHex(ns.farID!, 32);
    } catch {
      queueMicrotask(() => ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, `not a peer ID: ${JSON.stringify(ns.farID)}`)));
      return;
    }
    void this.attachPlayer(ns, peerId);
  }

  detachStream(ns: NetStream): void {
    const peer = this.playerSessions.get(ns);
    if (!peer) return;
    this.playerSessions.delete(ns);
    for (const [id, p] of peer.players) if (p === ns) peer.players.delete(id);
    this.maybeLinger(peer);
  }

  // ---- DirectPublicationRegistry ----

  claim(name: string, publication: DirectPublication): boolean {
    const holder = this.publications.get(name);
    if (holder && holder !== publication) return false;
    this.publications.set(name, publication);
    return true;
  }

  release(name: string, publication: DirectPublication): void {
    if (this.publications.get(name) === publication) this.publications.delete(name);
  }

  /** Ends every direct stream and peer session (the NetConnection closes). */
  async close(): Promise<void> {
    this.unbind();
    for (const pub of [...this.publications.values()]) pub.ns.fail(localStatus(StatusLevel.Status, NetStreamCode.ConnectClosed, 'the NetConnection closed'));
    for (const ns of [...this.playerSessions.keys()]) ns.fail(localStatus(StatusLevel.Status, NetStreamCode.ConnectClosed, 'the NetConnection closed'));
    const sessions = [...this.peers.values()].map((p) => p.session).filter((s) => s.state !== 'closed');
    await Promise.all(sessions.map((s) => this.closeBounded(s)));
  }

  // ---- internals ----

  private unbind(): void {
    this.bound?.off('session', this.onInbound);
    this.bound = undefined;
  }

  private async attachPlayer(ns: NetStream, peerId: Uint8Array): Promise<void> {
    const key = toHex(peerId);
    let session: Session;
    try {
      session = await this.sessionTo(peerId, key);
    } catch (e) {
      if (ns.state === 'creating') ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, `no session with peer ${key.slice(0, 16)}…: ${(e as Error).message}`));
      return;
    }
    if (ns.state !== 'creating') return this.maybeLinger(this.peers.get(session));
    const peer = this.adopt(session, true);
    clearTimeout(peer.lingerTimer);
    const streamId = peer.nextStreamId();
    peer.players.set(streamId, ns);
    this.playerSessions.set(ns, peer);
    ns.emit('netStatus', localStatus(StatusLevel.Status, NetStreamCode.ConnectSuccess, `connected to peer ${key}`));
    ns.attach(streamId, new StreamTransport({ session, streamId, association: undefined }));
  }

  /** An open session with the peer (ours or theirs), or a new one: introduced by the server and/or at known addresses. */
  private sessionTo(peerId: Uint8Array, key: string): Promise<Session> {
    for (const p of this.peers.values()) if (p.farID === key && p.session.state === 'open') return Promise.resolve(p.session);
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const endpoint = this.host.endpoint!;
    const addresses = [...(this.knownAddresses.get(key) ?? [])];
    const server = this.host.serverAddress;
    if (server) addresses.push(server);
    if (addresses.length === 0) return Promise.reject(new RtmfpError('ERR_DIRECT_NO_ROUTE', 'no server to introduce us and no known address for the peer'));
    const timeoutMs = this.options.peerConnectTimeoutMs ?? DEFAULT_PEER_CONNECT_TIMEOUT_MS;
    const p = new Promise<Session>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new RtmfpError('ERR_DIRECT_TIMEOUT', `peer not reached within ${timeoutMs} ms`));
      }, timeoutMs);
      endpoint.connect({ peerId, addresses }).then(
        (session) => {
          clearTimeout(timer);
          this.counters.peerSessionsOut++;
          const peer = this.adopt(session, true);
          if (timedOut) this.maybeLinger(peer);
          else resolve(session);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
    this.connecting.set(key, p);
    const forget = (): void => void (this.connecting.get(key) === p && this.connecting.delete(key));
    p.then(forget, forget);
    return p;
  }

  /** Routes a peer session's flows to our publications and players. Idempotent. */
  private adopt(session: Session, outbound: boolean): PeerSession {
    let peer = this.peers.get(session);
    if (peer) return peer;
    const created = new PeerSession(session, outbound);
    peer = created;
    this.peers.set(session, created);
    session.on('message', (flow, message) => this.onMessage(created, flow, message));
    session.on('flowComplete', (flow) => this.onFlowComplete(created, flow));
    session.once('close', () => this.onSessionClose(created));
    return created;
  }

  private roleOf(peer: PeerSession, flow: ReceiveFlowInfo): FlowRole {
    let role = peer.flows.get(flow.flowId);
    if (role) return role;
    role = { kind: 'ignore' };
    const streamId = tcStreamId(flow.metadata);
    if (streamId > 0) {
      if (flow.associatedFlowId !== undefined) role = { kind: 'return', streamId };
      else if (countRequests(peer) < MAX_PLAY_REQUESTS_PER_SESSION) role = { kind: 'request', streamId, subscriber: undefined, refused: false };
    }
    peer.flows.set(flow.flowId, role);
    return role;
  }

  private onMessage(peer: PeerSession, flow: ReceiveFlowInfo, message: Uint8Array): void {
    const role = this.roleOf(peer, flow);
    if (role.kind === 'ignore') return;
    let m: FlashMessage;
    try {
      m = this.decoder.decode(message);
    } catch (e) {
      if (!(e instanceof RtmfpError)) throw e;
      this.counters.malformed++;
      if (role.kind === 'return') peer.players.get(role.streamId)?.malformed();
      return;
    }
    if (role.kind === 'return') {
      const ns = peer.players.get(role.streamId);
      if (ns) ns.receive(fromSetDataFrame(m));
      return;
    }
    if (role.refused) return;
    if (role.subscriber) {
      if (m.kind === 'command') role.subscriber.onCommand(m.command);
      return;
    }
    if (m.kind !== 'command' || m.command.name !== 'play') return; // nothing before play means anything
    this.onPlayRequest(peer, flow.flowId, role, m.command.args[0]);
  }

  /** `play name` on a new request flow (E.8 step 3). */
  private onPlayRequest(peer: PeerSession, flowId: number, role: Extract<FlowRole, { kind: 'request' }>, nameValue: unknown): void {
    this.counters.playRequests++;
    const name = typeof nameValue === 'string' && nameValue.length <= MAX_DIRECT_STREAM_NAME_LENGTH ? nameValue : '';
    const publication = name ? this.publications.get(name) : undefined;
    const subscriber = new PeerSubscriber(peer.session, flowId, role.streamId, name, publication ?? NO_PUBLICATION);
    if (!publication) {
      role.refused = true;
      this.counters.playRefused++;
      subscriber.refuse(NetStreamCode.PlayStreamNotFound, name ? `${name} is not published here.` : 'not a stream name.');
      return;
    }
    if (!publication.admit(subscriber)) {
      role.refused = true;
      this.counters.playRefused++;
      subscriber.refuse(NetStreamCode.PlayFailed, `the publisher refused ${name}.`);
      return;
    }
    role.subscriber = subscriber;
    clearTimeout(peer.lingerTimer);
  }

  private onFlowComplete(peer: PeerSession, flow: ReceiveFlowInfo): void {
    const role = peer.flows.get(flow.flowId);
    peer.flows.delete(flow.flowId);
    if (role?.kind === 'request') {
      role.subscriber?.close();
      this.maybeLinger(peer);
    }
  }

  private onSessionClose(peer: PeerSession): void {
    this.peers.delete(peer.session);
    clearTimeout(peer.lingerTimer);
    for (const role of peer.flows.values()) if (role.kind === 'request') role.subscriber?.close();
    peer.flows.clear();
    for (const ns of [...peer.players.values()]) {
      this.playerSessions.delete(ns);
      ns.fail(localStatus(StatusLevel.Status, NetStreamCode.ConnectClosed, `the session with peer ${peer.farID} closed`));
    }
    peer.players.clear();
  }

  /** An outbound session with nothing on it any more is closed after a short linger. */
  private maybeLinger(peer: PeerSession | undefined): void {
    if (!peer || !peer.outbound || peer.players.size > 0 || peer.subscriberCount > 0 || peer.session.state !== 'open') return;
    clearTimeout(peer.lingerTimer);
    peer.lingerTimer = setTimeout(() => {
      if (peer.players.size === 0 && peer.subscriberCount === 0) void this.closeBounded(peer.session);
    }, PEER_SESSION_LINGER_MS);
    peer.lingerTimer.unref();
  }

  /** Orderly close, aborted after closeWaitMs. */
  private closeBounded(session: Session): Promise<void> {
    if (session.state === 'closed') return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => session.abort('local'), this.options.closeWaitMs ?? 3000);
      session.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      session.close();
    });
  }
}

/** Context of a subscriber refused before it had a publication: it sends one status and ends. */
const NO_PUBLICATION = {
  relayCounters: createRelayCounters(),
  mediaLifetimeMs: 0,
  subscriberClosed: () => undefined,
};

function countRequests(peer: PeerSession): number {
  let n = 0;
  for (const r of peer.flows.values()) if (r.kind === 'request') n++;
  return n;
}

/** Peer IDs are compared in lowercase hex (wire-reference D.6). */
function normalizePeerId(peerID: string): string {
  return toHex(fromHex(peerID, 32));
}

/**
 * librtmfp's P2P publisher sends `@setDataFrame onMetaData {...}` to its players (E.8 step 4);
 * a player wants `onMetaData {...}`, as a server would relay it (E.7).
 */
function fromSetDataFrame(m: FlashMessage): FlashMessage {
  if (m.kind !== 'data' || m.data.handler !== '@setDataFrame') return m;
  const [handler, ...args] = m.data.args;
  if (typeof handler !== 'string') return m;
  return { ...m, data: { handler, args } };
}
