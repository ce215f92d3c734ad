// Streaming FLV reader: an async iterator over the tags of a file or byte stream. Holds at
// most one tag plus one source chunk in memory; every size comes from the file, so each is
// checked against a limit before the reader waits for that many bytes.
import { createReadStream } from 'node:fs';
import { FlvError, FlvErrorCode } from './errors.js';
import {
  decodeFlvHeader,
  decodeFlvTagHeader,
  FLV_HEADER_SIZE,
  FLV_PREVIOUS_TAG_SIZE_SIZE,
  FLV_TAG_HEADER_SIZE,
  FlvTagType,
  type FlvHeader,
  type FlvTag,
} from './flv-format.js';

export interface FlvReaderOptions {
  /** Largest tag body accepted, in bytes (default 8 MiB; the format allows up to 16 MiB - 1). */
  maxTagSize?: number;
  /** Largest header DataOffset accepted (default 1024; writers use 9). */
  maxDataOffset?: number;
  /**
   * Check each PreviousTagSize against the tag before it (default true). Some writers get
   * it wrong; turn this off to read their files anyway.
   */
  checkPreviousTagSize?: boolean;
}

/** Where and how a file ended early. The tags before `offset` were all delivered. */
export interface FlvTruncation {
  /** File offset of the incomplete tag (or of the missing PreviousTagSize field). */
  offset: number;
  /** Bytes present from `offset` to the end. */
  available: number;
  /** Bytes the structure at `offset` needed. */
  expected: number;
  /**
   * `tag`: the final tag is incomplete and was not delivered; `previousTagSize`: the final
   * tag was delivered but its trailing PreviousTagSize field is missing or short.
   */
  part: 'tag' | 'previousTagSize';
}

export const DEFAULT_FLV_READER_OPTIONS: Required<FlvReaderOptions> = {
  maxTagSize: 8 * 1024 * 1024,
  maxDataOffset: 1024,
  checkPreviousTagSize: true,
};

/** FIFO of source chunks; take() returns a view when the bytes lie in one chunk. */
class ChunkQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // read position within chunks[0]
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  take(n: number): Uint8Array {
    const first = this.chunks[0];
    let out: Uint8Array;
    if (first !== undefined && first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0];
        const part = Math.min(n - filled, c.length - this.head);
        out.set(c.subarray(this.head, this.head + part), filled);
        filled += part;
        this.head += part;
        if (this.head === c.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    this.length -= n;
    return out;
  }
}

/**
 * Reads FLV tags from `source` (a node Readable, or any async iterable of byte chunks).
 * Iterate it once with `for await`. `header` is set once the file header is read;
 * `truncation` is set if the input ended inside a tag (the iteration then ends normally).
 * Malformed input throws FlvError. Yielded `data` may be a view into a source chunk.
 */
export class FlvReader implements AsyncIterable<FlvTag> {
  private readonly source: AsyncIterable<Uint8Array>;
  private readonly options: Required<FlvReaderOptions>;
  private started = false;
  private fileHeader: FlvHeader | undefined;
  private truncatedAt: FlvTruncation | undefined;
  private position = 0;

  constructor(source: AsyncIterable<Uint8Array>, options: FlvReaderOptions = {}) {
    this.source = source;
    this.options = { ...DEFAULT_FLV_READER_OPTIONS, ...options };
  }

  /** Reads the file at `path` (streamed; the file is closed when iteration ends or stops). */
  static open(path: string, options: FlvReaderOptions = {}): FlvReader {
    return new FlvReader(createReadStream(path), options);
  }

  get header(): FlvHeader | undefined {
    return this.fileHeader;
  }

  get truncation(): FlvTruncation | undefined {
    return this.truncatedAt;
  }

  /** Bytes consumed so far (the file offset of the next tag). */
  get offset(): number {
    return this.position;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<FlvTag, void, undefined> {
    if (this.started) throw new FlvError(FlvErrorCode.Closed, 'an FlvReader can be iterated only once');
    this.started = true;
    const input = this.source[Symbol.asyncIterator]();
    const queue = new ChunkQueue();
    let sourceDone = false;
    const fill = async (n: number): Promise<boolean> => {
      while (queue.length < n && !sourceDone) {
        const r = await input.next();
        if (r.done === true) sourceDone = true;
        else queue.push(r.value);
      }
      return queue.length >= n;
    };
    const { maxTagSize, maxDataOffset, checkPreviousTagSize } = this.options;
    try {
      if (!(await fill(FLV_HEADER_SIZE))) {
        throw new FlvError(FlvErrorCode.Header, `input ended after ${queue.length} bytes, before the 9-byte FLV header`, 0);
      }
      const { header, dataOffset } = decodeFlvHeader(queue.take(FLV_HEADER_SIZE));
      if (dataOffset > maxDataOffset) {
        throw new FlvError(FlvErrorCode.Limit, `FLV DataOffset ${dataOffset} exceeds the limit ${maxDataOffset}`, 5);
      }
      // Skip any bytes between the header and DataOffset, and PreviousTagSize0 (always 0).
      const skip = dataOffset - FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE_SIZE;
      if (!(await fill(skip))) {
        throw new FlvError(FlvErrorCode.Header, 'input ended inside the FLV header / PreviousTagSize0', FLV_HEADER_SIZE);
      }
      queue.take(skip);
      this.fileHeader = header;
      this.position = dataOffset + FLV_PREVIOUS_TAG_SIZE_SIZE;

      for (;;) {
        const tagOffset = this.position;
        if (!(await fill(FLV_TAG_HEADER_SIZE))) {
          if (queue.length > 0) {
            this.truncatedAt = { offset: tagOffset, available: queue.length, expected: FLV_TAG_HEADER_SIZE, part: 'tag' };
          }
          return;
        }
        const th = decodeFlvTagHeader(queue.take(FLV_TAG_HEADER_SIZE));
        if (th.filtered) {
          throw new FlvError(FlvErrorCode.Malformed, 'FLV tag has the Filter bit set (encrypted tags are not supported)', tagOffset);
        }
        if (th.type !== FlvTagType.Audio && th.type !== FlvTagType.Video && th.type !== FlvTagType.ScriptData) {
          throw new FlvError(FlvErrorCode.Malformed, `FLV tag type ${th.type} is not 8, 9 or 18`, tagOffset);
        }
        if (th.dataSize > maxTagSize) {
          throw new FlvError(FlvErrorCode.Limit, `FLV tag body of ${th.dataSize} bytes exceeds the limit ${maxTagSize}`, tagOffset + 1);
        }
        if (!(await fill(th.dataSize))) {
          this.truncatedAt = {
            offset: tagOffset,
            available: FLV_TAG_HEADER_SIZE + queue.length,
            expected: FLV_TAG_HEADER_SIZE + th.dataSize + FLV_PREVIOUS_TAG_SIZE_SIZE,
            part: 'tag',
          };
          return;
        }
        const tag: FlvTag = { type: th.type, timestamp: th.timestamp, data: queue.take(th.dataSize) };
        const trailerOffset = tagOffset + FLV_TAG_HEADER_SIZE + th.dataSize;
        if (!(await fill(FLV_PREVIOUS_TAG_SIZE_SIZE))) {
          this.position = trailerOffset;
          this.truncatedAt = { offset: trailerOffset, available: queue.length, expected: FLV_PREVIOUS_TAG_SIZE_SIZE, part: 'previousTagSize' };
          yield tag;
          return;
        }
        const p = queue.take(FLV_PREVIOUS_TAG_SIZE_SIZE);
        const previousTagSize = ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
        if (checkPreviousTagSize && previousTagSize !== FLV_TAG_HEADER_SIZE + th.dataSize) {
          throw new FlvError(
            FlvErrorCode.Malformed,
            `PreviousTagSize ${previousTagSize} does not match the tag before it (${FLV_TAG_HEADER_SIZE + th.dataSize})`,
            trailerOffset,
          );
        }
        this.position = trailerOffset + FLV_PREVIOUS_TAG_SIZE_SIZE;
        yield tag;
      }
    } finally {
      // Stops (and for files, closes) the source when the consumer breaks early or we throw.
      if (!sourceDone) await input.return?.();
    }
  }
}
