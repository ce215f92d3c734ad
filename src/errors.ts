import type { RtmfpErrorCode } from './error-codes.js';

export type { RtmfpErrorCode } from './error-codes.js';

/**
 * Base class of every error this library throws on purpose. `code` is a stable string
 * (`ERR_WIRE_TRUNCATED`, `ERR_AMF_LIMIT`, ...; the union RtmfpErrorCode, documented in
 * src/error-codes.ts and docs/errors.md) that callers can switch on; messages may change.
 */
export class RtmfpError extends Error {
  readonly code: RtmfpErrorCode;
  constructor(code: RtmfpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
