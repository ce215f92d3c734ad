import { RtmfpError } from '../errors.js';

/** Reasons a wire decoder or encoder refuses its input. */
export const WireErrorCode = {
  /** The input ended before a field it declared. */
  Truncated: 'ERR_WIRE_TRUNCATED',
  /** A field is present but its value is not allowed (wrong flag bits, unknown enum...). */
  Malformed: 'ERR_WIRE_MALFORMED',
  /** A decoder limit was hit (length, count, depth, integer size). */
  Limit: 'ERR_WIRE_LIMIT',
  /** An encoder was asked to write something the format cannot carry. */
  Unencodable: 'ERR_WIRE_UNENCODABLE',
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** Thrown by every codec under `src/wire/`. `offset` is where in the input the problem is. */
export class WireError extends RtmfpError {
  readonly offset: number;
  constructor(code: WireErrorCode, message: string, offset = -1) {
    super(code, offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.offset = offset;
  }
}
