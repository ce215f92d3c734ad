import { EventEmitter } from 'node:events';
import { RtmfpError } from '../errors.js';
import { toHex } from '../crypto/hex.js';
import type { OutgoingFlow, Session } from '../session/session.js';
import type { ReceiveFlowInfo } from '../flow/receive-flow.js';
import { AddressOrigin, formatSocketAddress, socketAddressFromEndpoint, type SocketAddress } from '../wire/address.js';
import { isPlainObject, type AmfObject, type AmfValue } from '../wire/amf/types.js';
import { encodeTcMetadata, tcStreamId } from '../wire/flash/tc-metadata.js';
import { encodeCommandMessage, FlashMessageDecoder } from '../wire/flash/message.js';
import type { FlashCommand } from '../wire/flash/command.js';
import type { ObjectEncoding } from '../wire/flash/payload.js';
import { makeStatusInfo, StatusLevel } from '../wire/flash/status.js';
import { NetConnectionCode } from '../flash/net-status.js';
import type { FlashMessage } from '../wire/flash/message.js';
import { DEFAULT_INSTANCE_NAME, type AppInstance } from './app-instance.js';
import type { InstanceMember } from './instance-member.js';
import type { LiveStream } from '../stream/live-stream.js';
import type { RelayCounters } from '../stream/relay-counters.js';
import { ServerNetStream } from './server-net-stream.js';
import type { ServerLogger } from './server-logger.js';
import { DecodeBudget, DecodeBudgetError } from './decode-budget.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { RefusalLog, ServerRefusalKind } from './refusal-log.js';
import { readCommandHead } from './command-head.js';

/** What the application's onConnect hook answers: accept, or reject with an optional description. */
export type ConnectDecision = boolean | { accept: boolean; description?: string; code?: string };

/** Application hooks of an RtmfpServer. */
export interface ServerApplication {
  /** Accept or reject a `connect`; `args` are the values after the command object. Default: accept. */
  onConnect?: (client: ServerClient, args: AmfValue[]) => ConnectDecision | Promise<ConnectDecision>;
  /** Named methods a client may call(); the return value is the `_result` value. A throw answers `_error`. */
  methods?: Record<string, (client: ServerClient, ...args: AmfValue[]) => AmfValue | Promise<AmfValue>>;
  /** A connected client's session ended. */
  onDisconnect?: (client: ServerClient) => void;
  /** May this client publish `name` (type "live", "record" or "append")? Default: yes. */
  onPublish?: (client: ServerClient, name: string, type: string) => boolean | Promise<boolean>;
  /** May this client play `name`? Default: yes. */
  onPlay?: (client: ServerClient, name: string) => boolean | Promise<boolean>;
}

/** What a ServerClient needs from its server. */
export interface ServerClientContext {
  readonly counters: RelayCounters;
  readonly logger: ServerLogger;
  readonly mediaLifetimeMs: number;
  /** Whether an application of that name is served. */
  hasApplication(app: string): boolean;
  /** The instance a connecting client joins (loaded on demand). */
  instanceFor(app: string, instance: string): AppInstance;
  /** Records a stream published with type record/append. */
  startRecording?(instance: AppInstance, stream: LiveStream, name: string, append: boolean): Promise<{ code: string; description: string }>;
  readonly clock: Clock;
  /** Counts and logs refusals (rate-limited). */
  readonly refusals: RefusalLog;
  /** How long a session may stay without a decided `connect` before it is closed. */
  readonly connectTimeoutMs: number;
  /** The server's access check before the application's onConnect: a rejection, or undefined to go on. */
  admit?(client: ServerClient, args: readonly AmfValue[]): { code?: string; description: string } | undefined;
  /** The server's publish rule before the application's onPublish. */
  mayPublish?(client: ServerClient, name: string, type: string): boolean;
}

/**
 * Why the server refuses a session before hearing from it (full, or its address holds too many):
 * its `connect` is answered Connect.Rejected with `description`.
 */
export interface SessionRefusal {
  kind: Extract<ServerRefusalKind, 'serverFull' | 'perAddress'>;
  description: string;
}

/** Most NetStreams one client may have open at once. */
export const MAX_STREAMS_PER_CLIENT = 256;

export type ServerClientState = 'connecting' | 'connected' | 'rejected' | 'closed';

/** Most `setPeerInfo` addresses kept (a peer reports a handful of interfaces). */
export const MAX_PEER_INFO_ADDRESSES = 16;
/** How long a rejecting server waits for the `_error` to be acknowledged before closing. */
const REJECT_LINGER_MS = 2000;
/** Default bound on a session's time without a decided `connect`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** How long a session the server refuses (full, too many from its address) waits for its `connect`. */
export const REFUSED_SESSION_WAIT_MS = 2000;

/**
 * One client of an RtmfpServer: its session, the NetConnection flow (TC stream 0) it opened,
 * and the return flow the server answers on (wire-reference E.3).
 */
export class ServerClient extends EventEmitter<{ close: [] }> implements InstanceMember {
  readonly kind = 'client';
  readonly session: Session;
  /** The server's peer ID (hex): what the client sees as farID. */
  readonly nearID: string;
  /** The client's peer ID (hex): what the client sees as nearID. */
  readonly farID: string;
  state: ServerClientState = 'connecting';
  app = '';
  instance = '';
  tcUrl = '';
  commandObject: AmfObject = {};
  connectArgs: AmfValue[] = [];
  objectEncoding: ObjectEncoding = 0;
  /** Messages that did not decode (dropped); those refused by the decoding budget are in decodeBudget.refused. */
  malformedMessages = 0;
  /** The application instance joined once connected. */
  appInstance: AppInstance | undefined;
  /** This client's NetStreams by stream ID. */
  readonly streams = new Map<number, ServerNetStream>();

  private readonly application: ServerApplication;
  private readonly decoder = new FlashMessageDecoder();
  /** Bounds the AMF decoding work this client can cause per second (its refusals are counted there). */
  readonly decodeBudget: DecodeBudget;
  private controlFlowId: number | undefined;
  private returnFlow: OutgoingFlow | undefined;
  private connectSeen = false;
  private readonly context: ServerClientContext;
  /**
   * Open receive flows of this client's NetStreams: flow ID -> stream ID. Entries go when the
   * flow completes or its stream closes, so this holds at most the open flows, not every flow
   * the session ever opened. Flows for no stream of ours are rejected, not remembered.
   */
  private readonly streamFlows = new Map<number, number>();
  /** Closes a session whose `connect` is not decided in time; cancelled once it is. */
  private connectDeadline: TimerHandle | undefined;
  /** Set when the server refuses this session whatever it sends. */
  readonly refusal: SessionRefusal | undefined;

  constructor(session: Session, serverPeerId: Uint8Array, application: ServerApplication, context: ServerClientContext, refusal?: SessionRefusal) {
    super();
    this.session = session;
    this.application = application;
    this.context = context;
    this.refusal = refusal;
    this.nearID = toHex(serverPeerId);
    this.farID = toHex(session.farPeerId);
    this.decodeBudget = new DecodeBudget(() => session.clock.now(), {
      onExhausted: (refused) => {
        context.logger.warn({ client: this.farID, address: formatSocketAddress(session.farAddress), refused }, 'AMF decoding budget exhausted: closing');
        session.clock.defer(() => this.close());
      },
    });
    session.on('message', (flow, message) => this.onMessage(flow, message));
    session.on('flowComplete', (flow) => this.streamFlows.delete(flow.flowId));
    session.on('close', () => this.onClose());
    // A refused session only waits for its `connect` to answer it: a short bound.
    const waitMs = refusal ? Math.min(context.connectTimeoutMs, REFUSED_SESSION_WAIT_MS) : context.connectTimeoutMs;
    this.connectDeadline = context.clock.setTimer(context.clock.now() + waitMs, () => this.onConnectDeadline(waitMs));
  }

  /** Open NetStream flows tracked (bounded by the flows the session holds open). */
  get trackedStreamFlows(): number {
    return this.streamFlows.size;
  }

  get farAddress(): SocketAddress {
    return this.session.farAddress;
  }

  /** Addresses the client reported with setPeerInfo (used for introductions, B.5). */
  get reportedAddresses(): readonly SocketAddress[] {
    return this.session.reportedAddresses;
  }

  /** Sends a command the client does not answer (onStatus, or a method of its `client` object). */
  send(name: string, ...args: AmfValue[]): void {
    if (this.state !== 'connected') throw new RtmfpError('ERR_SERVER_CLIENT_STATE', `send("${name}") to a client that is ${this.state}`);
    this.write({ name, transactionId: 0, commandObject: null, args });
  }

  /** Orderly close of the client's session (the client sees NetConnection.Connect.Closed). */
  close(): void {
    this.session.close();
  }

  private onMessage(flow: ReceiveFlowInfo, message: Uint8Array): void {
    if (this.controlFlowId !== undefined && flow.flowId !== this.controlFlowId) return this.onStreamMessage(flow, message);
    if (this.controlFlowId === undefined) {
      // The NetConnection flow: TC metadata stream 0, not a return flow (wire-reference E.3).
      if (flow.associatedFlowId !== undefined || tcStreamId(flow.metadata) !== 0) return;
      this.controlFlowId = flow.flowId;
      this.returnFlow = this.session.openFlow(encodeTcMetadata(0), { returnFlowAssociation: flow.flowId });
    }
    let command: FlashCommand;
    try {
      const m = this.decodeBudget.decode(this.decoder, message.slice());
      if (m.kind !== 'command') return;
      command = m.command;
    } catch (e) {
      if (e instanceof RtmfpError) {
        if (!(e instanceof DecodeBudgetError)) this.malformedMessages++; // else counted by the budget
        if (this.state === 'connecting' && !this.connectSeen) this.onMalformedConnect(message, e);
        return;
      }
      throw e;
    }
    this.onCommand(command);
  }

  private onCommand(c: FlashCommand): void {
    if (this.state === 'connecting') {
      if (c.name === 'connect' && !this.connectSeen) {
        this.connectSeen = true;
        void this.onConnect(c);
      }
      return;
    }
    if (this.state !== 'connected') return;
    if (c.name === 'setPeerInfo') return this.onSetPeerInfo(c);
    if (c.name === 'createStream') return this.onCreateStream(c);
    if (c.name === 'deleteStream') {
      const id = c.args[0];
      if (typeof id !== 'number') return;
      this.streams.get(id)?.close();
      this.streams.delete(id);
      for (const [flowId, streamId] of this.streamFlows) if (streamId === id) this.streamFlows.delete(flowId);
      return;
    }
    const method = this.application.methods?.[c.name];
    if (!method || !Object.hasOwn(this.application.methods!, c.name)) {
      this.answerError(c.transactionId, NetConnectionCode.CallFailed, `Method not found (${c.name})`);
      return;
    }
    void (async () => {
      try {
        const value = await method(this, ...c.args);
        if (this.state === 'connected') this.write({ name: '_result', transactionId: c.transactionId, commandObject: null, args: [value ?? null] });
      } catch (e) {
        if (this.state === 'connected') this.answerError(c.transactionId, NetConnectionCode.CallFailed, (e as Error)?.message ?? String(e));
      }
    })();
  }

  private async onConnect(c: FlashCommand): Promise<void> {
    const raw = c.commandObject;
    const co: AmfObject = raw !== null && typeof raw === 'object' && isPlainObject(raw) ? raw : {};
    this.commandObject = co;
    this.connectArgs = c.args;
    this.tcUrl = typeof co.tcUrl === 'string' ? co.tcUrl : '';
    // `app` may carry the instance ("app/instance", as FMS / Flash put it).
    const app = typeof co.app === 'string' ? co.app : '';
    const slash = app.indexOf('/');
    this.app = slash < 0 ? app : app.slice(0, slash);
    this.instance = slash < 0 ? '' : app.slice(slash + 1);
    this.objectEncoding = co.objectEncoding === 3 ? 3 : 0;

    // Counted when the session opened (RtmfpServer); here it only gets its answer.
    if (this.refusal) {
      return this.rejectConnect(c.transactionId, NetConnectionCode.ConnectRejected, this.refusal.description);
    }
    let decision: ConnectDecision;
    const denied = this.context.hasApplication(this.app) ? this.context.admit?.(this, c.args) : undefined;
    if (!this.context.hasApplication(this.app)) {
      decision = { accept: false, code: NetConnectionCode.ConnectInvalidApp, description: `No application "${this.app}".` };
    } else if (denied) {
      decision = { accept: false, ...denied };
    } else try {
      decision = this.application.onConnect ? await this.application.onConnect(this, c.args) : true;
    } catch (e) {
      decision = { accept: false, description: (e as Error)?.message ?? String(e) };
    }
    if (this.state !== 'connecting') return;
    const accept = typeof decision === 'boolean' ? decision : decision.accept;
    if (accept) {
      this.cancelConnectDeadline();
      this.state = 'connected';
      this.appInstance = this.context.instanceFor(this.app, this.instance || DEFAULT_INSTANCE_NAME);
      this.appInstance.join(this);
      this.context.logger.info({ client: this.farID, app: this.app, instance: this.appInstance.name, address: formatSocketAddress(this.farAddress) }, 'connect');
      const info = makeStatusInfo(StatusLevel.Status, NetConnectionCode.ConnectSuccess, 'Connection succeeded.', { objectEncoding: this.objectEncoding });
      this.write({ name: '_result', transactionId: c.transactionId, commandObject: null, args: [info] }, 0);
      return;
    }
    const description = (typeof decision === 'object' ? decision.description : undefined) ?? 'Connection rejected.';
    const code = (typeof decision === 'object' ? decision.code : undefined) ?? NetConnectionCode.ConnectRejected;
    this.context.refusals.note('rejectedConnect', { address: formatSocketAddress(this.farAddress), app: this.app, code, description });
    this.rejectConnect(c.transactionId, code, description);
  }

  /** Answers `connect` with `_error` and closes once that is acknowledged (or after a bound), so the client reads it first. */
  private rejectConnect(transactionId: number, code: string, description: string): void {
    this.cancelConnectDeadline();
    this.connectSeen = true;
    this.state = 'rejected';
    const handle = this.write({ name: '_error', transactionId, commandObject: null, args: [makeStatusInfo(StatusLevel.Error, code, description)] }, 0);
    const flow = this.returnFlow!;
    const timer = this.context.clock.setTimer(this.context.clock.now() + REJECT_LINGER_MS, () => this.session.close());
    flow.on('delivered', (m) => {
      if (m === handle) {
        timer.cancel();
        this.session.close();
      }
    });
    this.session.once('close', () => timer.cancel());
  }

  /**
   * The first command did not decode (too large, nested too deep, a declared length past the
   * end): answer it as a refused `connect` with the decoder's reason rather than leave the
   * client waiting. The transaction ID is read from the message head when it can be (Flash
   * Player numbers connect 1).
   */
  private onMalformedConnect(message: Uint8Array, error: RtmfpError): void {
    const head = readCommandHead(message);
    if (head.name !== undefined && head.name !== 'connect') return; // some other command before connect: ignored as before
    const description = `connect refused: ${error.message} (${error.code})`;
    this.context.refusals.note('malformedConnect', { address: formatSocketAddress(this.farAddress), bytes: message.length, code: error.code });
    this.rejectConnect(head.transactionId ?? 1, NetConnectionCode.ConnectRejected, description);
  }

  private onConnectDeadline(waitMs: number): void {
    this.connectDeadline = undefined;
    if (this.state !== 'connecting') return;
    if (!this.refusal) this.context.refusals.note('connectTimeout', { address: formatSocketAddress(this.farAddress), waitMs, connectSeen: this.connectSeen });
    this.session.close();
  }

  private cancelConnectDeadline(): void {
    this.connectDeadline?.cancel();
    this.connectDeadline = undefined;
  }

  /** `setPeerInfo [null] "ip:port"...` (wire-reference E.4): no reply; the addresses feed introductions. */
  private onSetPeerInfo(c: FlashCommand): void {
    const out: SocketAddress[] = [];
    for (const v of c.values) {
      if (typeof v !== 'string' || out.length >= MAX_PEER_INFO_ADDRESSES) continue;
      const a = parseHostPort(v);
      if (a) out.push(a);
    }
    this.session.reportedAddresses = out;
  }

  private answerError(transactionId: number, code: string, description: string): void {
    this.write({ name: '_error', transactionId, commandObject: null, args: [makeStatusInfo(StatusLevel.Error, code, description)] });
  }

  private write(cmd: { name: string; transactionId: number; commandObject: AmfValue; args: readonly AmfValue[] }, encoding: ObjectEncoding = this.objectEncoding) {
    return this.returnFlow!.write(encodeCommandMessage(cmd, { objectEncoding: encoding }));
  }

  /** `createStream` (E.4): the lowest free stream ID from 1, answered with `_result`. */
  private onCreateStream(c: FlashCommand): void {
    if (this.streams.size >= MAX_STREAMS_PER_CLIENT) {
      this.answerError(c.transactionId, NetConnectionCode.CallFailed, `at most ${MAX_STREAMS_PER_CLIENT} streams`);
      return;
    }
    let id = 1;
    while (this.streams.has(id)) id++;
    const instance = this.appInstance!;
    const ctx = this.context;
    const stream = new ServerNetStream(
      id,
      { session: this.session, association: this.controlFlowId },
      {
        counters: ctx.counters,
        mediaLifetimeMs: ctx.mediaLifetimeMs,
        instance,
        mayPublish: async (name, type) => {
          if (ctx.mayPublish && !ctx.mayPublish(this, name, type)) return false;
          return this.application.onPublish ? await this.application.onPublish(this, name, type) : true;
        },
        mayPlay: async (name) => (this.application.onPlay ? await this.application.onPlay(this, name) : true),
        ...(ctx.startRecording ? { startRecording: (s, name, append) => ctx.startRecording!(instance, s, name, append) } : {}),
        writeControl: (m) => {
          if (this.state === 'connected') this.returnFlow!.write(m);
        },
        log: (msg, fields) => ctx.logger.info({ client: this.farID, ...fields }, msg),
      },
    );
    this.streams.set(id, stream);
    this.write({ name: '_result', transactionId: c.transactionId, commandObject: null, args: [id] });
  }

  /** A message on a NetStream flow: TC metadata stream N, answering our return flow (E.3). */
  private onStreamMessage(flow: ReceiveFlowInfo, message: Uint8Array): void {
    let id = this.streamFlows.get(flow.flowId);
    if (id === undefined) {
      id = flow.associatedFlowId === this.returnFlow?.flowId ? tcStreamId(flow.metadata) : -1;
      // Flows for no open stream are refused, as rtmfp-cpp does (E.1); a rejected flow delivers
      // nothing more (one already in this packet is refused again, harmlessly), so it is not kept.
      if (id <= 0 || !this.streams.has(id)) {
        this.session.rejectFlow(flow.flowId);
        return;
      }
      this.streamFlows.set(flow.flowId, id);
    }
    const stream = this.streams.get(id);
    if (!stream) {
      // Its stream was deleted: the flow is refused like any flow for no stream.
      this.streamFlows.delete(flow.flowId);
      this.session.rejectFlow(flow.flowId);
      return;
    }
    if (this.state !== 'connected') return;
    let m: FlashMessage;
    try {
      m = this.decodeBudget.decode(this.decoder, message);
    } catch (e) {
      if (e instanceof RtmfpError) {
        if (!(e instanceof DecodeBudgetError)) this.malformedMessages++; // else counted by the budget
        return;
      }
      throw e;
    }
    stream.onMessage(message, m);
  }

  private onClose(): void {
    const was = this.state;
    this.state = 'closed';
    this.cancelConnectDeadline();
    this.streamFlows.clear();
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
    if (this.appInstance) {
      this.appInstance.leave(this);
      this.context.logger.info({ client: this.farID, app: this.app, instance: this.appInstance.name }, 'disconnect');
    }
    if (was === 'connected') this.application.onDisconnect?.(this);
    this.emit('close');
  }
}

/** Parses "a.b.c.d:port", "[v6]:port" or bare "v6:port" into a reported address; null if it is not one. */
export function parseHostPort(text: string): SocketAddress | null {
  if (text.length > 64) return null;
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return null;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  try {
    return socketAddressFromEndpoint({ address: host, port: Number(portText), origin: AddressOrigin.Reported });
  } catch {
    return null;
  }
}
