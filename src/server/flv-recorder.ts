// Records a live stream to an FLV file. A recorder is a stream subscriber like a playing
// client: the relay hands it each message synchronously (LiveStream.relay), so deliver() only
// queues a reference to the shared, immutable message and one async loop writes the queue to
// disk in order. The queue is bounded; what does not fit is dropped and counted, and video then
// waits for the next keyframe so the file stays decodable. FLV tag bodies are exactly the
// audio / video / AMF0 data message payloads (wire-reference E.2, E.7), so nothing is re-encoded.
import { EventEmitter } from 'node:events';
import { open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { makeDirectory } from './make-directory.js';
import { dirname, resolve, sep } from 'node:path';
import { RtmfpError } from '../errors.js';
import { FlvError } from '../media/errors.js';
import { encodeFlvHeader, encodeFlvTag, FLV_MAX_TIMESTAMP, FlvTagType, FlvVideoCodec, videoCodecId } from '../media/flv-format.js';
import { FlvReader } from '../media/flv-reader.js';
import { encodeFlvScriptData } from '../media/flv-script-data.js';
import { Amf0Decoder } from '../wire/amf/index.js';
import { decodeDataPayload } from '../wire/flash/data.js';
import { FlashMessageType } from '../wire/flash/message.js';
import type { InstanceMember, MemberInstance } from './instance-member.js';
import type { LiveStream, RelayedMessage, StreamSubscriber } from '../stream/live-stream.js';

export const FlvRecorderErrorCode = {
  /** The file could not be created / opened (missing permission, a path component is a file). */
  Open: 'ERR_FLV_RECORD_OPEN',
  /** Writing failed (disk full, I/O error); the recording ended. */
  Write: 'ERR_FLV_RECORD_WRITE',
  /** Bad options. */
  Options: 'ERR_FLV_RECORD_OPTIONS',
} as const;
export type FlvRecorderErrorCode = (typeof FlvRecorderErrorCode)[keyof typeof FlvRecorderErrorCode];

export class FlvRecorderError extends RtmfpError {
  constructor(code: FlvRecorderErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * Where a stream published with type "record" / "append" is written: `<directory>/<app>/<instance>/<name>.flv`.
 * Stream names come from clients: each '/'-separated part must be a plain name (not empty,
 * '.', '..', no backslash or NUL), so a name can never point outside `directory`.
 * Throws FlvRecorderError (Options) otherwise.
 */
export function recordFilePath(directory: string, app: string, instance: string, name: string): string {
  const parts = [...app.split('/'), ...instance.split('/'), ...name.split('/')];
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.includes('\\') || part.includes('\0')) {
      throw new FlvRecorderError(FlvRecorderErrorCode.Options, `cannot record ${JSON.stringify(`${app}/${instance}/${name}`)}: unsafe path part ${JSON.stringify(part)}`);
    }
  }
  const root = resolve(directory);
  const path = resolve(root, ...parts.slice(0, -1), `${parts[parts.length - 1]}.flv`);
  if (!path.startsWith(root + sep)) throw new FlvRecorderError(FlvRecorderErrorCode.Options, `cannot record ${name}: outside ${directory}`);
  return path;
}

/** Bytes of queued tag bodies past which new messages are dropped (and counted). */
export const DEFAULT_RECORD_QUEUE_BYTES = 16 * 1024 * 1024;
/** Tags handed to one writev() call. */
const WRITE_BATCH_TAGS = 64;

export interface FlvRecorderOptions {
  /**
   * Continue an existing FLV file after its last complete tag, with timestamps placed after
   * its last one. A missing file, or one without a valid FLV header, is started anew.
   */
  append?: boolean;
  /** Stop when the stream is unpublished (default true). False keeps recording across republishes. */
  untilUnpublish?: boolean;
  /** Queue bound in bytes of tag bodies (default 16 MiB). */
  maxQueueBytes?: number;
  /** Join this instance while recording (keeps it loaded) and stop if it unloads. */
  instance?: MemberInstance;
}

export interface FlvRecorderCounters {
  /** Tags written to the file (appended files: this recording's tags only). */
  tagsWritten: number;
  /** Bytes written to the file by this recording (header included). */
  bytesWritten: number;
  /** Messages not recorded because the queue was full, or video after such a drop until the next keyframe. */
  dropped: number;
}

/** What the file looked like when an append started. */
export interface FlvAppendInfo {
  /** Bytes of the existing file kept (an incomplete final tag is cut off). */
  keptBytes: number;
  /** Complete tags found. */
  tags: number;
  /** Highest timestamp found; the appended tags start after it. */
  lastTimestamp: number;
  /** The file has an onMetaData tag (the appended recording then adds none). */
  hasMetadata: boolean;
}

interface QueuedTag {
  type: number;
  timestamp: number;
  data: Uint8Array;
}

/** AMF0 string "onMetaData": marker 0x02, length 10, the name (wire-reference E.7). */
const ON_METADATA = new Uint8Array([0x02, 0x00, 0x0a, 0x6f, 0x6e, 0x4d, 0x65, 0x74, 0x61, 0x44, 0x61, 0x74, 0x61]);

function startsWith(data: Uint8Array, prefix: Uint8Array, at = 0): boolean {
  if (data.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[at + i] !== prefix[i]) return false;
  return true;
}

/** Reads an existing file to find where and after which timestamp to append. */
async function scanForAppend(path: string): Promise<FlvAppendInfo | undefined> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return undefined;
  } catch {
    return undefined;
  }
  const reader = FlvReader.open(path);
  let keptBytes = 0;
  let tags = 0;
  let lastTimestamp = 0;
  let hasMetadata = false;
  try {
    for await (const tag of reader) {
      // A final tag without its PreviousTagSize is cut off with the rest (reader.truncation).
      if (reader.truncation) break;
      keptBytes = reader.offset;
      tags++;
      if (tag.timestamp > lastTimestamp) lastTimestamp = tag.timestamp;
      if (tag.type === FlvTagType.ScriptData && startsWith(tag.data, ON_METADATA)) hasMetadata = true;
    }
    if (tags === 0 && reader.header) keptBytes = reader.offset;
  } catch (e) {
    // A bad header means "not an FLV": start anew. Damage later on: keep the good prefix.
    if (!(e instanceof FlvError) || reader.header === undefined) return undefined;
  }
  if (reader.header === undefined) return undefined;
  return { keptBytes, tags, lastTimestamp, hasMetadata };
}

export class FlvRecorder
  extends EventEmitter<{ error: [error: FlvRecorderError]; close: [counters: FlvRecorderCounters] }>
  implements StreamSubscriber, InstanceMember
{
  readonly kind = 'recorder';
  readonly path: string;
  /** Set when appending to an existing file. */
  readonly appendedTo: FlvAppendInfo | undefined;
  readonly counters: FlvRecorderCounters = { tagsWritten: 0, bytesWritten: 0, dropped: 0 };
  /** The write error that ended the recording, if one did. */
  error: FlvRecorderError | undefined;
  /** Resolves once the file is closed (stop(), unpublish, or an error). Never rejects. */
  readonly closed: Promise<void>;

  private readonly file: FileHandle;
  private readonly untilUnpublish: boolean;
  private readonly maxQueueBytes: number;
  private readonly instance: MemberInstance | undefined;
  private readonly onInstanceUnload = (): void => void this.stop();
  private stream: LiveStream | undefined;
  private queue: (QueuedTag | undefined)[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private pendingHeader: Uint8Array | undefined;
  /** Timestamp written for rebased time 0 (after an appended file's or a previous publish's tags). */
  private offset: number;
  /** Source timestamp that maps to `offset`; set by the first live message after a (re)start. */
  private base: number | undefined;
  private highestWritten = -1;
  /** Drop video (and, with AVC, audio) until a keyframe: at a mid-stream start or after a drop. */
  private awaitingKeyframe = true;
  /** Also hold audio until the keyframe (set when joining a stream that already has an AVC config). */
  private gateAudio = false;
  /** Waiting for a keyframe because video was dropped (the frames skipped meanwhile count as dropped). */
  private resyncAfterDrop = false;
  /** The file has its onMetaData (written by this recording, or found in the file appended to). */
  private metadataWritten: boolean;
  /** Messages already written by the catch-up in onPublish (skipped if the server also replays them). */
  private caughtUp: RelayedMessage[] = [];
  private state: 'recording' | 'stopping' | 'closed' = 'recording';
  private detached = false;
  private writing: Promise<void> | undefined;
  private resolveClosed!: () => void;
  private readonly amf = new Amf0Decoder();

  private constructor(path: string, file: FileHandle, header: Uint8Array | undefined, append: FlvAppendInfo | undefined, options: FlvRecorderOptions) {
    super();
    this.path = path;
    this.file = file;
    this.pendingHeader = header;
    this.appendedTo = append;
    this.untilUnpublish = options.untilUnpublish ?? true;
    this.maxQueueBytes = options.maxQueueBytes ?? DEFAULT_RECORD_QUEUE_BYTES;
    this.metadataWritten = append?.hasMetadata ?? false;
    this.offset = append && append.tags > 0 ? Math.min(append.lastTimestamp + 1, FLV_MAX_TIMESTAMP) : 0;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.instance = options.instance;
    if (this.instance) {
      this.instance.join(this);
      this.instance.once('unload', this.onInstanceUnload);
    }
  }

  /**
   * Creates the file (and its parent directories) and returns a recorder; start it with
   * `recorder.record(stream)`. Rejects with FlvRecorderError (Open) when the
   * file cannot be opened; nothing has been subscribed then.
   */
  static async open(path: string, options: FlvRecorderOptions = {}): Promise<FlvRecorder> {
    const max = options.maxQueueBytes ?? DEFAULT_RECORD_QUEUE_BYTES;
    if (!Number.isFinite(max) || max <= 0) {
      throw new FlvRecorderError(FlvRecorderErrorCode.Options, `maxQueueBytes must be a positive number, got ${max}`);
    }
    try {
      await makeDirectory(dirname(path));
      const append = options.append ? await scanForAppend(path) : undefined;
      if (append) {
        await truncate(path, append.keptBytes);
        const file = await open(path, 'a');
        return new FlvRecorder(path, file, undefined, append, options);
      }
      const file = await open(path, 'w');
      return new FlvRecorder(path, file, encodeFlvHeader({ audio: true, video: true }), undefined, options);
    } catch (e) {
      if (e instanceof RtmfpError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new FlvRecorderError(FlvRecorderErrorCode.Open, `cannot record to ${path}: ${message}`, { cause: e });
    }
  }

  /** Subscribes to `stream` (recording starts now if it is published, else at its publish). */
  record(stream: LiveStream): this {
    if (this.state !== 'recording') return this;
    this.stream = stream;
    stream.subscribe(this);
    return this;
  }

  get recording(): boolean {
    return this.state === 'recording';
  }

  /** Bytes of tag bodies waiting to be written. */
  get queuedByteCount(): number {
    return this.queuedBytes;
  }

  // ---- StreamSubscriber ----

  /**
   * Recording starts (or resumes after a republish): the cached onMetaData and decoder
   * configuration go first, at rebased time 0, so a file started mid-stream decodes.
   */
  onPublish(stream: LiveStream): void {
    if (this.state !== 'recording') return;
    this.stream = stream;
    if (this.highestWritten >= 0) this.offset = Math.min(this.highestWritten + 1, FLV_MAX_TIMESTAMP);
    this.base = undefined;
    this.awaitingKeyframe = true;
    this.resyncAfterDrop = false;
    this.gateAudio = stream.videoConfig !== undefined;
    this.caughtUp = [];
    for (const m of [stream.metadata, stream.audioConfig, stream.videoConfig]) {
      if (!m) continue;
      this.caughtUp.push(m);
      this.accept(m, this.offset);
    }
  }

  onUnpublish(stream: LiveStream): void {
    if (this.untilUnpublish && this.state === 'recording') void this.stop();
    else this.stream = stream;
  }

  /** The relay's hot loop: queue a reference, never wait, never throw. */
  deliver(message: RelayedMessage): void {
    if (this.state !== 'recording') return;
    if (this.caughtUp.length > 0 && this.caughtUp.includes(message)) return;
    const type = message.type;
    if (type === FlashMessageType.Video || type === FlashMessageType.Audio) {
      if (this.awaitingKeyframe && !message.config) {
        if (type === FlashMessageType.Video) {
          // Nothing decodes before a keyframe: not recorded, not a drop. An AVC keyframe must be
          // a coded frame (AVCPacketType 1), not the end-of-sequence marker (2) that shares its frame type.
          if (!message.keyframe || (videoCodecId(message.payload) === FlvVideoCodec.Avc && message.payload[1] !== 1)) {
            if (this.resyncAfterDrop) this.counters.dropped++; // lost to the overflow too
            return;
          }
          this.awaitingKeyframe = false;
          this.resyncAfterDrop = false;
          this.gateAudio = false;
        } else if (this.gateAudio) {
          return; // joined an AVC stream mid-way: the file's media starts at the keyframe
        }
      }
      this.base ??= message.timestamp;
      const ts = message.timestamp - this.base;
      this.accept(message, Math.min(this.offset + (ts > 0 ? ts : 0), FLV_MAX_TIMESTAMP));
      return;
    }
    if (type === FlashMessageType.DataAmf0) {
      if (!startsWith(message.payload, ON_METADATA)) return;
    } else if (type === FlashMessageType.DataAmf3) {
      // Format byte 0, then the AMF0 handler name (wire-reference E.7).
      if (message.payload[0] !== 0 || !startsWith(message.payload, ON_METADATA, 1)) return;
    } else {
      return;
    }
    // One onMetaData per file, at its start: later ones (a republish, an update, an appended
    // recording) are left out, since ffmpeg 5.1's FLV demuxer crashes on a second one mid-file.
    if (this.metadataWritten) return;
    // Metadata carries no media time of its own (a server stamps @setDataFrame with 0): it
    // goes in at the current end of the file and never sets the base.
    let ts = this.base === undefined ? this.offset : this.offset + Math.max(0, message.timestamp - this.base);
    if (ts < this.highestWritten) ts = this.highestWritten;
    this.accept(message, Math.min(ts, FLV_MAX_TIMESTAMP));
  }

  /** Stops recording: writes what is queued, closes the file, unsubscribes. Idempotent. */
  stop(): Promise<void> {
    if (this.state === 'recording') {
      this.state = 'stopping';
      this.detach();
      this.pump();
    }
    return this.closed;
  }

  // ---- writing ----

  private accept(message: RelayedMessage, timestamp: number): void {
    const size = message.payload.length;
    const data = message.type === FlashMessageType.DataAmf0 || message.type === FlashMessageType.DataAmf3;
    if (data && this.metadataWritten) return;
    if (this.queuedBytes + size > this.maxQueueBytes) {
      this.counters.dropped++;
      if (message.type === FlashMessageType.Video) {
        this.awaitingKeyframe = true;
        this.resyncAfterDrop = true;
      }
      return;
    }
    if (data) this.metadataWritten = true;
    this.queue.push({ type: message.type, timestamp, data: message.payload });
    this.queuedBytes += size;
    if (timestamp > this.highestWritten) this.highestWritten = timestamp;
    this.pump();
  }

  private pump(): void {
    if (this.writing) return;
    this.writing = this.writeLoop().finally(() => {
      this.writing = undefined;
      if (this.state === 'stopping' || (this.state === 'recording' && this.queueHead < this.queue.length)) this.pump();
    });
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.queueHead < this.queue.length && this.state !== 'closed') {
        const buffers: Uint8Array[] = [];
        if (this.pendingHeader) {
          buffers.push(this.pendingHeader);
          this.pendingHeader = undefined;
        }
        let tags = 0;
        let bodies = 0;
        while (this.queueHead < this.queue.length && tags < WRITE_BATCH_TAGS) {
          const q = this.queue[this.queueHead]!;
          this.queue[this.queueHead++] = undefined; // let the shared message go
          bodies += q.data.length;
          const encoded = this.encode(q);
          if (encoded) {
            buffers.push(encoded);
            tags++;
          }
        }
        if (this.queueHead === this.queue.length) {
          this.queue = [];
          this.queueHead = 0;
        }
        if (buffers.length > 0) await this.writeAll(buffers);
        this.queuedBytes -= bodies;
        this.counters.tagsWritten += tags;
      }
      if (this.state === 'stopping') {
        // Nothing was recorded: still leave a valid (empty) FLV file behind.
        if (this.pendingHeader) {
          const header = this.pendingHeader;
          this.pendingHeader = undefined;
          await this.writeAll([header]);
        }
        await this.finish(undefined);
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await this.finish(new FlvRecorderError(FlvRecorderErrorCode.Write, `recording to ${this.path} failed: ${message}`, { cause: e }));
    }
  }

  /** One FLV tag; a type 0x0f onMetaData is re-encoded as AMF0 script data. */
  private encode(q: QueuedTag): Uint8Array | undefined {
    if (q.type === FlashMessageType.DataAmf3) {
      try {
        const d = decodeDataPayload(q.data, true, this.amf);
        return encodeFlvTag({ type: FlvTagType.ScriptData, timestamp: q.timestamp, data: encodeFlvScriptData(d.handler, d.args) });
      } catch {
        return undefined; // undecodable metadata is not worth failing the recording for
      }
    }
    const type = q.type === FlashMessageType.DataAmf0 ? FlvTagType.ScriptData : (q.type as FlvTagType);
    // Bodies over 16 MiB cannot be FLV tags; the relay never carries such messages.
    if (q.data.length > 0xffffff) return undefined;
    return encodeFlvTag({ type, timestamp: q.timestamp, data: q.data });
  }

  private async writeAll(buffers: Uint8Array[]): Promise<void> {
    let total = 0;
    for (const b of buffers) total += b.length;
    let done = 0;
    let first = 0;
    while (done < total) {
      const { bytesWritten } = await this.file.writev(first === 0 && done === 0 ? buffers : buffers.slice(first));
      // A file that takes nothing (some /proc and /sys files) would be retried forever: give up.
      if (bytesWritten <= 0) throw new Error(`the file took 0 of ${total - done} bytes`);
      done += bytesWritten;
      this.counters.bytesWritten += bytesWritten;
      // A short write: skip the buffers written whole, keep the rest of a partial one.
      let skip = bytesWritten;
      while (skip > 0 && first < buffers.length) {
        const b = buffers[first]!;
        if (skip >= b.length) {
          skip -= b.length;
          first++;
        } else {
          buffers[first] = b.subarray(skip);
          skip = 0;
        }
      }
    }
  }

  private async finish(error: FlvRecorderError | undefined): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.detach();
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
    try {
      await this.file.close();
    } catch (e) {
      error ??= new FlvRecorderError(FlvRecorderErrorCode.Write, `closing ${this.path} failed: ${String(e)}`, { cause: e });
    }
    this.error = error;
    // 'error' with no listener would throw out of this loop: keep it in `error` then.
    if (error && this.listenerCount('error') > 0) this.emit('error', error);
    this.emit('close', { ...this.counters });
    this.resolveClosed();
  }

  /** Leaves the stream and the instance (the relay stops calling deliver()). */
  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    const stream = this.stream;
    if (stream) {
      stream.unsubscribe(this);
      this.instance?.releaseStream(stream);
    }
    if (this.instance) {
      this.instance.off('unload', this.onInstanceUnload);
      this.instance.leave(this);
    }
  }
}
