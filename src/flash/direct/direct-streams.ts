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
import type { ReceiveFlowInfo } from '../../flow/receive-flow.js';
import { SystemClock, type Clock } from '../../time/clock.js';
import { TC_SIGNATURE_0, TC_SIGNATURE_1, tcStreamId } from '../../wire/flash/tc-metadata.js';
import { FlashMessageDecoder, type FlashMessage } from '../../wire/flash/message.js';
import type { FlowHandler } from '../../peer/flow-handler.js';
import type { Unregister } from '../../peer/flow-router.js';
import type { PeerHold, PeerSession } from '../../peer/peer-session.js';
import { DEFAULT_PEER_LINGER_MS, PeerSessions } from '../../peer/peer-sessions.js';
import { localStatus, NetStreamCode, StatusLevel } from '../net-status.js';
import { NetStream } from '../net-stream.js';
import { StreamTransport } from '../../stream/stream-transport.js';
import { DirectPublication, MAX_DIRECT_STREAM_NAME_LENGTH, type DirectPublicationRegistry } from './direct-publication.js';
import { PeerSubscriber, type PeerSubscriberContext } from './peer-subscriber.js';

/**
 * First stream ID a player uses on a peer session (E.1: librtmfp's P2P NetStream is 2000001;
 * Flash's own choice is unknown). Further players on the same session count up from it.
 */
export const PLAY_STREAM_ID_BASE = 2_000_001;
/** Default for how long a player waits for the session to the publisher before Connect.Failed. */
export const DEFAULT_PEER_CONNECT_TIMEOUT_MS = 15_000;
/** A peer session with no streams left is closed after this (a new play may reuse it). */
export const PEER_SESSION_LINGER_MS = DEFAULT_PEER_LINGER_MS;
/** Most play requests one peer session may hold open towards us. */
export const MAX_PLAY_REQUESTS_PER_SESSION = 64;

/** The flows of Flash NetStreams: TC metadata (RFC 7425 5.1, wire-reference E.1). */
const TC_PREFIX = Uint8Array.of(TC_SIGNATURE_0, TC_SIGNATURE_1);

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
  /** The NetConnection's clock (default: the endpoint's, else the system clock). */
  readonly clock?: Clock | undefined;
}

/** Counters of the direct side of a NetConnection. */
export interface DirectStreamsCounters {
  /** Peer sessions peers opened to the endpoint while bound. */
  peerSessionsIn: number;
  /** Peer sessions opened from the endpoint while bound. */
  peerSessionsOut: number;
  playRequests: number;
  /** Play requests answered with StreamNotFound or refused by onPeerConnect. */
  playRefused: number;
  /** Messages on peer flows that did not decode (dropped). */
  malformed: number;
}

/** The direct streams on one peer session, both ways. */
interface PeerStreams {
  /** Our players on this session by the stream ID they chose. */
  readonly players: Map<number, NetStream>;
  /** Play request flows the peer has open towards us. */
  requests: number;
}

interface Player {
  readonly hold: PeerHold;
  readonly streamId: number;
}

const SYSTEM_CLOCK = new SystemClock();

export class DirectStreams implements DirectPublicationRegistry {
  readonly counters: DirectStreamsCounters = { peerSessionsIn: 0, peerSessionsOut: 0, playRequests: 0, playRefused: 0, malformed: 0 };
  /** Our direct publications by name. */
  readonly publications = new Map<string, DirectPublication>();
  private readonly host: DirectStreamsHost;
  private readonly options: DirectStreamsOptions;
  private readonly streams = new Map<PeerSession, PeerStreams>();
  private readonly players = new Map<NetStream, Player>();
  /** Addresses to try for a peer ID (hex), besides the server's introduction. */
  private readonly knownAddresses = new Map<string, { address: string; port: number }[]>();
  private readonly decoder = new FlashMessageDecoder();
  private peers: PeerSessions | undefined;
  private unregister: Unregister | undefined;
  private nextLocalStreamId = 1;
  private readonly onPeerSession = (peer: PeerSession): void => {
    if (peer.outbound) this.counters.peerSessionsOut++;
    else this.counters.peerSessionsIn++;
  };

  constructor(host: DirectStreamsHost, options: DirectStreamsOptions = {}) {
    this.host = host;
    this.options = options;
  }

  /** The endpoint's shared peer sessions, while bound. */
  get peerSessions(): PeerSessions | undefined {
    return this.peers;
  }

  /** Starts taking the TC flows of the endpoint's peer sessions (once the NetConnection is connected). */
  bind(endpoint: Endpoint): void {
    if (this.peers?.endpoint === endpoint) return;
    this.unbind();
    const peers = PeerSessions.of(endpoint, this.options.closeWaitMs !== undefined ? { closeWaitMs: this.options.closeWaitMs } : {});
    this.peers = peers;
    peers.on('session', this.onPeerSession);
    this.unregister = peers.register({ prefix: TC_PREFIX, claim: (peer, flow) => this.claimFlow(peer, flow) });
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
      this.clock.defer(() => ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, 'NetConnection is not connected')));
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
      this.clock.defer(() => ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, `not a peer ID: ${JSON.stringify(ns.farID)}`)));
      return;
    }
    void this.attachPlayer(ns, peerId);
  }

  detachStream(ns: NetStream): void {
    const player = this.players.get(ns);
    if (!player) return;
    this.players.delete(ns);
    const streams = this.streams.get(player.hold.peer);
    if (streams?.players.get(player.streamId) === ns) streams.players.delete(player.streamId);
    player.hold.release();
  }

  // ---- DirectPublicationRegistry ----

  get clock(): Clock {
    return this.host.clock ?? this.host.endpoint?.clock ?? SYSTEM_CLOCK;
  }

  claim(name: string, publication: DirectPublication): boolean {
    const holder = this.publications.get(name);
    if (holder && holder !== publication) return false;
    this.publications.set(name, publication);
    return true;
  }

  release(name: string, publication: DirectPublication): void {
    if (this.publications.get(name) === publication) this.publications.delete(name);
  }

  /**
   * Ends every direct stream (the NetConnection closes) and closes the peer sessions nobody
   * else holds, waiting for their orderly close.
   */
  async close(): Promise<void> {
    const peers = this.peers;
    this.unbind();
    for (const pub of [...this.publications.values()]) pub.ns.fail(localStatus(StatusLevel.Status, NetStreamCode.ConnectClosed, 'the NetConnection closed'));
    // Failing a stream detaches it (releasing its hold); an unpublished publication's subscribers close (releasing theirs).
    for (const ns of [...this.players.keys()]) ns.fail(localStatus(StatusLevel.Status, NetStreamCode.ConnectClosed, 'the NetConnection closed'));
    await peers?.closeIdle();
  }

  // ---- internals ----

  private unbind(): void {
    this.unregister?.();
    this.unregister = undefined;
    this.peers?.off('session', this.onPeerSession);
    this.peers = undefined;
  }

  private streamsOf(peer: PeerSession): PeerStreams {
    let s = this.streams.get(peer);
    if (!s) {
      const created: PeerStreams = { players: new Map(), requests: 0 };
      s = created;
      this.streams.set(peer, created);
      peer.once('close', () => this.onSessionClose(peer, created));
    }
    return s;
  }

  private async attachPlayer(ns: NetStream, peerId: Uint8Array): Promise<void> {
    const key = toHex(peerId);
    const peers = this.peers!;
    const server = this.host.serverAddress;
    let hold: PeerHold;
    try {
      hold = await peers.open(peerId, {
        addresses: [...(this.knownAddresses.get(key) ?? []), ...(server ? [server] : [])],
        timeoutMs: this.options.peerConnectTimeoutMs ?? DEFAULT_PEER_CONNECT_TIMEOUT_MS,
      });
    } catch (e) {
      if (ns.state === 'creating') ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, `no session with peer ${key.slice(0, 16)}…: ${(e as Error).message}`));
      return;
    }
    if (ns.state !== 'creating') return hold.release();
    const streams = this.streamsOf(hold.peer);
    let streamId = PLAY_STREAM_ID_BASE;
    while (streams.players.has(streamId)) streamId++;
    streams.players.set(streamId, ns);
    this.players.set(ns, { hold, streamId });
    ns.emit('netStatus', localStatus(StatusLevel.Status, NetStreamCode.ConnectSuccess, `connected to peer ${key}`));
    ns.attach(streamId, new StreamTransport({ session: hold.peer.session, streamId, association: undefined }));
  }

  /**
   * A new TC flow on a peer session: a publisher's flow answering one of our players (associated,
   * E.8 step 4), or a peer's play request (no association, E.8 step 3). Anything else is left
   * unclaimed (and so rejected, as rtmfp-cpp rejects TC flows of no open stream, E.1).
   */
  private claimFlow(peer: PeerSession, flow: ReceiveFlowInfo): FlowHandler | undefined {
    const streamId = tcStreamId(flow.metadata);
    if (streamId <= 0) return undefined;
    if (flow.associatedFlowId !== undefined) {
      const streams = this.streams.get(peer);
      if (!streams?.players.has(streamId)) return undefined;
      return this.returnFlow(streams, streamId);
    }
    const streams = this.streamsOf(peer);
    if (streams.requests >= MAX_PLAY_REQUESTS_PER_SESSION) return undefined;
    streams.requests++;
    return this.requestFlow(peer, streams, streamId);
  }

  /** A publisher's flow for our player `streamId`: its messages feed the NetStream. */
  private returnFlow(streams: PeerStreams, streamId: number): FlowHandler {
    return {
      onMessage: (_flow, message) => {
        const ns = streams.players.get(streamId);
        if (!ns) return;
        let m: FlashMessage;
        try {
          m = this.decoder.decode(message);
        } catch (e) {
          if (!(e instanceof RtmfpError)) throw e;
          this.counters.malformed++;
          return ns.malformed();
        }
        ns.receive(fromSetDataFrame(m));
      },
    };
  }

  /** A peer's play request flow: `play name` first, then commands for its subscriber. */
  private requestFlow(peer: PeerSession, streams: PeerStreams, streamId: number): FlowHandler {
    let subscriber: PeerSubscriber | undefined;
    let refused = false;
    const end = (): void => {
      streams.requests--;
      subscriber?.close();
    };
    return {
      onMessage: (flow, message) => {
        if (refused) return;
        let m: FlashMessage;
        try {
          m = this.decoder.decode(message);
        } catch (e) {
          if (!(e instanceof RtmfpError)) throw e;
          this.counters.malformed++;
          return;
        }
        if (subscriber) {
          if (m.kind === 'command') subscriber.onCommand(m.command);
          return;
        }
        if (m.kind !== 'command' || m.command.name !== 'play') return; // nothing before play means anything
        subscriber = this.onPlayRequest(peer, flow.flowId, streamId, m.command.args[0]);
        refused = !subscriber;
      },
      onComplete: end,
      onSessionClose: end,
    };
  }

  /** `play name` on a new request flow (E.8 step 3): the admitted subscriber, or undefined when refused. */
  private onPlayRequest(peer: PeerSession, flowId: number, streamId: number, nameValue: unknown): PeerSubscriber | undefined {
    this.counters.playRequests++;
    const name = typeof nameValue === 'string' && nameValue.length <= MAX_DIRECT_STREAM_NAME_LENGTH ? nameValue : '';
    const publication = name ? this.publications.get(name) : undefined;
    if (!publication) {
      this.counters.playRefused++;
      new PeerSubscriber(peer.session, flowId, streamId, name, NO_PUBLICATION).refuse(
        NetStreamCode.PlayStreamNotFound,
        name ? `${name} is not published here.` : 'not a stream name.',
      );
      return undefined;
    }
    // The subscriber holds the session until it closes (closeStream, unpublish, its flow ends).
    const hold = peer.hold();
    const ctx: PeerSubscriberContext = {
      relayCounters: publication.relayCounters,
      mediaLifetimeMs: publication.mediaLifetimeMs,
      subscriberClosed: (s) => {
        hold.release();
        publication.subscriberClosed(s);
      },
    };
    const subscriber = new PeerSubscriber(peer.session, flowId, streamId, name, ctx);
    if (!publication.admit(subscriber)) {
      this.counters.playRefused++;
      subscriber.refuse(NetStreamCode.PlayFailed, `the publisher refused ${name}.`);
      return undefined;
    }
    return subscriber;
  }

  private onSessionClose(peer: PeerSession, streams: PeerStreams): void {
    this.streams.delete(peer);
    for (const ns of [...streams.players.values()]) {
      this.players.delete(ns);
      ns.fail(localStatus(StatusLevel.Status, NetStreamCode.ConnectClosed, `the session with peer ${peer.farId} closed`));
    }
    streams.players.clear();
  }
}

/** Context of a subscriber refused before it had a publication: it sends one status and ends. */
const NO_PUBLICATION = {
  relayCounters: createRelayCounters(),
  mediaLifetimeMs: 0,
  subscriberClosed: () => undefined,
};

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
