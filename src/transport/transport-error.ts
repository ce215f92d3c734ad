import { RtmfpError } from '../errors.js';

/** Stable codes for transport failures that reach the caller (opening, options, address text). */
export const TransportErrorCode = {
  /** The socket could not be created or bound (address in use, address not available, ...). */
  Bind: 'ERR_TRANSPORT_BIND',
  /** An option was out of range. */
  InvalidOption: 'ERR_TRANSPORT_OPTION',
  /** Text that is not an IP address, or a port out of range. */
  Address: 'ERR_TRANSPORT_ADDRESS',
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

export class TransportError extends RtmfpError {
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
