import { ByteReader } from '../reader.js';
import { WireErrorCode } from '../errors.js';
import { AmfError, AmfErrorCode } from './errors.js';
import type { AmfLimits } from './limits.js';
import { decodeUtf8 } from './utf8.js';

/** The AMF code for each failure the shared ByteReader can report. */
const AMF_CODE_OF: Record<WireErrorCode, AmfErrorCode> = {
  [WireErrorCode.Truncated]: AmfErrorCode.Truncated,
  [WireErrorCode.Malformed]: AmfErrorCode.Malformed,
  [WireErrorCode.Limit]: AmfErrorCode.Limit,
  [WireErrorCode.Unencodable]: AmfErrorCode.Unencodable,
};

/**
 * The bounds-checked cursor both AMF decoders read through: a ByteReader whose failures are
 * AmfError (ERR_AMF_TRUNCATED rather than reading past `end`), plus the AMF limit checks. The
 * shared value counter enforces `maxValues` across an AMF0 message and the AMF3 values switched
 * into it. One input is kept per decoder and attached to each buffer it decodes.
 */
export class AmfInput extends ByteReader {
  values = 0;
  readonly limits: AmfLimits;
  /** References to objects still being decoded are accepted (see AmfDecodeOptions). */
  readonly allowCycles: boolean;

  constructor(limits: AmfLimits, allowCycles = false) {
    super(EMPTY, 0, 0);
    this.limits = limits;
    this.allowCycles = allowCycles;
  }

  attach(buf: Uint8Array, start: number, end: number): void {
    this.rebind(buf, start, end);
    this.values = 0;
  }

  /** Drops the references to the last input, so a kept decoder does not pin its buffer. */
  detach(): void {
    this.buf = EMPTY;
    this.view = EMPTY_VIEW;
  }

  protected override raise(code: WireErrorCode, message: string, at: number): never {
    throw new AmfError(AMF_CODE_OF[code], message, at);
  }

  fail(code: AmfErrorCode, message: string, at = this.pos): never {
    throw new AmfError(code, message, at);
  }

  /** Counts one decoded value against maxValues. */
  countValue(): void {
    if (++this.values > this.limits.maxValues) {
      this.fail(AmfErrorCode.Limit, `more than ${this.limits.maxValues} values`);
    }
  }

  checkDepth(depth: number): void {
    if (depth > this.limits.maxDepth) this.fail(AmfErrorCode.Limit, `nesting deeper than ${this.limits.maxDepth}`);
  }

  /** Refuses a reference to an object still being decoded, unless cycles are allowed. */
  checkCycle(open: boolean, what: string, at: number): void {
    if (open && !this.allowCycles) this.fail(AmfErrorCode.Cycle, `${what} points to an enclosing object still being decoded (a cycle)`, at);
  }

  /**
   * Checks a container's element count before anything is allocated: against the limit,
   * against the bytes left given that each element takes at least `minBytesEach` bytes, and
   * against the values still allowed (each element is at least `valuesEach` values).
   */
  checkCount(count: number, minBytesEach: number, what: string, valuesEach = 1): void {
    if (count > this.limits.maxContainerLength) {
      this.fail(AmfErrorCode.Limit, `${what} of ${count} elements exceeds ${this.limits.maxContainerLength}`);
    }
    if (count * minBytesEach > this.end - this.pos) {
      this.fail(AmfErrorCode.Truncated, `${what} of ${count} elements cannot fit in ${this.end - this.pos} bytes`);
    }
    if (count * valuesEach > this.limits.maxValues - this.values) {
      this.fail(AmfErrorCode.Limit, `${what} of ${count} elements exceeds the ${this.limits.maxValues - this.values} values left of ${this.limits.maxValues}`);
    }
  }

  /** `n` bytes of UTF-8 as a string, after checking maxStringLength. */
  utf8(n: number): string {
    if (n > this.limits.maxStringLength) {
      this.fail(AmfErrorCode.Limit, `string of ${n} bytes exceeds ${this.limits.maxStringLength}`);
    }
    this.need(n);
    const s = decodeUtf8(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A copy of the next n bytes (a copy, so the value outlives a pooled input buffer). */
  copy(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);
