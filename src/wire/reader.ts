import { WireError, WireErrorCode } from './errors.js';

/**
 * Longest VLU accepted (RFC 7016 section 2.1.2): 10 bytes carry 70 bits, enough for any 64-bit
 * value. Values above Number.MAX_SAFE_INTEGER are refused rather than silently rounded.
 */
export const MAX_VLU_BYTES = 10;

/**
 * A bounds-checked cursor over a byte range. Every read either returns a value or throws; it never
 * reads outside [start, end). `bytes()` returns views, not copies.
 *
 * Failures go through `raise()`, which throws WireError. A codec with its own error type (the AMF
 * input) subclasses the reader and overrides `raise()`, so both share one set of bounds checks.
 * `buf`, `view`, `pos` and `end` are for reading; only the reader and its subclasses move them.
 */
export class ByteReader {
  // `declare`: no field definitions are emitted, so the first values stored (by rebind) set the
  // field representations (pos and end stay small integers) instead of undefined.
  declare buf: Uint8Array;
  declare view: DataView;
  declare pos: number;
  declare end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.rebind(buf, start, end);
  }

  /** Points the reader at another range (for readers kept and reused across inputs). */
  protected rebind(buf: Uint8Array, start: number, end: number): void {
    if (start < 0 || end > buf.length || start > end) {
      this.raise(WireErrorCode.Truncated, `range ${start}..${end} outside ${buf.length} bytes`, -1);
    }
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  /** Throws the error for a failed read; subclasses override it to throw their own error type. */
  protected raise(code: WireErrorCode, message: string, at: number): never {
    throw new WireError(code, message, at);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  protected need(n: number): void {
    if (n > this.end - this.pos) {
      this.raise(WireErrorCode.Truncated, `need ${n} bytes, ${this.end - this.pos} left`, this.pos);
    }
  }

  u8(): number {
    if (this.pos >= this.end) this.raise(WireErrorCode.Truncated, 'need 1 bytes, 0 left', this.pos);
    return this.buf[this.pos++]!;
  }

  peekU8(): number {
    this.need(1);
    return this.buf[this.pos]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** A view of the next n bytes (no copy). */
  bytes(n: number): Uint8Array {
    if (n < 0) this.raise(WireErrorCode.Malformed, `negative length ${n}`, this.pos);
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A view of everything left (no copy). */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** RFC 7016 section 2.1.2 variable-length unsigned integer. Accepts non-minimal forms. */
  vlu(): number {
    let value = 0;
    for (let i = 0; i < MAX_VLU_BYTES; i++) {
      if (this.pos >= this.end) {
        this.raise(WireErrorCode.Truncated, 'VLU runs past the end', this.pos);
      }
      const b = this.buf[this.pos++]!;
      value = value * 128 + (b & 0x7f);
      if (value > Number.MAX_SAFE_INTEGER) {
        this.raise(WireErrorCode.Limit, 'VLU exceeds 2^53-1', this.pos - 1);
      }
      if ((b & 0x80) === 0) return value;
    }
    return this.raise(WireErrorCode.Limit, `VLU longer than ${MAX_VLU_BYTES} bytes`, this.pos);
  }

  /** A VLU byte count followed by that many bytes (a "field" in RFC 7016 terms), as a view. */
  vluField(maxLength = Number.MAX_SAFE_INTEGER): Uint8Array {
    const at = this.pos;
    const n = this.vlu();
    if (n > maxLength) this.raise(WireErrorCode.Limit, `field of ${n} bytes exceeds ${maxLength}`, at);
    return this.bytes(n);
  }

  /** A sub-reader over the next n bytes; this reader skips past them. */
  sub(n: number): ByteReader {
    this.need(n);
    const r = new ByteReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}
