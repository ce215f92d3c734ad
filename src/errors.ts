/**
 * Base class of every error this library throws on purpose. `code` is a stable string
 * (`ERR_WIRE_TRUNCATED`, `ERR_AMF_LIMIT`, ...) that callers can switch on; messages may change.
 */
export class RtmfpError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
