// Streaming FLV writer: header once, then one encoded tag per write(); nothing but the tag
// being written is buffered here, so recording a long stream costs no memory growth.
import { once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { FlvError, FlvErrorCode } from './errors.js';
import { encodeFlvHeader, encodeFlvTag, type FlvHeader, type FlvTag } from './flv-format.js';

/** Where an FlvWriter writes: a node Writable stream or an open file handle. */
export type FlvSink = Writable | FileHandle;

function isWritable(sink: FlvSink): sink is Writable {
  return typeof (sink as Writable).write === 'function' && typeof (sink as Writable).end === 'function' && 'writable' in sink;
}

export class FlvWriter {
  private readonly sink: FlvSink;
  private readonly header: FlvHeader;
  private readonly ownsSink: boolean;
  private headerWritten = false;
  private ended = false;
  private bytes = 0;
  private tagCount = 0;

  /**
   * `header` sets the file's audio/video flags. The header is written with the first tag
   * (or by end() for an empty file). With `ownsSink`, end() also closes a FileHandle.
   */
  constructor(sink: FlvSink, header: FlvHeader, options: { ownsSink?: boolean } = {}) {
    this.sink = sink;
    this.header = { audio: header.audio, video: header.video };
    this.ownsSink = options.ownsSink ?? false;
  }

  /** Creates (truncates) a file at `path` and returns a writer that closes it on end(). */
  static async create(path: string, header: FlvHeader): Promise<FlvWriter> {
    const handle = await open(path, 'w');
    return new FlvWriter(handle, header, { ownsSink: true });
  }

  /** Bytes written so far (header included). */
  get bytesWritten(): number {
    return this.bytes;
  }

  /** Tags written so far. */
  get tagsWritten(): number {
    return this.tagCount;
  }

  /**
   * Appends one tag. Resolves when the sink accepted it (after 'drain' when a stream
   * asks for back-pressure). Throws FlvError for tags FLV cannot carry; nothing is
   * written in that case. Calls must not overlap (await each one).
   */
  async write(tag: FlvTag): Promise<void> {
    if (this.ended) throw new FlvError(FlvErrorCode.Closed, 'FlvWriter.write after end()');
    const encoded = encodeFlvTag(tag); // validates before anything reaches the sink
    if (!this.headerWritten) await this.writeHeader();
    await this.put(encoded);
    this.tagCount++;
  }

  /** Writes the header if no tag did, then ends a stream sink / closes an owned file. */
  async end(): Promise<void> {
    if (this.ended) return;
    if (!this.headerWritten) await this.writeHeader();
    this.ended = true;
    if (isWritable(this.sink)) {
      const stream = this.sink;
      const finished = once(stream, 'finish');
      stream.end();
      await finished;
    } else if (this.ownsSink) {
      await this.sink.close();
    }
  }

  private async writeHeader(): Promise<void> {
    this.headerWritten = true;
    await this.put(encodeFlvHeader(this.header));
  }

  private async put(bytes: Uint8Array): Promise<void> {
    if (isWritable(this.sink)) {
      const stream = this.sink;
      if (!stream.write(bytes)) await once(stream, 'drain');
    } else {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.sink.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      }
    }
    this.bytes += bytes.length;
  }
}
