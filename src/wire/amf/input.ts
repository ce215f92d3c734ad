import { AmfError, AmfErrorCode } from './errors.js';
import type { AmfLimits } from './limits.js';
import { decodeUtf8 } from './utf8.js';

/**
 * The bounds-checked cursor both AMF decoders read through. Every read checks the bytes left and
 * throws AmfError(ERR_AMF_TRUNCATED) rather than reading past `end`; the shared value counter
 * enforces `maxValues` across an AMF0 message and the AMF3 values switched into it.
 */
export class AmfInput {
  buf: Uint8Array = EMPTY;
  view: DataView = EMPTY_VIEW;
  pos = 0;
  end = 0;
  values = 0;
  readonly limits: AmfLimits;

  constructor(limits: AmfLimits) {
    this.limits = limits;
  }

  attach(buf: Uint8Array, start: number, end: number): void {
    if (start < 0 || end > buf.length || start > end) {
      throw new AmfError(AmfErrorCode.Truncated, `range ${start}..${end} outside ${buf.length} bytes`);
    }
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
    this.values = 0;
  }

  /** Continues on another input's buffer and position (used at the AVM+ switch). */
  follow(other: AmfInput): void {
    this.buf = other.buf;
    this.view = other.view;
    this.pos = other.pos;
    this.end = other.end;
    this.values = other.values;
  }

  detach(): void {
    this.buf = EMPTY;
    this.view = EMPTY_VIEW;
  }

  fail(code: AmfErrorCode, message: string, at = this.pos): never {
    throw new AmfError(code, message, at);
  }

  need(n: number): void {
    if (n > this.end - this.pos) {
      this.fail(AmfErrorCode.Truncated, `need ${n} bytes, ${this.end - this.pos} left`);
    }
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

  /**
   * Checks a container's element count before anything is allocated: against the limit, and
   * against the bytes left given that each element takes at least `minBytesEach` bytes.
   */
  checkCount(count: number, minBytesEach: number, what: string): void {
    if (count > this.limits.maxContainerLength) {
      this.fail(AmfErrorCode.Limit, `${what} of ${count} elements exceeds ${this.limits.maxContainerLength}`);
    }
    if (count * minBytesEach > this.end - this.pos) {
      this.fail(AmfErrorCode.Truncated, `${what} of ${count} elements cannot fit in ${this.end - this.pos} bytes`);
    }
  }

  u8(): number {
    if (this.pos >= this.end) this.fail(AmfErrorCode.Truncated, 'need 1 byte, 0 left');
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
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
