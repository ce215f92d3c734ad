import { EventEmitter } from 'node:events';
import { lookup } from 'node:dns/promises';
import { RtmfpError } from '../errors.js';
import { SystemClock, type Clock, type TimerHandle } from '../time/clock.js';
import type { DatagramTransport } from '../transport/datagram-transport.js';
import { toHex } from '../crypto/hex.js';
import { Endpoint, type EndpointOptions } from '../session/endpoint.js';
import type { OutgoingFlow, Session } from '../session/session.js';
import type { ReceiveFlowInfo } from '../flow/receive-flow.js';
import type { AmfObject, AmfValue } from '../wire/amf/types.js';
import { encodeTcMetadata, tcStreamId } from '../wire/flash/tc-metadata.js';
import { encodeCommandMessage, FlashMessageDecoder } from '../wire/flash/message.js';
import type { FlashCommand } from '../wire/flash/command.js';
import type { ObjectEncoding } from '../wire/flash/payload.js';
import { findStatusInfo } from '../wire/flash/status.js';
import { NetCallError, NetCallErrorCode } from './errors.js';
import { localStatus, NetConnectionCode, netStatusFromInfo, StatusLevel, type NetStatusInfo } from './net-status.js';
import { parseRtmfpUri, type RtmfpUri } from './rtmfp-uri.js';
import { NetStream, type NetStreamHost } from './net-stream.js';
import { StreamTransport } from '../stream/stream-transport.js';
import { NetStreamCode } from './net-status.js';
import { DirectStreams, type DirectStreamsOptions } from './direct/direct-streams.js';
import { peerInfoAddresses } from './direct/local-addresses.js';

/** ActionScript's Responder: callbacks for a call()'s `_result` and `_error`. */
export interface Responder {
  result?: (value: AmfValue) => void;
  status?: (info: NetStatusInfo) => void;
}

/** Resolves a host name to one address (node's dns.lookup by default). */
export type HostResolver = (host: string) => Promise<{ address: string; family: 4 | 6 }>;

export interface NetConnectionOptions {
  /** Use this endpoint (not closed by close()). Default: one of our own per connect(). */
  endpoint?: Endpoint;
  /**
   * Time, timers and randomness (default: the endpoint's clock, else SystemClock). With a
   * ManualClock and a virtual-network transport a whole connection runs without sleeping.
   */
  clock?: Clock;
  /**
   * The datagram transport of our own endpoint, or a factory called once per connect() (for
   * example `() => network.bind()` on a VirtualNetwork). Default: a UDP socket.
   */
  transport?: DatagramTransport | ((family: 4 | 6) => DatagramTransport | Promise<DatagramTransport>);
  /** Host name resolution for rtmfp:// URIs. Default: node's dns.lookup. */
  resolver?: HostResolver;
  /**
   * Aborting it closes the connection (as node's `net.connect({ signal })` destroys a socket): a
   * connect() in progress ends with NetConnection.Connect.Failed, an open one closes.
   */
  signal?: AbortSignal;
  /** Options for our own endpoint (host, identity...). */
  endpointOptions?: EndpointOptions;
  /** Handshake attempt timeout of our own endpoint: how soon Connect.Failed comes with no server. */
  handshakeTimeoutMs?: number;
  /** How long to wait for the answer to `connect` once the session is open. Default 15000. */
  connectTimeoutMs?: number;
  /** How long a call() waits for `_result` / `_error`. Default 30000. */
  callTimeoutMs?: number;
  /** How long close() waits for the orderly session close before aborting. Default 3000. */
  closeWaitMs?: number;
  /** objectEncoding offered in connect (0 or 3). Default 3, as Flash Player. */
  objectEncoding?: ObjectEncoding;
  /** flashVer of the connect command object. */
  flashVer?: string;
  /** Extra members of the connect command object (swfUrl, pageUrl, ...). */
  commandObject?: AmfObject;
  /** Direct (peer-to-peer) streams: peer connect timeout (see src/flash/direct). */
  direct?: DirectStreamsOptions;
}

/** The URI of a serverless connection (Flash `connect("rtmfp:")`): only direct streams. */
export const SERVERLESS_URI = 'rtmfp:';

export interface NetConnectionEvents {
  netStatus: [info: NetStatusInfo];
}

export type NetConnectionState = 'idle' | 'connecting' | 'connected' | 'rejected' | 'closed';

export interface NetConnectionCounters {
  commandsIn: number;
  commandsOut: number;
  /** Messages on the NetConnection flow that did not decode (dropped). */
  malformedMessages: number;
  /** `_result` / `_error` whose transaction ID matched no pending call. */
  unmatchedReplies: number;
}

interface PendingCall {
  name: string;
  resolve: (v: AmfValue) => void;
  reject: (e: NetCallError) => void;
  responder: Responder | undefined;
  timer: TimerHandle;
}

/** Transaction ID of `connect`; calls count up from 2 (RTMP convention, wire-reference E.4). */
const CONNECT_TRANSACTION_ID = 1;
const DEFAULT_FLASH_VER = 'WIN 20,0,0,286';

/**
 * The client side of a Flash NetConnection over an RTMFP session (RFC 7425 section 5,
 * wire-reference E.3/E.4): one flow with TC metadata stream 0 carries `connect` and calls; the
 * server answers on a return flow associated with it. Status arrives as 'netStatus' events with
 * ActionScript codes (NetConnection.Connect.Success / Failed / Rejected / Closed).
 */
export class NetConnection extends EventEmitter<NetConnectionEvents> implements NetStreamHost {
  readonly options: NetConnectionOptions;
  /** Handlers for commands the server sends (ActionScript `NetConnection.client`). */
  client: Record<string, (...args: AmfValue[]) => unknown> = {};
  state: NetConnectionState = 'idle';
  /** Negotiated object encoding: what we offered until the server's answer says otherwise. */
  objectEncoding: ObjectEncoding;
  /** Our peer ID (hex), known once the session is open. */
  nearID = '';
  /** The server's peer ID (hex). */
  farID = '';
  uri: string | undefined;
  readonly counters: NetConnectionCounters = { commandsIn: 0, commandsOut: 0, malformedMessages: 0, unmatchedReplies: 0 };

  private endpoint: Endpoint | undefined;
  private ownEndpoint = false;
  private session: Session | undefined;
  private flow: OutgoingFlow | undefined;
  private readonly decoder = new FlashMessageDecoder();
  private readonly pending = new Map<number, PendingCall>();
  private nextTransactionId = CONNECT_TRANSACTION_ID + 1;
  private finishConnect: ((info: NetStatusInfo) => void) | undefined;
  private connectTimer: TimerHandle | undefined;
  private rejectTimer: TimerHandle | undefined;
  /** Time, timers, deferrals and randomness for this connection and its streams. */
  readonly clock: Clock;
  private closeWaiters: (() => void)[] = [];
  /** The server's NetConnection return flow (S0): our NetStream flows answer it (E.3). */
  private serverControlFlowId: number | undefined;
  /** Server-relayed NetStreams by stream ID. */
  private readonly streams = new Map<number, NetStream>();
  /** Receive flows from the server: flow ID -> TC stream ID (0: NetConnection, -1: not ours). */
  private readonly flowStreamIds = new Map<number, number>();
  /** Direct (peer-to-peer) NetStreams and peer sessions (src/flash/direct, RFC 7425 5.4). */
  readonly directStreams: DirectStreams;
  /** The server's address while connected to one (peer introductions go there, B.5). */
  private serverAddress: { address: string; port: number } | undefined;
  private serverless = false;

  constructor(options: NetConnectionOptions = {}) {
    super();
    this.options = options;
    this.clock = options.clock ?? options.endpoint?.clock ?? options.endpointOptions?.clock ?? new SystemClock();
    this.objectEncoding = options.objectEncoding ?? 3;
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
    const nc = this;
    this.directStreams = new DirectStreams(
      {
        get endpoint() {
          return nc.endpoint;
        },
        get serverAddress() {
          return nc.serverAddress;
        },
        get connected() {
          return nc.state === 'connected';
        },
        clock: this.clock,
      },
      { ...options.direct, ...(options.closeWaitMs !== undefined ? { closeWaitMs: options.closeWaitMs } : {}) },
    );
  }

  /** Our endpoint's bound address (what a serverless peer needs besides our peer ID). */
  get localAddress(): { address: string; port: number; family: 4 | 6 } | undefined {
    return this.endpoint?.address;
  }

  /**
   * Where to reach a peer for direct streams (`new NetStream(nc, peerID)`) without a server's
   * introduction, e.g. on a serverless `rtmfp:` connection. With a server, these addresses are
   * tried alongside the introduction. An empty list forgets the peer. Throws CryptoError
   * (ERR_CRYPTO_BAD_HEX) when `peerID` is not 64 hex digits.
   */
  setPeerAddresses(peerID: string, addresses: readonly { address: string; port: number }[]): void {
    this.directStreams.setPeerAddresses(peerID, addresses);
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /**
   * Connects to `rtmfp://host[:port]/app[/instance]` (default port 1935). Throws synchronously
   * on a URI that is not rtmfp or while a connection is in progress. The returned promise never
   * rejects: it resolves with the status that ends the attempt (Success, Failed or Rejected),
   * which is also emitted as 'netStatus'.
   */
  connect(uri: string, ...args: AmfValue[]): Promise<NetStatusInfo> {
    if (this.state === 'connecting' || this.state === 'connected' || this.state === 'rejected') {
      throw new RtmfpError('ERR_NETCONNECTION_STATE', `connect() while ${this.state}`);
    }
    const target = uri === SERVERLESS_URI ? undefined : parseRtmfpUri(uri);
    if (this.options.signal?.aborted) {
      const info = localStatus(StatusLevel.Error, NetConnectionCode.ConnectFailed, 'aborted');
      this.state = 'closed';
      this.emit('netStatus', info);
      return Promise.resolve(info);
    }
    this.reset();
    this.uri = uri;
    this.state = 'connecting';
    return new Promise<NetStatusInfo>((resolve) => {
      this.finishConnect = resolve;
      if (target) void this.open(target, args);
      else void this.openServerless();
    });
  }

  /**
   * Calls a server method. With a responder (or none given) the call gets a transaction ID and
   * the promise resolves with the `_result` value or rejects with NetCallError on `_error`,
   * timeout or close (when `responder.status` is given the rejection counts as handled). With
   * `responder === null` no answer is wanted: transaction ID 0, resolves once queued.
   */
  call(name: string, responder?: Responder | null, ...args: AmfValue[]): Promise<AmfValue> {
    if (this.state !== 'connected' || !this.flow) {
      return Promise.reject(new NetCallError(NetCallErrorCode.Closed, `call("${name}") on a NetConnection that is ${this.state}`));
    }
    if (responder === null) {
      this.send({ name, transactionId: 0, commandObject: null, args });
      return Promise.resolve(undefined);
    }
    const transactionId = this.nextTransactionId++;
    const p = new Promise<AmfValue>((resolve, reject) => {
      const timeoutMs = this.options.callTimeoutMs ?? 30_000;
      const timer = this.clock.setTimer(this.clock.now() + timeoutMs, () => {
        this.pending.delete(transactionId);
        reject(new NetCallError(NetCallErrorCode.Timeout, `no answer to "${name}" within ${timeoutMs} ms`));
      });
      this.pending.set(transactionId, { name, resolve, reject, responder, timer });
    });
    if (responder?.status) p.catch(() => undefined);
    this.send({ name, transactionId, commandObject: null, args });
    return p;
  }

  /**
   * Closes the connection: orderly session close (bounded by closeWaitMs, then abort) and our
   * own endpoint. Emits NetConnection.Connect.Closed if a session was open.
   */
  async close(): Promise<void> {
    if (this.state === 'idle' || this.state === 'closed') return;
    const session = this.session;
    if (this.serverless && this.state === 'connected') {
      this.state = 'closed';
      await this.directStreams.close();
      await this.releaseEndpoint();
      this.emit('netStatus', localStatus(StatusLevel.Status, NetConnectionCode.ConnectClosed));
      return;
    }
    if (!session) {
      // Still resolving or handshaking: open() sees the state and stops.
      this.endConnect(localStatus(StatusLevel.Error, NetConnectionCode.ConnectFailed, 'closed before the connection opened'));
      this.state = 'closed';
      await this.releaseEndpoint();
      return;
    }
    if (session.state === 'closed') return;
    const done = new Promise<void>((r) => this.closeWaiters.push(r));
    this.closeBounded(session);
    await done;
  }

  // ---- internals ----

  private reset(): void {
    this.nearID = '';
    this.farID = '';
    this.objectEncoding = this.options.objectEncoding ?? 3;
    this.flowStreamIds.clear();
    this.serverControlFlowId = undefined;
    this.session = undefined;
    this.flow = undefined;
    this.nextTransactionId = CONNECT_TRANSACTION_ID + 1;
    this.serverAddress = undefined;
    this.serverless = false;
  }

  /** `connect("rtmfp:")`: no server; our endpoint is bound and direct streams work at once. */
  private async openServerless(): Promise<void> {
    this.serverless = true;
    try {
      if (this.options.endpoint) {
        this.endpoint = this.options.endpoint;
      } else {
        this.endpoint = await Endpoint.listen({ host: '0.0.0.0', ...this.options.endpointOptions, ...(await this.ownEndpointBase(4)) });
        this.ownEndpoint = true;
      }
    } catch (e) {
      if (this.state === 'connecting') {
        this.state = 'closed';
        this.endConnect(localStatus(StatusLevel.Error, NetConnectionCode.ConnectFailed, `cannot bind: ${(e as Error).message}`));
      }
      return;
    }
    if (this.state !== 'connecting') return void (await this.releaseEndpoint());
    this.nearID = toHex(this.endpoint.peerId);
    this.state = 'connected';
    this.directStreams.bind(this.endpoint);
    this.endConnect(localStatus(StatusLevel.Status, NetConnectionCode.ConnectSuccess, 'serverless (direct streams only)'));
  }

  private async open(target: RtmfpUri, args: AmfValue[]): Promise<void> {
    let session: Session;
    try {
      const found = await (this.options.resolver ?? defaultResolver)(target.host);
      const family: 4 | 6 = found.family === 6 ? 6 : 4;
      if (this.options.endpoint) {
        this.endpoint = this.options.endpoint;
      } else {
        const eo = this.options.endpointOptions ?? {};
        const handshake = this.options.handshakeTimeoutMs !== undefined ? { ...eo.handshake, attemptTimeoutMs: this.options.handshakeTimeoutMs } : eo.handshake;
        this.endpoint = await Endpoint.listen({
          host: family === 6 ? '::' : '0.0.0.0',
          family,
          ...eo,
          ...(handshake ? { handshake } : {}),
          ...(await this.ownEndpointBase(family)),
        });
        this.ownEndpoint = true;
      }
      if (this.state !== 'connecting') return void (await this.releaseEndpoint());
      this.serverAddress = { address: found.address, port: target.port };
      session = await this.endpoint.connect({ uri: target.tcUrl, addresses: [this.serverAddress] });
    } catch (e) {
      if (this.state === 'connecting') {
        this.state = 'closed';
        this.endConnect(localStatus(StatusLevel.Error, NetConnectionCode.ConnectFailed, `no session with ${target.host}:${target.port}: ${(e as Error).message}`));
      }
      await this.releaseEndpoint();
      return;
    }
    if (this.state !== 'connecting') {
      session.abort('local');
      await this.releaseEndpoint();
      return;
    }
    this.session = session;
    this.nearID = toHex(this.endpoint.peerId);
    this.farID = toHex(session.farPeerId);
    session.on('message', (flow, message) => this.onMessage(flow, message));
    session.on('close', () => void this.onSessionClose());
    this.flow = session.openFlow(encodeTcMetadata(0));
    const commandObject: AmfObject = {
      app: target.instance ? `${target.app}/${target.instance}` : target.app,
      flashVer: this.options.flashVer ?? DEFAULT_FLASH_VER,
      swfUrl: undefined,
      tcUrl: target.tcUrl,
      fpad: false,
      capabilities: 235,
      audioCodecs: 3575,
      videoCodecs: 252,
      videoFunction: 1,
      pageUrl: undefined,
      objectEncoding: this.objectEncoding,
      ...this.options.commandObject,
    };
    for (const k of Object.keys(commandObject)) if (commandObject[k] === undefined) delete commandObject[k];
    // The connect message itself is plain AMF0: the encoding is not negotiated yet.
    this.send({ name: 'connect', transactionId: CONNECT_TRANSACTION_ID, commandObject, args }, 0);
    const timeoutMs = this.options.connectTimeoutMs ?? 15_000;
    this.connectTimer = this.clock.setTimer(this.clock.now() + timeoutMs, () => {
      if (this.state !== 'connecting') return;
      this.endConnect(localStatus(StatusLevel.Error, NetConnectionCode.ConnectFailed, `no answer to connect within ${timeoutMs} ms`));
      this.state = 'closed';
      this.closeBounded(session);
    });
  }

  /** Clock and transport of an endpoint of our own. */
  private async ownEndpointBase(family: 4 | 6): Promise<{ clock: Clock; transport?: DatagramTransport }> {
    const t = this.options.transport;
    const transport = typeof t === 'function' ? await t(family) : t;
    return transport ? { clock: this.clock, transport } : { clock: this.clock };
  }

  /** Orderly close, then abort after closeWaitMs: a dead far end must not hold the endpoint for the 90 s close timeout. */
  private closeBounded(session: Session): void {
    session.close();
    this.clock.setTimer(this.clock.now() + (this.options.closeWaitMs ?? 3000), () => session.abort('local'));
  }

  private send(cmd: { name: string; transactionId: number; commandObject: AmfValue; args: readonly AmfValue[] }, encoding: ObjectEncoding = this.objectEncoding): void {
    this.flow!.write(encodeCommandMessage(cmd, { objectEncoding: encoding }));
    this.counters.commandsOut++;
  }

  /**
   * The TC stream ID of a receive flow answering our NetConnection flow (E.3): 0 for the server's
   * NetConnection return flow, N for NetStream N, -1 for anything else. Decided once per flow.
   */
  private streamIdOf(flow: ReceiveFlowInfo): number {
    let id = this.flowStreamIds.get(flow.flowId);
    if (id === undefined) {
      id = flow.associatedFlowId === this.flow?.flowId ? tcStreamId(flow.metadata) : -1;
      this.flowStreamIds.set(flow.flowId, id);
      if (id === 0) this.serverControlFlowId ??= flow.flowId;
    }
    return id;
  }

  /** Is this receive flow one of the server's NetConnection (stream 0) flows answering ours? */
  private isControlFlow(flow: ReceiveFlowInfo): boolean {
    return this.streamIdOf(flow) === 0;
  }

  /** The NetStream a receive flow belongs to (TC metadata stream N, answering our flow; E.3). */
  private streamOf(flow: ReceiveFlowInfo): NetStream | undefined {
    const id = this.streamIdOf(flow);
    return id > 0 ? this.streams.get(id) : undefined;
  }

  private onMessage(flow: ReceiveFlowInfo, message: Uint8Array): void {
    if (!this.isControlFlow(flow)) {
      const ns = this.streamOf(flow);
      if (!ns) return;
      let m;
      try {
        m = this.decoder.decode(message);
      } catch (e) {
        if (e instanceof RtmfpError) return ns.malformed();
        throw e;
      }
      ns.receive(m);
      return;
    }
    let command: FlashCommand;
    try {
      const m = this.decoder.decode(message.slice());
      if (m.kind !== 'command') return; // user control (SetKeepalive...) needs nothing here yet
      command = m.command;
    } catch (e) {
      if (e instanceof RtmfpError) {
        this.counters.malformedMessages++;
        return;
      }
      throw e;
    }
    this.counters.commandsIn++;
    this.onCommand(command);
  }

  private onCommand(c: FlashCommand): void {
    if (c.name === '_result' || c.name === '_error') {
      // librtmfp-style servers may answer connect with transaction 0 (wire-reference E.4).
      if (this.state === 'connecting' && (c.transactionId === CONNECT_TRANSACTION_ID || c.transactionId === 0)) {
        return this.onConnectAnswer(c);
      }
      const p = this.pending.get(c.transactionId);
      if (!p) {
        this.counters.unmatchedReplies++;
        return;
      }
      this.pending.delete(c.transactionId);
      p.timer.cancel();
      if (c.name === '_result') {
        const value = c.args[0] ?? null;
        p.responder?.result?.(value);
        p.resolve(value);
      } else {
        const info = statusOf(c) ?? localStatus(StatusLevel.Error, NetConnectionCode.CallFailed, `"${p.name}" failed`);
        p.responder?.status?.(info);
        p.reject(new NetCallError(NetCallErrorCode.Error, `${p.name}: ${info.code}${info.description ? ` (${info.description})` : ''}`, info, c.args));
      }
      return;
    }
    if (c.name === 'onStatus') {
      const info = statusOf(c);
      if (info) this.emit('netStatus', info);
      return;
    }
    if (c.name === 'close') {
      if (this.session) this.closeBounded(this.session);
      return;
    }
    const handler = this.client[c.name];
    if (typeof handler === 'function') handler.apply(this.client, c.args);
  }

  private onConnectAnswer(c: FlashCommand): void {
    this.connectTimer?.cancel();
    const info = statusOf(c);
    if (c.name === '_result') {
      this.state = 'connected';
      const enc = info?.objectEncoding;
      if (enc === 0 || enc === 3) this.objectEncoding = enc;
      this.startDirect();
      this.endConnect(info ?? localStatus(StatusLevel.Status, NetConnectionCode.ConnectSuccess));
      return;
    }
    this.state = 'rejected';
    this.endConnect(info ?? localStatus(StatusLevel.Error, NetConnectionCode.ConnectRejected));
    // The server closes the session after `_error`; close it ourselves if it does not.
    const session = this.session;
    this.rejectTimer = this.clock.setTimer(this.clock.now() + (this.options.closeWaitMs ?? 3000), () => session && this.closeBounded(session));
  }

  /**
   * Connected to a server: tell it our addresses (`setPeerInfo`, E.4) so it can introduce peers
   * (B.5/B.6), and accept the sessions they open to our endpoint.
   */
  private startDirect(): void {
    const endpoint = this.endpoint;
    if (!endpoint) return;
    this.directStreams.bind(endpoint);
    // Plain AMF0 (encoding 0): tcserver decodes no AVM+ switch (docs/interop.md, issue 4).
    this.send({ name: 'setPeerInfo', transactionId: 0, commandObject: null, args: peerInfoAddresses(endpoint.address) }, 0);
  }

  private endConnect(info: NetStatusInfo): void {
    const finish = this.finishConnect;
    this.finishConnect = undefined;
    this.connectTimer?.cancel();
    this.emit('netStatus', info);
    finish?.(info);
  }

  // ---- NetStreamHost ----

  /** Creates the server-side stream (`createStream`, E.4) and gives the NetStream its flows. */
  attachStream(ns: NetStream): void {
    if (ns.farID !== undefined) return this.directStreams.attachStream(ns);
    if (this.state !== 'connected' || this.serverless) {
      this.clock.defer(() => ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, `NetConnection is ${this.state}`)));
      return;
    }
    this.call('createStream', {}).then(
      (id) => {
        const session = this.session;
        if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0 || id > 0xffffffff || this.streams.has(id)) {
          ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, `createStream answered ${String(id)}`));
          return;
        }
        if (!session || this.state !== 'connected' || ns.state !== 'creating') {
          if (ns.state === 'creating') ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, 'connection closed'));
          else if (this.state === 'connected') this.send({ name: 'deleteStream', transactionId: 0, commandObject: null, args: [id] }, 0);
          return;
        }
        this.streams.set(id, ns);
        ns.attach(id, new StreamTransport({ session, streamId: id, association: this.serverControlFlowId }));
      },
      (e: Error) => ns.fail(localStatus(StatusLevel.Error, NetStreamCode.ConnectFailed, `createStream: ${e.message}`)),
    );
  }

  detachStream(ns: NetStream): void {
    if (ns.farID !== undefined) return this.directStreams.detachStream(ns);
    if (ns.streamId === 0 || this.streams.get(ns.streamId) !== ns) return;
    this.streams.delete(ns.streamId);
    if (this.state === 'connected') this.send({ name: 'deleteStream', transactionId: 0, commandObject: null, args: [ns.streamId] }, 0);
  }

  private async onSessionClose(): Promise<void> {
    this.rejectTimer?.cancel();
    for (const ns of [...this.streams.values()]) ns.fail(localStatus(StatusLevel.Status, NetStreamCode.ConnectClosed, 'the NetConnection closed'));
    this.streams.clear();
    this.connectTimer?.cancel();
    const was = this.state;
    this.state = 'closed';
    for (const [id, p] of this.pending) {
      p.timer.cancel();
      this.pending.delete(id);
      p.reject(new NetCallError(NetCallErrorCode.Closed, `connection closed before the answer to "${p.name}"`));
    }
    if (was === 'connecting') {
      this.endConnect(localStatus(StatusLevel.Error, NetConnectionCode.ConnectFailed, 'the session closed before connect was answered'));
    } else if (was === 'connected' || was === 'rejected') {
      this.emit('netStatus', localStatus(StatusLevel.Status, NetConnectionCode.ConnectClosed));
    }
    // A far close is announced before its Close Ack is flushed (B.4): let that packet go out
    // before our own endpoint (and its socket) closes.
    await new Promise<void>((r) => this.clock.immediate(r));
    await this.directStreams.close();
    await this.releaseEndpoint();
    const waiters = this.closeWaiters;
    this.closeWaiters = [];
    for (const w of waiters) w();
  }

  private async releaseEndpoint(): Promise<void> {
    const ep = this.endpoint;
    if (ep && this.ownEndpoint) {
      this.endpoint = undefined;
      this.ownEndpoint = false;
      await ep.close();
    }
  }
}

async function defaultResolver(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const found = await lookup(host);
  return { address: found.address, family: found.family === 6 ? 6 : 4 };
}

/** The info object of a `_result` / `_error` / `onStatus` as a NetStatusInfo. */
function statusOf(c: FlashCommand): NetStatusInfo | null {
  const s = findStatusInfo(c);
  return s ? netStatusFromInfo(s.level, s.code, s.description, s.properties) : null;
}
