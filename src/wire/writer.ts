import { WireError, WireErrorCode } from './errors.js';

/** Number of bytes the minimal VLU encoding of `value` takes. */
export function vluLength(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new WireError(WireErrorCode.Unencodable, `VLU value ${value} is not a non-negative safe integer`);
  }
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/**
 * An append-only byte writer. With a caller-supplied buffer it never allocates and throws
 * WireError(Limit) when the buffer is full (used for packets into preallocated memory);
 * without one it grows by doubling up to `maxLength`.
 */
export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos: number;
  private readonly growable: boolean;
  private readonly maxLength: number;

  constructor(buf?: Uint8Array, options: { start?: number; maxLength?: number } = {}) {
    this.growable = buf === undefined;
    this.buf = buf ?? new Uint8Array(256);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = options.start ?? 0;
    this.maxLength = options.maxLength ?? (this.growable ? 64 * 1024 * 1024 : this.buf.length);
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length && need <= this.maxLength) return;
    if (!this.growable || need > this.maxLength) {
      throw new WireError(WireErrorCode.Limit, `writer full: need ${need} bytes, limit ${Math.min(this.buf.length, this.maxLength)}`);
    }
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(size, this.maxLength));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  fill(value: number, n: number): this {
    this.ensure(n);
    this.buf.fill(value, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** RFC 7016 section 2.1.2 VLU, minimal form. */
  vlu(value: number): this {
    const n = vluLength(value);
    this.ensure(n);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.pos + i] = (value % 128) | (i === n - 1 ? 0 : 0x80);
      value = Math.floor(value / 128);
    }
    this.pos += n;
    return this;
  }

  /** A VLU length then the bytes. */
  vluField(b: Uint8Array): this {
    return this.vlu(b.length).bytes(b);
  }

  /** Reserve n bytes to be filled later (e.g. a chunk length); returns their offset. */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** A view of what has been written (no copy). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
