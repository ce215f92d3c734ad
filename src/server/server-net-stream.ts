// One NetStream of one client, as the server sees it (wire-reference E.3/E.4): the client's
// flows with TC metadata stream N carry publish / play / closeStream commands, data and media;
// the server answers on its own flows for stream N, associated with the client's NetConnection
// flow. A publishing stream feeds a LiveStream; a playing stream is one of its subscribers.
import { StreamTransport, type StreamTransportOptions } from '../stream/stream-transport.js';
import { NetStreamCode } from '../flash/net-status.js';
import type { AmfValue } from '../wire/amf/types.js';
import type { FlashCommand } from '../wire/flash/command.js';
import { encodeCommandMessage, encodeDataMessage, encodeUserControlMessage, type FlashMessage } from '../wire/flash/message.js';
import { makeStatusInfo, StatusLevel } from '../wire/flash/status.js';
import type { AppInstance } from './app-instance.js';
import { relayedMessage, type LiveStream, type RelayedMessage, type StreamPublisher, type StreamSubscriber } from '../stream/live-stream.js';
import type { RelayCounters } from '../stream/relay-counters.js';
import { PlayerRelay } from '../stream/player-relay.js';

/** Default lifetime of relayed audio and video: a frame later than this is worth nothing to a live player. */
export const DEFAULT_RELAY_MEDIA_LIFETIME_MS = 2000;
/** Longest stream name accepted in publish / play. */
export const MAX_STREAM_NAME_LENGTH = 1024;

/** What a ServerNetStream needs from its client and server. */
export interface ServerStreamContext {
  readonly counters: RelayCounters;
  readonly mediaLifetimeMs: number;
  readonly instance: AppInstance;
  /** Application hook: may this client publish `name`? */
  mayPublish(name: string, type: string): Promise<boolean>;
  /** Application hook: may this client play `name`? */
  mayPlay(name: string): Promise<boolean>;
  /** Starts recording a stream just published with type record/append; resolves with a status code. */
  startRecording?(stream: LiveStream, name: string, append: boolean): Promise<{ code: string; description: string }>;
  /** Writes a message on the client's NetConnection return flow (S0). */
  writeControl(message: Uint8Array): void;
  log(msg: string, fields: object): void;
}

export type ServerStreamRole = 'idle' | 'publishing' | 'playing' | 'closed';

export class ServerNetStream implements StreamPublisher, StreamSubscriber {
  readonly kind = 'client';
  readonly streamId: number;
  role: ServerStreamRole = 'idle';
  /** The LiveStream published or played. */
  stream: LiveStream | undefined;
  readonly transport: StreamTransport;
  private readonly ctx: ServerStreamContext;
  /** The per-player relay step (used while playing). */
  private readonly player: PlayerRelay;
  /** Commands are handled one at a time, in order, though hooks are async. */
  private chain: Promise<void> = Promise.resolve();
  /** Set while subscribe() runs, so onPublish knows it is a join and not a new publish. */
  private joining = false;

  constructor(streamId: number, transportOptions: Omit<StreamTransportOptions, 'streamId'>, ctx: ServerStreamContext) {
    this.streamId = streamId;
    this.ctx = ctx;
    this.transport = new StreamTransport({ ...transportOptions, streamId, onMediaAbandoned: (type) => this.player.mediaAbandoned(type) });
    this.player = new PlayerRelay(this.transport, ctx.counters, ctx.mediaLifetimeMs);
  }

  /**
   * One message from the client on one of this stream's flows. `bytes` is only valid during the
   * call; `m` is its decoding (views into `bytes`).
   */
  onMessage(bytes: Uint8Array, m: FlashMessage): void {
    if (this.role === 'closed') return;
    switch (m.kind) {
      case 'audio':
      case 'video':
        if (this.role === 'publishing' && this.stream) this.stream.relay(relayedMessage(bytes.slice()));
        return;
      case 'data':
        if (this.role === 'publishing' && this.stream) this.onPublisherData(bytes, m.data.handler, m.data.args);
        return;
      case 'command':
        this.enqueue(m.command);
        return;
      default:
        return;
    }
  }

  /** The client deleted the stream or went away. */
  close(): void {
    if (this.role === 'closed') return;
    this.stop();
    this.role = 'closed';
    this.transport.close();
  }

  // ---- StreamPublisher ----

  stopPublishing(reason: string): void {
    if (this.role !== 'publishing') return;
    this.stop();
    this.status(StatusLevel.Status, NetStreamCode.UnpublishSuccess, `stopped: ${reason}`);
  }

  // ---- StreamSubscriber ----

  onPublish(stream: LiveStream): void {
    this.player.needKeyframe = true;
    // Joining a stream already published: catch up; a publish that starts later is announced.
    if (this.joining) return stream.catchUp(this);
    this.status(StatusLevel.Status, NetStreamCode.PlayPublishNotify, `${stream.name} is now published.`, { details: stream.name });
  }

  onUnpublish(stream: LiveStream): void {
    this.status(StatusLevel.Status, NetStreamCode.PlayUnpublishNotify, `${stream.name} is now unpublished.`, { details: stream.name });
  }

  /** The relay's per-subscriber step (PlayerRelay). */
  deliver(m: RelayedMessage): void {
    this.player.deliver(m);
  }

  // ---- commands ----

  private enqueue(c: FlashCommand): void {
    this.chain = this.chain.then(() => this.onCommand(c)).catch((e: unknown) => this.ctx.log('stream command failed', { streamId: this.streamId, command: c.name, err: String(e) }));
  }

  private async onCommand(c: FlashCommand): Promise<void> {
    if (this.role === 'closed') return;
    const first = c.args[0];
    switch (c.name) {
      case 'publish':
        return this.onPublishCommand(first, c.args[1]);
      case 'play':
        return this.onPlayCommand(first);
      case 'closeStream':
        this.stop();
        return;
      default: {
        if (c.name === 'pause' && this.role !== 'playing') return;
        const change = this.player.applyPlayCommand(c.name, first);
        if (change === 'pause') this.status(StatusLevel.Status, NetStreamCode.PauseNotify, 'Paused.');
        if (change === 'unpause') this.status(StatusLevel.Status, NetStreamCode.UnpauseNotify, 'Unpaused.');
        return;
      }
    }
  }

  private async onPublishCommand(nameValue: AmfValue, typeValue: AmfValue): Promise<void> {
    this.stop();
    // publish(null) / publish(false) is unpublish (ActionScript).
    if (typeof nameValue !== 'string') return;
    const name = nameValue;
    const type = typeof typeValue === 'string' ? typeValue : 'live';
    if (!validStreamName(name) || !(await this.ctx.mayPublish(name, type)) || this.role !== 'idle') {
      this.status(StatusLevel.Error, NetStreamCode.PublishBadName, `${name} cannot be published.`, { details: name });
      return;
    }
    const stream = this.ctx.instance.stream(name);
    if (!stream.publish(this)) {
      this.ctx.instance.releaseStream(stream);
      this.status(StatusLevel.Error, NetStreamCode.PublishBadName, `${name} is already being published.`, { details: name });
      return;
    }
    this.stream = stream;
    this.role = 'publishing';
    this.ctx.log('publish', { stream: name, type, streamId: this.streamId });
    this.status(StatusLevel.Status, NetStreamCode.PublishStart, `${name} is now published.`, { details: name });
    if ((type === 'record' || type === 'append') && this.ctx.startRecording) {
      const r = await this.ctx.startRecording(stream, name, type === 'append');
      if (this.stream === stream && this.role === 'publishing') {
        this.status(r.code === NetStreamCode.RecordStart ? StatusLevel.Status : StatusLevel.Error, r.code, r.description, { details: name });
      }
    }
  }

  private async onPlayCommand(nameValue: AmfValue): Promise<void> {
    this.stop();
    if (typeof nameValue !== 'string') return; // play(false) stops playing
    const name = nameValue;
    if (!validStreamName(name) || !(await this.ctx.mayPlay(name)) || this.role !== 'idle') {
      this.status(StatusLevel.Error, NetStreamCode.PlayFailed, `${name} cannot be played.`, { details: name });
      return;
    }
    const stream = this.ctx.instance.stream(name);
    this.stream = stream;
    this.role = 'playing';
    this.player.restart();
    this.ctx.log('play', { stream: name, streamId: this.streamId });
    // StreamBegin on the NetConnection flow (where rtmfp-cpp's tcserver sends it), then the statuses.
    this.ctx.writeControl(encodeUserControlMessage({ kind: 'StreamBegin', streamId: this.streamId }));
    this.status(StatusLevel.Status, NetStreamCode.PlayReset, `Playing and resetting ${name}.`, { details: name });
    this.status(StatusLevel.Status, NetStreamCode.PlayStart, `Started playing ${name}.`, { details: name });
    this.transport.writeControl(encodeDataMessage({ handler: '|RtmpSampleAccess', args: [true, true] }));
    this.joining = true;
    stream.subscribe(this);
    this.joining = false;
  }

  /** Publisher data: `@setDataFrame onMetaData {...}` becomes the stream's metadata (E.7); other handlers are relayed. */
  private onPublisherData(bytes: Uint8Array, handler: string, args: AmfValue[]): void {
    const stream = this.stream!;
    if (handler === '@setDataFrame') {
      const [name, ...rest] = args;
      if (typeof name !== 'string') return;
      const meta = encodeDataMessage({ handler: name, args: rest });
      if (name === 'onMetaData') stream.setMetadata(relayedMessage(meta));
      else stream.relay(relayedMessage(meta));
      return;
    }
    if (handler === '@clearDataFrame') {
      stream.metadata = undefined;
      return;
    }
    stream.relay(relayedMessage(bytes.slice()));
  }

  /** Leaves the current role (unpublish / unsubscribe). */
  private stop(): void {
    const stream = this.stream;
    const role = this.role;
    this.stream = undefined;
    if (role === 'publishing' || role === 'playing') this.role = 'idle';
    if (!stream) return;
    if (role === 'publishing') {
      stream.unpublish(this);
      this.ctx.log('unpublish', { stream: stream.name, streamId: this.streamId });
    } else {
      stream.unsubscribe(this);
      if (role === 'playing') this.status(StatusLevel.Status, NetStreamCode.PlayStop, `Stopped playing ${stream.name}.`, { details: stream.name });
    }
    this.ctx.instance.releaseStream(stream);
  }

  private status(level: string, code: string, description: string, extra: Record<string, AmfValue> = {}): void {
    if (this.role === 'closed') return;
    this.transport.writeControl(
      encodeCommandMessage({ name: 'onStatus', transactionId: 0, commandObject: null, args: [makeStatusInfo(level, code, description, extra)] }),
    );
  }
}

function validStreamName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_STREAM_NAME_LENGTH && !name.includes('\0');
}
