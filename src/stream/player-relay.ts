// The relay's per-player step, shared by the server's playing NetStreams and the players of a
// direct (P2P) publication: one shared buffer per message, partial reliability for frames, a
// slow player skipping media instead of slowing the publisher, and video that restarts only at a
// keyframe after anything was lost.
import type { MediaWriteOptions, StreamTransport } from './stream-transport.js';
import { FlashMessageType } from '../wire/flash/message.js';
import type { AmfValue } from '../wire/amf/types.js';
import type { RelayedMessage } from './live-stream.js';
import type { RelayCounters } from './relay-counters.js';

/** Decoder configuration is never given up. */
const CONFIG_WRITE: MediaWriteOptions = { shared: true };

export class PlayerRelay {
  paused = false;
  receiveAudio = true;
  receiveVideo = true;
  /** Video waits for a keyframe: at the start and after any dropped or abandoned frame. */
  needKeyframe = true;
  private readonly transport: Pick<StreamTransport, 'writeControl' | 'writeMedia'>;
  private readonly counters: RelayCounters;
  /** Frames are worthless after their lifetime (RFC 7016 3.6.2.3.3). One object, not one per write. */
  private readonly frameWrite: MediaWriteOptions;

  constructor(transport: Pick<StreamTransport, 'writeControl' | 'writeMedia'>, counters: RelayCounters, mediaLifetimeMs: number) {
    this.transport = transport;
    this.counters = counters;
    this.frameWrite = { shared: true, lifetimeMs: mediaLifetimeMs };
  }

  /** Playing (again) from the live edge. */
  restart(): void {
    this.paused = false;
    this.needKeyframe = true;
  }

  /** Give this to the StreamTransport's onMediaAbandoned. */
  mediaAbandoned(type: number): void {
    this.counters.abandoned++;
    // A lost video frame breaks the frames that depend on it: resume at the next keyframe.
    if (type === FlashMessageType.Video) this.needKeyframe = true;
  }

  /**
   * `pause`, `receiveAudio`, `receiveVideo` (wire-reference E.4). Returns the Pause / Unpause
   * notification to send, if the pause state changed; other commands are not ours (false).
   */
  applyPlayCommand(name: string, flag: AmfValue): 'pause' | 'unpause' | 'handled' | false {
    const on = flag !== false;
    switch (name) {
      case 'receiveAudio':
        this.receiveAudio = on;
        return 'handled';
      case 'receiveVideo':
        this.receiveVideo = on;
        if (on) this.needKeyframe = true;
        return 'handled';
      case 'pause':
        if (on === this.paused) return 'handled';
        this.paused = on;
        if (!on) this.needKeyframe = true;
        return on ? 'pause' : 'unpause';
      default:
        return false;
    }
  }

  /** The relay's hot loop, once per player per message. */
  deliver(m: RelayedMessage): void {
    const counters = this.counters;
    if (m.type === FlashMessageType.Audio) {
      if (!m.config && (this.paused || !this.receiveAudio)) return;
    } else if (m.type === FlashMessageType.Video) {
      if (!m.config) {
        if (this.paused || !this.receiveVideo) return;
        if (this.needKeyframe) {
          if (!m.keyframe) {
            counters.skipped++;
            return;
          }
          this.needKeyframe = false;
        }
      }
    } else {
      this.transport.writeControl(m.bytes);
      counters.messagesOut++;
      counters.bytesOut += m.bytes.length;
      return;
    }
    if (this.transport.writeMedia(m.type, m.bytes, m.config ? CONFIG_WRITE : this.frameWrite)) {
      counters.messagesOut++;
      counters.bytesOut += m.bytes.length;
    } else {
      counters.dropped++;
      if (m.type === FlashMessageType.Video) this.needKeyframe = true;
    }
  }
}
