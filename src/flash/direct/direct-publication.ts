// The publishing side of a direct (peer-to-peer) NetStream (RFC 7425 5.4, wire-reference E.8):
// `new NetStream(nc, NetStream.DIRECT_CONNECTIONS)`. No server stream exists; this object stands
// where the server would. The NetStream writes its commands, data and media to it exactly as it
// would to its flows (it is the stream's transport), and it plays the server's part: `publish`
// claims the name locally and answers Publish.Start / BadName, `@setDataFrame onMetaData` becomes
// the cached metadata, and each message is encoded once and handed to every peer subscriber
// (PeerSubscriber) by a LiveStream, as the server relay does.
import { RtmfpError } from '../../errors.js';
import type { Clock } from '../../time/clock.js';
import type { AmfValue } from '../../wire/amf/types.js';
import { encodeCommandMessage, encodeDataMessage, FlashMessageDecoder, type FlashMessage } from '../../wire/flash/message.js';
import { makeStatusInfo, StatusLevel } from '../../wire/flash/status.js';
import { LiveStream, relayedMessage, type StreamPublisher } from '../../stream/live-stream.js';
import { createRelayCounters, type RelayCounters } from '../../stream/relay-counters.js';
import { NetStreamCode } from '../net-status.js';
import type { NetStream, NetStreamTransport } from '../net-stream.js';
import type { MediaWriteOptions } from '../../stream/stream-transport.js';
import type { PeerSubscriber, PeerSubscriberContext } from './peer-subscriber.js';

declare module '../net-stream.js' {
  interface NetStream {
    /**
     * A direct publisher's current subscribers (ActionScript `NetStream.peerStreams`); set on
     * NetStreams published with DIRECT_CONNECTIONS, undefined on others.
     */
    peerStreams?: readonly PeerSubscriber[];
  }
}

/** Longest name accepted by a direct publish (as the server's limit). */
export const MAX_DIRECT_STREAM_NAME_LENGTH = 1024;

/** The connection-wide registry of direct publications (names are unique per NetConnection). */
export interface DirectPublicationRegistry {
  /** The connection's clock: statuses are delivered through it. */
  readonly clock: Clock;
  /** Claims `name`; false when another publication of this connection holds it. */
  claim(name: string, publication: DirectPublication): boolean;
  release(name: string, publication: DirectPublication): void;
}

export class DirectPublication implements NetStreamTransport, StreamPublisher, PeerSubscriberContext {
  readonly kind = 'direct';
  readonly streamId: number;
  /** Messages the publishing NetStream handed over. */
  readonly counters = { controlMessages: 0, mediaMessages: 0 };
  readonly ns: NetStream;
  /** What this publication relayed (in) and queued to its subscribers (out). Not a server's counters. */
  readonly relayCounters: RelayCounters = createRelayCounters();
  /** The stream published, while publishing. */
  live: LiveStream | undefined;
  /** Current peer subscribers. */
  readonly subscribers = new Set<PeerSubscriber>();
  private readonly registry: DirectPublicationRegistry;
  private readonly decoder = new FlashMessageDecoder();
  private lifetimeMs: number;
  private ended = false;

  constructor(ns: NetStream, streamId: number, registry: DirectPublicationRegistry) {
    this.streamId = streamId;
    this.ns = ns;
    this.registry = registry;
    this.lifetimeMs = ns.mediaLifetimeMs;
    ns.peerStreams = [];
  }

  get name(): string | undefined {
    return this.live?.name;
  }

  get mediaLifetimeMs(): number {
    return this.lifetimeMs;
  }

  /** A command or data message from the publishing NetStream (publish, closeStream, send). */
  writeControl(message: Uint8Array): void {
    if (this.ended) return;
    let m: FlashMessage;
    try {
      m = this.decoder.decode(message);
    } catch (e) {
      if (e instanceof RtmfpError) return; // our own NetStream encoded it; nothing sensible to do
      throw e;
    }
    this.counters.controlMessages++;
    if (m.kind === 'command') {
      if (m.command.name === 'publish') this.onPublish(m.command.args[0]);
      else if (m.command.name === 'closeStream') this.unpublish();
      return;
    }
    if (m.kind === 'data' && this.live) this.onData(message, m.data.handler, m.data.args);
  }

  /**
   * Audio or video from the publishing NetStream: the bytes (a fresh encoding per message,
   * never modified afterwards) go to every subscriber's flows as one shared buffer. Always true
   * while publishing: a subscriber that cannot take a frame skips it (and video resumes at the
   * next keyframe), as with the server relay.
   */
  writeMedia(type: number, message: Uint8Array, options: MediaWriteOptions = {}): boolean {
    const live = this.live;
    if (!live || this.ended) return false;
    if (options.lifetimeMs !== undefined) this.lifetimeMs = options.lifetimeMs;
    live.relay(relayedMessage(message));
    this.counters.mediaMessages++;
    return true;
  }

  /** The most any one subscriber has queued and not yet had acknowledged. */
  get mediaBufferedBytes(): number {
    let most = 0;
    for (const s of this.subscribers) most = Math.max(most, s.transport.mediaBufferedBytes);
    return most;
  }

  /** The NetStream closed: unpublish (subscribers get UnpublishNotify and their flows end). */
  close(): void {
    if (this.ended) return;
    this.unpublish();
    this.ended = true;
  }

  /**
   * A peer asks to play this publication: ActionScript's `client.onPeerConnect(subscriber)` may
   * refuse it by returning false (anything else accepts). Accepted subscribers start at once.
   */
  admit(subscriber: PeerSubscriber): boolean {
    const live = this.live;
    if (!live || this.ended) return false;
    const hook = this.ns.client['onPeerConnect'];
    if (typeof hook === 'function' && Object.hasOwn(this.ns.client, 'onPeerConnect')) {
      if (hook.call(this.ns.client, subscriber as unknown as AmfValue) === false) return false;
      if (this.live !== live) return false; // the hook unpublished
    }
    this.subscribers.add(subscriber);
    this.ns.peerStreams = [...this.subscribers];
    subscriber.start(live);
    return true;
  }

  subscriberClosed(subscriber: PeerSubscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    this.ns.peerStreams = [...this.subscribers];
  }

  // ---- StreamPublisher ----

  stopPublishing(reason: string): void {
    if (!this.live) return;
    this.unpublish();
    this.status(StatusLevel.Status, NetStreamCode.UnpublishSuccess, `stopped: ${reason}`);
  }

  // ---- internals ----

  private onPublish(nameValue: AmfValue): void {
    this.unpublish();
    if (typeof nameValue !== 'string') return; // publish(null): stop publishing
    const name = nameValue;
    if (name.length === 0 || name.length > MAX_DIRECT_STREAM_NAME_LENGTH || name.includes('\0') || !this.registry.claim(name, this)) {
      this.status(StatusLevel.Error, NetStreamCode.PublishBadName, `${name} cannot be published.`, name);
      return;
    }
    const live = new LiveStream(name, this.relayCounters);
    live.publish(this);
    this.live = live;
    this.status(StatusLevel.Status, NetStreamCode.PublishStart, `${name} is now published.`, name);
  }

  /** `@setDataFrame onMetaData {...}` is cached for late subscribers and sent as `onMetaData` (E.7). */
  private onData(bytes: Uint8Array, handler: string, args: AmfValue[]): void {
    const live = this.live!;
    if (handler === '@setDataFrame') {
      const [name, ...rest] = args;
      if (typeof name !== 'string') return;
      const meta = relayedMessage(encodeDataMessage({ handler: name, args: rest }));
      if (name === 'onMetaData') live.setMetadata(meta);
      else live.relay(meta);
      return;
    }
    if (handler === '@clearDataFrame') {
      live.metadata = undefined;
      return;
    }
    // NetStream.send encodes each message afresh: the bytes can be shared as they are.
    live.relay(relayedMessage(bytes));
  }

  private unpublish(): void {
    const live = this.live;
    if (!live) return;
    this.live = undefined;
    live.unpublish(this);
    this.registry.release(live.name, this);
  }

  /** A status for the publishing NetStream, delivered as if it had come on its stream's flow. */
  private status(level: string, code: string, description: string, name?: string): void {
    const extra: Record<string, AmfValue> = name !== undefined ? { details: name } : {};
    const m = this.decoder.decode(encodeCommandMessage({ name: 'onStatus', transactionId: 0, commandObject: null, args: [makeStatusInfo(level, code, description, extra)] }));
    // Asynchronous, as a server's answer would be: listeners added right after publish() see it.
    this.registry.clock.defer(() => this.ns.receive(m));
  }
}
