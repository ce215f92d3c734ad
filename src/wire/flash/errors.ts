import { RtmfpError } from '../../errors.js';

/** Reasons the Flash message layer (RFC 7425 section 5) refuses its input. */
export const FlashErrorCode = {
  /** A message, event or metadata value ended before a field it needs. */
  Truncated: 'ERR_FLASH_TRUNCATED',
  /** Fields are present but wrong (no command name, non-numeric transaction ID, not TC metadata...). */
  Malformed: 'ERR_FLASH_MALFORMED',
  /** An RTMP chunk-stream message type that must not appear on RTMFP (wire-reference E.2). */
  RtmpOnly: 'ERR_FLASH_RTMP_ONLY',
  /** The encoder was given something the format cannot carry. */
  Unencodable: 'ERR_FLASH_UNENCODABLE',
} as const;
export type FlashErrorCode = (typeof FlashErrorCode)[keyof typeof FlashErrorCode];

/** Thrown by the Flash message codecs; AMF payload problems surface as AmfError instead. */
export class FlashError extends RtmfpError {
  readonly offset: number;
  constructor(code: FlashErrorCode, message: string, offset = -1) {
    super(code, offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.offset = offset;
  }
}
