import { RtmfpError } from '../errors.js';

/** Reasons the FLV reader or writer refuses its input. */
export const FlvErrorCode = {
  /** The file header is missing, too short, or not an FLV version 1 header. */
  Header: 'ERR_FLV_HEADER',
  /** A tag header is not valid (unknown tag type, encrypted/filtered tag, bad PreviousTagSize). */
  Malformed: 'ERR_FLV_MALFORMED',
  /** A reader limit was hit (tag size, header data offset). */
  Limit: 'ERR_FLV_LIMIT',
  /** The writer was given a tag FLV cannot carry (size over 24 bits, timestamp outside 32 bits). */
  Unencodable: 'ERR_FLV_UNENCODABLE',
  /** The writer was used after end(). */
  Closed: 'ERR_FLV_CLOSED',
} as const;
export type FlvErrorCode = (typeof FlvErrorCode)[keyof typeof FlvErrorCode];

/** Thrown by the FLV reader and writer. `offset` is the byte offset in the file, or -1. */
export class FlvError extends RtmfpError {
  readonly offset: number;
  constructor(code: FlvErrorCode, message: string, offset = -1) {
    super(code, offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.offset = offset;
  }
}
