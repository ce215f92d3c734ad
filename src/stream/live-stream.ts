// A named live stream of one application instance: at most one publisher, any number of
// subscribers. The publisher's messages are relayed as the bytes it sent (type, timestamp,
// payload; wire-reference E.2), so each message is encoded once and every subscriber's flow
// holds a reference to the same buffer.
import { FlvVideoCodec, isAacSequenceHeader, isAvcSequenceHeader, isVideoKeyframe, videoCodecId } from '../media/flv-format.js';
import { decodeFlashMessageFrame, encodeFlashMessageFrame, FlashMessageType } from '../wire/flash/message.js';
import type { RelayCounters } from './relay-counters.js';

/** One relayed message. `bytes` is the whole Flash message and must never be modified. */
export interface RelayedMessage {
  /** 0x08 audio, 0x09 video, 0x12 / 0x0f data. */
  readonly type: number;
  readonly timestamp: number;
  /** Header and payload, as sent on a flow (E.2). Shared by every subscriber. */
  readonly bytes: Uint8Array;
  /** The payload: a view into `bytes`. */
  readonly payload: Uint8Array;
  /** Video keyframe: where a subscriber that dropped video may resume. */
  readonly keyframe: boolean;
  /** AVC / AAC sequence header: decoder configuration, never dropped. */
  readonly config: boolean;
}

/** Makes a RelayedMessage from a whole message received on a flow (the caller's own copy). */
export function relayedMessage(bytes: Uint8Array): RelayedMessage {
  const { type, timestamp, payload } = decodeFlashMessageFrame(bytes);
  const video = type === FlashMessageType.Video;
  return {
    type,
    timestamp,
    bytes,
    payload,
    keyframe: video && isDecodableKeyframe(payload),
    config: video ? isAvcSequenceHeader(payload) : type === FlashMessageType.Audio && isAacSequenceHeader(payload),
  };
}

/**
 * A keyframe a decoder can start at: frame type 1 and, for AVC, a coded frame (packet type 1),
 * not a sequence header (0) or an end-of-sequence marker (2) which share the keyframe nibble.
 */
function isDecodableKeyframe(payload: Uint8Array): boolean {
  if (!isVideoKeyframe(payload)) return false;
  return videoCodecId(payload) !== FlvVideoCodec.Avc || payload[1] === 1;
}

/** Builds a RelayedMessage from parts (an FLV tag, say): one allocation for header and payload. */
export function relayedMessageOf(type: number, timestamp: number, payload: Uint8Array): RelayedMessage {
  return relayedMessage(encodeFlashMessageFrame({ type, timestamp: timestamp >>> 0, payload }));
}

/** What a stream's publisher is: a client's NetStream, an FLV file, a server-side feed. */
export interface StreamPublisher {
  readonly kind: 'client' | 'file' | 'remote' | (string & {});
  /** Asked to stop (another owner took the name, the instance unloads). */
  stopPublishing(reason: string): void;
}

/** What a stream's subscriber is: a client's playing NetStream, an FLV recorder, a republisher. */
export interface StreamSubscriber {
  /** A publisher started; `stream` holds the cached metadata and decoder configuration. */
  onPublish(stream: LiveStream): void;
  /** The publisher stopped. */
  onUnpublish(stream: LiveStream): void;
  /** One message. Must not modify `message.bytes`; must return quickly (the relay's hot loop). */
  deliver(message: RelayedMessage): void;
}

/**
 * One named stream. The state a late subscriber needs before the next keyframe is kept:
 * onMetaData and the AVC / AAC sequence headers, replayed by `catchUp`.
 */
export class LiveStream {
  readonly name: string;
  publisher: StreamPublisher | undefined;
  readonly subscribers = new Set<StreamSubscriber>();
  /** Latest `onMetaData` data message (already rewritten from `@setDataFrame`). */
  metadata: RelayedMessage | undefined;
  videoConfig: RelayedMessage | undefined;
  audioConfig: RelayedMessage | undefined;
  private readonly counters: RelayCounters;

  constructor(name: string, counters: RelayCounters) {
    this.name = name;
    this.counters = counters;
  }

  get published(): boolean {
    return this.publisher !== undefined;
  }

  /** True when nothing refers to the stream any more (the instance may forget it). */
  get idle(): boolean {
    return this.publisher === undefined && this.subscribers.size === 0;
  }

  /** Takes the publisher slot; false when someone else holds it. */
  publish(publisher: StreamPublisher): boolean {
    if (this.publisher && this.publisher !== publisher) return false;
    this.publisher = publisher;
    this.metadata = this.videoConfig = this.audioConfig = undefined;
    for (const s of [...this.subscribers]) s.onPublish(this);
    return true;
  }

  /** Releases the publisher slot (only by its holder). */
  unpublish(publisher: StreamPublisher): void {
    if (this.publisher !== publisher) return;
    this.publisher = undefined;
    this.metadata = this.videoConfig = this.audioConfig = undefined;
    for (const s of [...this.subscribers]) s.onUnpublish(this);
  }

  subscribe(subscriber: StreamSubscriber): void {
    this.subscribers.add(subscriber);
    if (this.publisher) subscriber.onPublish(this);
  }

  unsubscribe(subscriber: StreamSubscriber): void {
    this.subscribers.delete(subscriber);
  }

  /** Sends a subscriber what it needs to start decoding mid-stream. */
  catchUp(subscriber: StreamSubscriber): void {
    if (this.metadata) subscriber.deliver(this.metadata);
    if (this.audioConfig) subscriber.deliver(this.audioConfig);
    if (this.videoConfig) subscriber.deliver(this.videoConfig);
  }

  /** Sets the metadata replayed to late subscribers and relays it now. */
  setMetadata(message: RelayedMessage | undefined): void {
    this.metadata = message;
    if (message) this.relay(message);
  }

  /** The hot loop: one message to every subscriber. */
  relay(message: RelayedMessage): void {
    this.counters.messagesIn++;
    this.counters.bytesIn += message.bytes.length;
    if (message.config) {
      if (message.type === FlashMessageType.Video) this.videoConfig = message;
      else this.audioConfig = message;
    }
    for (const s of this.subscribers) s.deliver(message);
  }
}
