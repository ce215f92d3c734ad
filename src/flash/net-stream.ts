import { EventEmitter } from 'node:events';
import { RtmfpError } from '../errors.js';
import { SendFlowError, SendFlowErrorCode } from '../flow/send-flow.js';
import type { AmfValue } from '../wire/amf/types.js';
import type { FlashMessage } from '../wire/flash/message.js';
import { encodeCommandMessage, encodeDataMessage, encodeFlashMessageFrame, FLASH_MESSAGE_HEADER_LENGTH, FlashMessageType } from '../wire/flash/message.js';
import { findStatusInfo } from '../wire/flash/status.js';
import type { ObjectEncoding } from '../wire/flash/payload.js';
import { localStatus, netStatusFromInfo, NetStreamCode, StatusLevel, type NetStatusInfo } from './net-status.js';
import type { MediaWriteOptions } from '../stream/stream-transport.js';

/**
 * Where a NetStream writes: StreamTransport (one session's flows for the stream) or a direct
 * publication (one set of flows per peer subscriber).
 */
export interface NetStreamTransport {
  /** Commands and data: reliable, in order, never dropped. */
  writeControl(message: Uint8Array): void;
  /** Audio / video: false when not queued (the far end is not keeping up). */
  writeMedia(type: number, message: Uint8Array, options?: MediaWriteOptions): boolean;
  close(): void;
}

/** Where a NetStream's messages go and come from: a server connection or a direct peer path. */
export interface NetStreamHost {
  readonly objectEncoding: ObjectEncoding;
  /** Called once by the NetStream constructor: obtain a stream ID and a transport, then call ns.attach(). */
  attachStream(stream: NetStream): void;
  /** The stream is closed: release its ID and flows. */
  detachStream(stream: NetStream): void;
}

export interface NetStreamEvents {
  netStatus: [info: NetStatusInfo];
  /** Audio message (FLV audio tag body). `payload` is valid only during the call: copy to keep. */
  audio: [timestamp: number, payload: Uint8Array];
  /** Video message (FLV video tag body). `payload` is valid only during the call: copy to keep. */
  video: [timestamp: number, payload: Uint8Array];
  /** Data message: onMetaData, NetStream.send handlers (wire-reference E.7). */
  data: [handler: string, args: AmfValue[], timestamp: number];
  close: [];
}

export type NetStreamState = 'creating' | 'idle' | 'publishing' | 'playing' | 'closed';

export interface NetStreamCounters {
  audioOut: number;
  videoOut: number;
  /** sendAudio/sendVideo calls refused (not publishing, or the flow was full, or the pre-start queue was full). */
  mediaDropped: number;
  /**
   * Messages (media and data) sent between publish() and NetStream.Publish.Start that were not
   * sent: refused because the queue was full, or dropped because the publish failed or the
   * stream closed first.
   */
  queuedDropped: number;
  audioIn: number;
  videoIn: number;
  dataIn: number;
  /** Messages that did not decode (dropped). */
  malformed: number;
}

/** Publish modes of ActionScript's NetStream.publish. */
export type PublishType = 'live' | 'record' | 'append';

/**
 * Bounds of what is held between publish() and NetStream.Publish.Start (a server answers after a
 * round trip and its onPublish hook): about a second or two of a 4 Mbit/s stream. Beyond them,
 * sendAudio / sendVideo return false and send() drops, both counted in `queuedDropped`.
 */
export const MAX_PENDING_PUBLISH_BYTES = 1 << 20;
export const MAX_PENDING_PUBLISH_MESSAGES = 256;

/**
 * Longest message (5-byte Flash header plus payload) a NetStream sends: 1 MiB. Receivers of this
 * implementation reassemble messages of up to 1024 fragments (MAX_MESSAGE_FRAGMENTS), at least
 * 1 MiB with any packet length of 1063 bytes or more (1,180,672 bytes with the default 1192).
 * A longer message could never be delivered; it used to be accepted, fill the receiver's
 * buffer and stall the stream for good. sendAudio / sendVideo / send throw SendFlowError
 * ERR_FLOW_MESSAGE_TOO_LARGE for it: a programming error, like a RangeError, not congestion.
 */
export const MAX_NETSTREAM_MESSAGE_BYTES = 1 << 20;

/** Lifetime of published audio and video messages: later than this, a frame is worthless. */
export const DEFAULT_MEDIA_LIFETIME_MS = 2000;

/**
 * ActionScript's NetStream over RTMFP (RFC 7425 section 5, wire-reference E.3/E.4): a stream
 * created on a NetConnection (`createStream`), then `publish` or `play`; audio, video and data
 * messages travel on the stream's flows with TC metadata naming the stream ID.
 *
 * `new NetStream(nc)` streams through the server; `new NetStream(nc, NetStream.DIRECT_CONNECTIONS)`
 * publishes directly to peers; `new NetStream(nc, peerID)` plays a peer's direct stream.
 */
export class NetStream extends EventEmitter<NetStreamEvents> {
  /** Second constructor argument for a stream published directly to peers (RFC 7425 5.4). */
  static readonly DIRECT_CONNECTIONS = 'directConnections';

  /** Handlers for data messages and the NetStream's own callbacks (ActionScript `NetStream.client`). */
  client: Record<string, (...args: AmfValue[]) => unknown> = {};
  readonly host: NetStreamHost;
  /** undefined: through the server; DIRECT_CONNECTIONS; or the publisher's peer ID (hex). */
  readonly farID: string | undefined;
  state: NetStreamState = 'creating';
  /** Assigned by the server (or the direct path); 0 until then. */
  streamId = 0;
  /** Name given to publish() or play(). */
  name: string | undefined;
  /** Lifetime of published audio/video messages (partial reliability). */
  mediaLifetimeMs = DEFAULT_MEDIA_LIFETIME_MS;
  readonly counters: NetStreamCounters = { audioOut: 0, videoOut: 0, mediaDropped: 0, queuedDropped: 0, audioIn: 0, videoIn: 0, dataIn: 0, malformed: 0 };

  private transport: NetStreamTransport | undefined;
  /**
   * Media and data sent after publish() and before NetStream.Publish.Start, in order; undefined
   * when not waiting. The far end drops what arrives before it has started the publication (a
   * server's publish hook is asynchronous), so it is held here and written on Publish.Start.
   */
  private pending: { type: number; message: Uint8Array }[] | undefined;
  private pendingBytes = 0;
  /** Operations asked for before the stream ID was known, in order. */
  private queued: (() => void)[] = [];

  constructor(host: NetStreamHost, peerID?: string) {
    super();
    this.host = host;
    this.farID = peerID;
    host.attachStream(this);
  }

  get direct(): boolean {
    return this.farID !== undefined;
  }

  /** Called by the host once the stream exists. */
  attach(streamId: number, transport: NetStreamTransport | undefined): void {
    if (this.state !== 'creating') return;
    this.streamId = streamId;
    this.transport = transport;
    this.state = 'idle';
    const q = this.queued;
    this.queued = [];
    for (const op of q) op();
  }

  /** Called by the host when the stream cannot be created or its connection ended. */
  fail(info: NetStatusInfo): void {
    if (this.state === 'closed') return;
    this.emit('netStatus', info);
    this.finish();
  }

  /** Replaces the transport (a direct publisher answers each peer on its own flows). */
  setTransport(transport: NetStreamTransport | undefined): void {
    this.transport = transport;
  }

  /**
   * Starts publishing `name`. Status: NetStream.Publish.Start or NetStream.Publish.BadName.
   * Audio, video and data sent from now until Publish.Start (so `publish(); send('@setDataFrame',
   * ...); sendVideo(...)` in one go) are queued, up to MAX_PENDING_PUBLISH_BYTES /
   * MAX_PENDING_PUBLISH_MESSAGES, and written in order when Publish.Start arrives; they are
   * dropped (counted in `counters.queuedDropped`) if the publish fails or the stream closes.
   */
  publish(name: string, type: PublishType = 'live'): void {
    if (this.state === 'closed') throw new RtmfpError('ERR_NETSTREAM_CLOSED', 'NetStream is closed');
    this.dropPending();
    this.pending = [];
    this.whenReady(() => {
      this.name = name;
      this.state = 'publishing';
      this.command('publish', name, type);
    });
  }

  /** Plays `name`. Status: NetStream.Play.Reset, NetStream.Play.Start, then media. */
  play(name: string, ...args: AmfValue[]): void {
    this.dropPending();
    this.whenReady(() => {
      this.name = name;
      this.state = 'playing';
      this.command('play', name, ...args);
    });
  }

  /**
   * Sends a data message to every subscriber (`handler` is called on their `client`). Throws
   * SendFlowError ERR_FLOW_MESSAGE_TOO_LARGE when it encodes to more than MAX_NETSTREAM_MESSAGE_BYTES.
   */
  send(handler: string, ...args: AmfValue[]): void {
    const message = checkSize(encodeDataMessage({ handler, args }, { objectEncoding: 0 }));
    if (this.pending) {
      if (this.state === 'closed') throw new RtmfpError('ERR_NETSTREAM_CLOSED', 'NetStream is closed');
      this.hold(DATA_MESSAGE, message);
      return;
    }
    this.whenReady(() => {
      this.transport?.writeControl(message);
    });
  }

  /** Asks the server to stop (true) or resume (false) sending audio to this player. */
  receiveAudio(flag: boolean): void {
    this.whenReady(() => this.command('receiveAudio', flag));
  }

  receiveVideo(flag: boolean): void {
    this.whenReady(() => this.command('receiveVideo', flag));
  }

  pause(): void {
    this.whenReady(() => this.command('pause', true));
  }

  resume(): void {
    this.whenReady(() => this.command('pause', false));
  }

  /**
   * Publishes one audio message (an FLV audio tag body). False: not sent (not publishing, flow
   * full, or the queue held until Publish.Start is full). Throws SendFlowError
   * ERR_FLOW_MESSAGE_TOO_LARGE for a payload over MAX_NETSTREAM_MESSAGE_BYTES - 5.
   */
  sendAudio(timestamp: number, payload: Uint8Array): boolean {
    return this.sendMedia(FlashMessageType.Audio, timestamp, payload);
  }

  /**
   * Publishes one video message (an FLV video tag body). False: not sent (not publishing, flow
   * full, or the queue held until Publish.Start is full). Throws SendFlowError
   * ERR_FLOW_MESSAGE_TOO_LARGE for a payload over MAX_NETSTREAM_MESSAGE_BYTES - 5.
   */
  sendVideo(timestamp: number, payload: Uint8Array): boolean {
    return this.sendMedia(FlashMessageType.Video, timestamp, payload);
  }

  /** Stops publishing or playing and deletes the stream. */
  close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'publishing' || this.state === 'playing') this.command('closeStream');
    this.finish();
  }

  /** Handles one decoded message addressed to this stream (from the host). */
  receive(m: FlashMessage): void {
    if (this.state === 'closed') return;
    switch (m.kind) {
      case 'audio':
        this.counters.audioIn++;
        this.emit('audio', m.timestamp, m.payload);
        return;
      case 'video':
        this.counters.videoIn++;
        this.emit('video', m.timestamp, m.payload);
        return;
      case 'data': {
        this.counters.dataIn++;
        const { handler, args } = m.data;
        const fn = this.client[handler];
        if (typeof fn === 'function' && Object.hasOwn(this.client, handler)) fn.apply(this.client, args);
        this.emit('data', handler, args, m.timestamp);
        return;
      }
      case 'command': {
        if (m.command.name !== 'onStatus') {
          const fn = this.client[m.command.name];
          if (typeof fn === 'function' && Object.hasOwn(this.client, m.command.name)) fn.apply(this.client, m.command.args);
          return;
        }
        const s = findStatusInfo(m.command);
        if (!s) return;
        const info = netStatusFromInfo(s.level, s.code, s.description, s.properties);
        if (info.code === NetStreamCode.PublishBadName && this.state === 'publishing') this.state = 'idle';
        // Before the status is seen, so that what its listeners send goes after the queue.
        if (info.code === NetStreamCode.PublishStart) this.flushPending();
        else if (info.code === NetStreamCode.PublishBadName) this.dropPending();
        this.emit('netStatus', info);
        return;
      }
      default:
        return; // user control (StreamBegin...) and others: nothing to do
    }
  }

  /** Counts a message that did not decode. */
  malformed(): void {
    this.counters.malformed++;
  }

  private sendMedia(type: number, timestamp: number, payload: Uint8Array): boolean {
    checkSize(payload.length + FLASH_MESSAGE_HEADER_LENGTH);
    const message = encodeFlashMessageFrame({ type, timestamp, payload });
    if (this.pending && this.state !== 'closed') {
      const ok = this.hold(type, message);
      if (!ok) this.counters.mediaDropped++;
      return ok;
    }
    return this.writeMedia(type, message);
  }

  private writeMedia(type: number, message: Uint8Array): boolean {
    const ok = this.state === 'publishing' && this.transport !== undefined && this.transport.writeMedia(type, message, { lifetimeMs: this.mediaLifetimeMs, shared: true });
    if (!ok) this.counters.mediaDropped++;
    else if (type === FlashMessageType.Audio) this.counters.audioOut++;
    else this.counters.videoOut++;
    return ok;
  }

  /**
   * Stream commands are plain AMF0 whatever the negotiated objectEncoding (as send() is): their
   * arguments are names, numbers and booleans, which AMF0 carries, and rtmfp-cpp's tcserver
   * decodes only AMF0 (it echoes objectEncoding 3 but stops at an AVM+ switch, so an AMF3-switched
   * `publish` name was never seen; docs/interop.md, issue 4).
   */
  private command(name: string, ...args: AmfValue[]): void {
    this.transport?.writeControl(encodeCommandMessage({ name, transactionId: 0, commandObject: null, args }, { objectEncoding: 0 }));
  }

  /** Queues a message until Publish.Start; false (counted) when the queue is full. */
  private hold(type: number, message: Uint8Array): boolean {
    const q = this.pending!;
    if (q.length >= MAX_PENDING_PUBLISH_MESSAGES || this.pendingBytes + message.length > MAX_PENDING_PUBLISH_BYTES) {
      this.counters.queuedDropped++;
      return false;
    }
    q.push({ type, message });
    this.pendingBytes += message.length;
    return true;
  }

  /** Publish.Start: writes what was held, in order (media lifetimes start now). */
  private flushPending(): void {
    const q = this.pending;
    if (!q) return;
    this.pending = undefined;
    this.pendingBytes = 0;
    for (const { type, message } of q) {
      try {
        if (type === DATA_MESSAGE) this.transport?.writeControl(message);
        else this.writeMedia(type, message);
      } catch (e) {
        // Inside the status handler there is no caller to throw to: count it instead.
        if (!(e instanceof RtmfpError)) throw e;
        this.counters.queuedDropped++;
      }
    }
  }

  /** The publish failed, was replaced or the stream closed: what was held is dropped, counted. */
  private dropPending(): void {
    if (!this.pending) return;
    this.counters.queuedDropped += this.pending.length;
    this.pending = undefined;
    this.pendingBytes = 0;
  }

  private whenReady(op: () => void): void {
    if (this.state === 'closed') throw new RtmfpError('ERR_NETSTREAM_CLOSED', 'NetStream is closed');
    if (this.state === 'creating') this.queued.push(op);
    else op();
  }

  private finish(): void {
    const was = this.state;
    this.state = 'closed';
    this.queued = [];
    this.dropPending();
    this.transport?.close();
    this.transport = undefined;
    if (was !== 'closed') this.host.detachStream(this);
    this.emit('close');
  }
}

/** Refuses a message no receiver would reassemble (see MAX_NETSTREAM_MESSAGE_BYTES). */
function checkSize<T extends Uint8Array | number>(m: T): T {
  const n = typeof m === 'number' ? m : m.length;
  if (n > MAX_NETSTREAM_MESSAGE_BYTES) {
    throw new SendFlowError(SendFlowErrorCode.MessageTooLarge, `NetStream message of ${n} bytes exceeds ${MAX_NETSTREAM_MESSAGE_BYTES}`);
  }
  return m;
}

/** Marks a held data message (type 0x12, written with writeControl) among held media. */
const DATA_MESSAGE = FlashMessageType.DataAmf0;

/** A local status for a stream. */
export function netStreamStatus(code: string, description?: string, level: string = StatusLevel.Status): NetStatusInfo {
  return localStatus(level, code, description);
}
