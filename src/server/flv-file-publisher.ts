// Publishes an FLV file as a live stream: the file takes the stream's publisher slot like a
// client's NetStream would, and its tags become the stream's messages (FLV tag bodies are the
// audio / video / AMF0 data message payloads; wire-reference E.2, E.7). Paced by default: each
// tag is relayed when its timestamp is due relative to the start, on timers.
import { RtmfpError } from '../errors.js';
import { FlvTagType, type FlvTag } from '../media/flv-format.js';
import { FlvReader, type FlvReaderOptions, type FlvTruncation } from '../media/flv-reader.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { KeepAliveClock } from '../time/keep-alive-clock.js';
import { FlashMessageType } from '../wire/flash/message.js';
import type { InstanceMember, MemberInstance } from './instance-member.js';
import { relayedMessageOf, type LiveStream, type StreamPublisher } from '../stream/live-stream.js';

export const FlvFilePublisherErrorCode = {
  /** The stream already has a publisher. */
  StreamBusy: 'ERR_STREAM_ALREADY_PUBLISHED',
  /** The file could not be opened or read (missing, unreadable). Bad FLV content throws FlvError. */
  Open: 'ERR_FLV_FILE_OPEN',
  /** Bad options (speed not a positive number). */
  Options: 'ERR_FLV_PUBLISH_OPTIONS',
} as const;
export type FlvFilePublisherErrorCode = (typeof FlvFilePublisherErrorCode)[keyof typeof FlvFilePublisherErrorCode];

export class FlvFilePublisherError extends RtmfpError {
  constructor(code: FlvFilePublisherErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface FlvFilePublisherOptions {
  /** Start again at the end of the file, timestamps continuing upwards (default false). */
  loop?: boolean;
  /** Pace tags by their timestamps (default true); false relays as fast as the file is read. */
  realtime?: boolean;
  /** Pace at this multiple of real time (default 1; must be > 0). */
  speed?: number;
  /** Time source for pacing (default: performance.now() and ordinary, process-holding timers). */
  clock?: Clock;
  /** Reader limits. */
  reader?: FlvReaderOptions;
  /**
   * A timestamp step larger than this (either way, ms) is a discontinuity: pacing restarts from
   * that tag instead of waiting out the gap or bursting (default 10 000).
   */
  maxTimestampJump?: number;
  /** Join this instance while publishing (keeps it loaded); the stream is released at the end. */
  instance?: MemberInstance;
}

export interface FlvFilePublishResult {
  /** Tags relayed (all passes when looping). */
  tags: number;
  /** Completed passes over the file. */
  passes: number;
  /** Why publishing ended. */
  end: 'eof' | 'stopped' | 'error';
  /** stop() reason when `end` is 'stopped'. */
  reason?: string;
  /** The file ended inside a tag: what was readable was published (last pass). */
  truncation?: FlvTruncation;
  /** Malformed content or a read error after the start (`end` is 'error'). */
  error?: Error;
}

/** AMF0 string "onMetaData" (wire-reference E.7). */
const ON_METADATA = new Uint8Array([0x02, 0x00, 0x0a, 0x6f, 0x6e, 0x4d, 0x65, 0x74, 0x61, 0x44, 0x61, 0x74, 0x61]);

function isOnMetaData(data: Uint8Array): boolean {
  if (data.length < ON_METADATA.length) return false;
  for (let i = 0; i < ON_METADATA.length; i++) if (data[i] !== ON_METADATA[i]) return false;
  return true;
}

/**
 * Default pacing clock: unlike SystemClock its timers keep the process alive, since a file being
 * published is work in progress. Like SystemClock it never fires before the due time.
 */
const pacingClock: Clock = new KeepAliveClock();

type TagIterator = AsyncIterator<FlvTag, void, undefined>;

export class FlvFilePublisher implements StreamPublisher, InstanceMember {
  readonly kind = 'file';
  readonly stream: LiveStream;
  readonly path: string;
  /** Resolves when publishing ended (end of file, stop(), or an error), after the slot is released. Never rejects. */
  readonly done: Promise<FlvFilePublishResult>;

  private readonly options: FlvFilePublisherOptions;
  private readonly clock: Clock;
  private readonly speed: number;
  private readonly realtime: boolean;
  private readonly maxJump: number;
  private reader: FlvReader;
  private iterator: TagIterator;
  private stopReason: string | undefined;
  private timer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  private tags = 0;
  private passes = 0;
  private resolveDone!: (result: FlvFilePublishResult) => void;

  private constructor(stream: LiveStream, path: string, reader: FlvReader, iterator: TagIterator, options: FlvFilePublisherOptions) {
    this.stream = stream;
    this.path = path;
    this.reader = reader;
    this.iterator = iterator;
    this.options = options;
    this.clock = options.clock ?? pacingClock;
    this.speed = options.speed ?? 1;
    this.realtime = options.realtime ?? true;
    this.maxJump = options.maxTimestampJump ?? 10_000;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /**
   * Opens `path`, checks its FLV header and first tag, takes `stream`'s publisher slot and
   * starts relaying. Throws FlvFilePublisherError (StreamBusy, Open, Options) or FlvError (not
   * an FLV file); the slot is untouched then.
   */
  static async start(stream: LiveStream, path: string, options: FlvFilePublisherOptions = {}): Promise<FlvFilePublisher> {
    const speed = options.speed ?? 1;
    if (typeof speed !== 'number' || !Number.isFinite(speed) || speed <= 0) {
      throw new FlvFilePublisherError(FlvFilePublisherErrorCode.Options, `speed must be a positive number, got ${String(speed)}`);
    }
    const busy = (): FlvFilePublisherError =>
      new FlvFilePublisherError(FlvFilePublisherErrorCode.StreamBusy, `stream ${stream.name} is already being published`);
    if (stream.publisher) throw busy();
    const { reader, iterator, first } = await FlvFilePublisher.openFile(path, options.reader);
    const publisher = new FlvFilePublisher(stream, path, reader, iterator, options);
    // Someone may have published while the file was opening.
    if (!stream.publish(publisher)) {
      await publisher.closeReader();
      throw busy();
    }
    options.instance?.join(publisher);
    void publisher.run(first).then(publisher.resolveDone);
    return publisher;
  }

  /** Opens the file and reads up to the first tag, so a missing or non-FLV file fails start(). */
  private static async openFile(path: string, readerOptions: FlvReaderOptions | undefined): Promise<{ reader: FlvReader; iterator: TagIterator; first: FlvTag | undefined }> {
    const reader = FlvReader.open(path, readerOptions);
    const iterator = reader[Symbol.asyncIterator]();
    try {
      const r = await iterator.next();
      return { reader, iterator, first: r.done === true ? undefined : r.value };
    } catch (e) {
      await iterator.return?.(undefined).catch(() => undefined);
      if (e instanceof RtmfpError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new FlvFilePublisherError(FlvFilePublisherErrorCode.Open, `cannot publish ${path}: ${message}`, { cause: e });
    }
  }

  /** True until publishing ended. */
  get publishing(): boolean {
    return this.stream.publisher === this;
  }

  /** Stops publishing: no further tag is relayed; `done` resolves with end 'stopped'. */
  stop(reason = 'stopped'): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.timer?.cancel();
    this.timer = undefined;
    this.wake?.();
  }

  /** StreamPublisher: the instance unloads, or the server hands the name to someone else. */
  stopPublishing(reason: string): void {
    this.stop(reason);
  }

  private async run(first: FlvTag | undefined): Promise<FlvFilePublishResult> {
    const result: FlvFilePublishResult = { tags: 0, passes: 0, end: 'eof' };
    try {
      await this.publishAll(first, result);
    } catch (e) {
      result.end = 'error';
      result.error = e instanceof Error ? e : new Error(String(e));
    } finally {
      await this.closeReader();
      this.stream.unpublish(this);
      const instance = this.options.instance;
      if (instance) {
        instance.releaseStream(this.stream);
        instance.leave(this);
      }
    }
    result.tags = this.tags;
    result.passes = this.passes;
    if (this.stopReason !== undefined && result.end !== 'error') {
      result.end = 'stopped';
      result.reason = this.stopReason;
    }
    return result;
  }

  private async publishAll(first: FlvTag | undefined, result: FlvFilePublishResult): Promise<void> {
    // Pacing origin: tag time `originTs` is due at clock time `originAt`.
    let originAt = this.clock.now();
    let originTs: number | undefined;
    let previousTs: number | undefined;
    /** Added to file timestamps on later passes, so a loop's timestamps keep rising. */
    let loopOffset = 0;
    let next: FlvTag | undefined = first;
    for (;;) {
      let passTags = 0;
      let passMaxTs = 0; // highest timestamp relayed in this pass (loop offset included)
      let step = 0; // latest positive gap between consecutive tags: the loop seam's gap
      while (next !== undefined) {
        if (this.stopReason !== undefined) return;
        const tag = next;
        const ts = Math.min(tag.timestamp + loopOffset, 0xffffffff);
        if (previousTs !== undefined && ts > previousTs) step = ts - previousTs;
        if (this.realtime) {
          if (originTs === undefined || (previousTs !== undefined && Math.abs(ts - previousTs) > this.maxJump)) {
            // First tag, or a discontinuity: this tag is due now (or when the previous one was).
            originAt = originTs === undefined ? this.clock.now() : this.dueAt(originAt, originTs, previousTs!);
            originTs = ts;
          }
          await this.sleepUntil(this.dueAt(originAt, originTs, ts));
          if (this.stopReason !== undefined) return;
        }
        if (this.passes > 0 && tag.type === FlvTagType.ScriptData && isOnMetaData(tag.data)) {
          // Later passes: the stream already has this file's metadata.
        } else {
          this.relay(tag, ts);
        }
        this.tags++;
        passTags++;
        previousTs = ts;
        if (ts > passMaxTs) passMaxTs = ts;
        const r = await this.iterator.next();
        next = r.done === true ? undefined : r.value;
      }
      this.passes++;
      result.truncation = this.reader.truncation;
      // A pass with no tags would loop forever without relaying anything.
      if (!this.options.loop || passTags === 0 || this.stopReason !== undefined) return;
      await this.closeReader();
      const reopened = await FlvFilePublisher.openFile(this.path, this.options.reader);
      this.reader = reopened.reader;
      this.iterator = reopened.iterator;
      next = reopened.first;
      // The next pass's first tag follows this pass's last one by one tag interval.
      if (next !== undefined) loopOffset = Math.max(0, passMaxTs + Math.max(step, 1) - next.timestamp);
    }
  }

  private dueAt(originAt: number, originTs: number, ts: number): number {
    return originAt + (ts - originTs) / this.speed;
  }

  private relay(tag: FlvTag, timestamp: number): void {
    if (this.stream.publisher !== this) return; // the slot was taken away (stopPublishing follows)
    if (tag.type === FlvTagType.ScriptData) {
      const message = relayedMessageOf(FlashMessageType.DataAmf0, timestamp, tag.data);
      if (isOnMetaData(tag.data)) this.stream.setMetadata(message);
      else this.stream.relay(message);
    } else {
      this.stream.relay(relayedMessageOf(tag.type, timestamp, tag.data));
    }
  }

  private sleepUntil(at: number): Promise<void> {
    if (at <= this.clock.now()) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        this.timer = undefined;
        resolve();
      };
      this.timer = this.clock.setTimer(at, this.wake);
    });
  }

  private async closeReader(): Promise<void> {
    try {
      await this.iterator.return?.(undefined);
    } catch {
      // closing a failed read stream can only report the same failure again
    }
  }
}
