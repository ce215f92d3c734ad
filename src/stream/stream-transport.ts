// The sending flows of one NetStream over one session (wire-reference E.3): commands and data on
// one flow, audio on a second, video on a third, all with TC metadata naming the stream and all
// associated with the far end's NetConnection flow. Separate media flows let partial reliability
// drop late video without holding up audio or commands (RFC 7425 section 5.1; rtmfp-cpp uses
// the same split and priorities).
import { RtmfpError } from '../errors.js';
import { Priority } from '../flow/priority.js';
import { SendFlowError, SendFlowErrorCode } from '../flow/send-flow.js';
import type { OutgoingFlow, Session } from '../session/session.js';
import { encodeTcMetadata } from '../wire/flash/tc-metadata.js';
import { FlashMessageType } from '../wire/flash/message.js';

/** Buffer cap of the command/data flow: commands are never dropped, so this only bounds memory. */
export const CONTROL_FLOW_BUFFER_BYTES = 1 << 20;
/** Buffer caps of the media flows: a subscriber this far behind drops media instead of growing. */
export const AUDIO_FLOW_BUFFER_BYTES = 256 * 1024;
export const VIDEO_FLOW_BUFFER_BYTES = 1 << 20;
/** Most command/data bytes waiting for room before the stream counts itself broken. */
export const MAX_CONTROL_BACKLOG_BYTES = 8 << 20;

export interface StreamTransportOptions {
  session: Session;
  streamId: number;
  /** The far end's flow these flows answer (C.5); undefined for a P2P play request flow. */
  association: number | undefined;
  audioBufferBytes?: number;
  videoBufferBytes?: number;
  /** Told of each media message given up by partial reliability. */
  onMediaAbandoned?: (type: number) => void;
}

export interface MediaWriteOptions {
  /** Partial reliability: give the message up if not delivered within this time. */
  lifetimeMs?: number;
  /** The bytes are shared with other flows and never modified (a relay). */
  shared?: boolean;
}

export interface StreamTransportCounters {
  controlMessages: number;
  mediaMessages: number;
  /** Media writes refused because the flow was full. */
  mediaDropped: number;
  /** Media writes refused because the message is longer than the flow carries (a relayed message). */
  mediaTooLarge: number;
  /** Media messages abandoned by partial reliability. */
  mediaAbandoned: number;
}

export class StreamTransport {
  readonly streamId: number;
  readonly counters: StreamTransportCounters = { controlMessages: 0, mediaMessages: 0, mediaDropped: 0, mediaTooLarge: 0, mediaAbandoned: 0 };
  private readonly options: StreamTransportOptions;
  private control: OutgoingFlow | undefined;
  private audio: OutgoingFlow | undefined;
  private video: OutgoingFlow | undefined;
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private closed = false;

  constructor(options: StreamTransportOptions) {
    this.options = options;
    this.streamId = options.streamId;
  }

  get session(): Session {
    return this.options.session;
  }

  /** Command / data / user control: reliable and in order; queued while the flow is full. */
  writeControl(message: Uint8Array): void {
    if (this.closed || this.session.state !== 'open') return;
    const flow = (this.control ??= this.open(Priority.Immediate));
    this.counters.controlMessages++;
    if (this.backlog.length === 0) {
      try {
        flow.write(message);
        return;
      } catch (e) {
        if (!(e instanceof SendFlowError && e.code === SendFlowErrorCode.BufferFull)) throw e;
      }
    }
    this.backlogBytes += message.length;
    if (this.backlogBytes > MAX_CONTROL_BACKLOG_BYTES) {
      throw new RtmfpError('ERR_STREAM_BACKLOG', `stream ${this.streamId}: ${this.backlogBytes} command bytes waiting for the far end`);
    }
    this.backlog.push(message.slice());
  }

  /**
   * Audio (0x08) or video (0x09). Returns false when the message was not queued because the
   * flow's buffer is full: the far end is not keeping up, and the caller decides what to skip.
   * Also false (counted in mediaTooLarge) for a message longer than the flow's maxMessageLength,
   * which could never be delivered: a relay drops it rather than throw (NetStream refuses such
   * messages from its application before they get here).
   */
  writeMedia(type: number, message: Uint8Array, options: MediaWriteOptions = {}): boolean {
    if (this.closed || this.session.state !== 'open') return false;
    const video = type === FlashMessageType.Video;
    const flow = video
      ? (this.video ??= this.open(Priority.Priority, this.options.videoBufferBytes ?? VIDEO_FLOW_BUFFER_BYTES))
      : (this.audio ??= this.open(Priority.Immediate, this.options.audioBufferBytes ?? AUDIO_FLOW_BUFFER_BYTES));
    if (message.length > flow.maxMessageLength) {
      this.counters.mediaTooLarge++;
      return false;
    }
    if (!flow.writable) {
      this.counters.mediaDropped++;
      return false;
    }
    flow.write(message, options);
    this.counters.mediaMessages++;
    return true;
  }

  /** Bytes queued on the media flows and not yet acknowledged. */
  get mediaBufferedBytes(): number {
    return (this.audio?.bufferedBytes ?? 0) + (this.video?.bufferedBytes ?? 0);
  }

  /** Ends every flow of the stream (FIN after what is queued). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.session.state === 'open') {
      this.control?.close();
      this.audio?.close();
      this.video?.close();
    }
  }

  private open(priority: Priority, bufferCapacity?: number): OutgoingFlow {
    const flow = this.session.openFlow(encodeTcMetadata(this.streamId), {
      priority,
      ...(this.options.association !== undefined ? { returnFlowAssociation: this.options.association } : {}),
      bufferCapacity: bufferCapacity ?? CONTROL_FLOW_BUFFER_BYTES,
    });
    if (bufferCapacity === undefined) flow.on('writable', () => this.drain());
    else {
      const type = priority === Priority.Priority ? FlashMessageType.Video : FlashMessageType.Audio;
      flow.on('abandoned', () => {
        this.counters.mediaAbandoned++;
        this.options.onMediaAbandoned?.(type);
      });
    }
    return flow;
  }

  private drain(): void {
    const flow = this.control;
    if (!flow) return;
    while (this.backlog.length > 0 && flow.writable) {
      const m = this.backlog.shift()!;
      this.backlogBytes -= m.length;
      flow.write(m, { shared: true });
    }
  }
}
