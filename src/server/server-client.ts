import { EventEmitter } from 'node:events';
import { RtmfpError } from '../errors.js';
import { toHex } from '../crypto/hex.js';
import type { OutgoingFlow, Session } from '../session/session.js';
import type { ReceiveFlowInfo } from '../flow/receive-flow.js';
import { AddressOrigin, socketAddressFromEndpoint, type SocketAddress } from '../wire/address.js';
import { isPlainObject, type AmfObject, type AmfValue } from '../wire/amf/types.js';
import { decodeTcMetadata, encodeTcMetadata, isTcMetadata } from '../wire/flash/tc-metadata.js';
import { encodeCommandMessage, FlashMessageDecoder } from '../wire/flash/message.js';
import type { FlashCommand } from '../wire/flash/command.js';
import type { ObjectEncoding } from '../wire/flash/payload.js';
import { makeStatusInfo, StatusLevel } from '../wire/flash/status.js';
import { NetConnectionCode } from '../flash/net-status.js';

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
}

export type ServerClientState = 'connecting' | 'connected' | 'rejected' | 'closed';

/** Most `setPeerInfo` addresses kept (a peer reports a handful of interfaces). */
export const MAX_PEER_INFO_ADDRESSES = 16;
/** How long a rejecting server waits for the `_error` to be acknowledged before closing. */
const REJECT_LINGER_MS = 2000;

/**
 * One client of an RtmfpServer: its session, the NetConnection flow (TC stream 0) it opened,
 * and the return flow the server answers on (wire-reference E.3).
 */
export class ServerClient extends EventEmitter<{ close: [] }> {
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
  /** Commands on the NetConnection flow that did not decode (dropped). */
  malformedMessages = 0;

  private readonly application: ServerApplication;
  private readonly decoder = new FlashMessageDecoder();
  private controlFlowId: number | undefined;
  private returnFlow: OutgoingFlow | undefined;
  private connectSeen = false;

  constructor(session: Session, serverPeerId: Uint8Array, application: ServerApplication) {
    super();
    this.session = session;
    this.application = application;
    this.nearID = toHex(serverPeerId);
    this.farID = toHex(session.farPeerId);
    session.on('message', (flow, message) => this.onMessage(flow, message));
    session.on('close', () => this.onClose());
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
    if (this.controlFlowId === undefined) {
      // The NetConnection flow: TC metadata stream 0, not a return flow (wire-reference E.3).
      if (flow.associatedFlowId !== undefined || !isTcMetadata(flow.metadata)) return;
      try {
        if (decodeTcMetadata(flow.metadata).streamId !== 0) return;
      } catch {
        return;
      }
      this.controlFlowId = flow.flowId;
      this.returnFlow = this.session.openFlow(encodeTcMetadata(0), { returnFlowAssociation: flow.flowId });
    } else if (flow.flowId !== this.controlFlowId) {
      return;
    }
    let command: FlashCommand;
    try {
      const m = this.decoder.decode(message.slice());
      if (m.kind !== 'command') return;
      command = m.command;
    } catch (e) {
      if (e instanceof RtmfpError) {
        this.malformedMessages++;
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

    let decision: ConnectDecision;
    try {
      decision = this.application.onConnect ? await this.application.onConnect(this, c.args) : true;
    } catch (e) {
      decision = { accept: false, description: (e as Error)?.message ?? String(e) };
    }
    if (this.state !== 'connecting') return;
    const accept = typeof decision === 'boolean' ? decision : decision.accept;
    if (accept) {
      this.state = 'connected';
      const info = makeStatusInfo(StatusLevel.Status, NetConnectionCode.ConnectSuccess, 'Connection succeeded.', { objectEncoding: this.objectEncoding });
      this.write({ name: '_result', transactionId: c.transactionId, commandObject: null, args: [info] }, 0);
      return;
    }
    this.state = 'rejected';
    const description = (typeof decision === 'object' ? decision.description : undefined) ?? 'Connection rejected.';
    const code = (typeof decision === 'object' ? decision.code : undefined) ?? NetConnectionCode.ConnectRejected;
    const handle = this.write({ name: '_error', transactionId: c.transactionId, commandObject: null, args: [makeStatusInfo(StatusLevel.Error, code, description)] }, 0);
    // Close once the `_error` is acknowledged (or after a bound), so the client reads it first.
    const flow = this.returnFlow!;
    const timer = setTimeout(() => this.session.close(), REJECT_LINGER_MS);
    flow.on('delivered', (m) => {
      if (m === handle) {
        clearTimeout(timer);
        this.session.close();
      }
    });
    this.session.once('close', () => clearTimeout(timer));
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

  private onClose(): void {
    const was = this.state;
    this.state = 'closed';
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
