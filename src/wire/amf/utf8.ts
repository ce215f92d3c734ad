import type { ByteWriter } from '../writer.js';

/**
 * UTF-8 for AMF strings (AMF0 section 1.3.1, AMF3 section 1.3.2). Decoding is lenient: invalid
 * sequences become U+FFFD rather than errors, as Flash Player does not validate either.
 * Short ASCII strings, the common case for member names and command names, skip TextDecoder.
 */
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();
const ASCII_FAST_PATH = 64;

export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n <= ASCII_FAST_PATH) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(buf.subarray(start, end));
}

/**
 * Number of bytes TextEncoder produces for `s` (lone surrogates become U+FFFD, 3 bytes).
 */
export function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 2; // 2 UTF-16 units -> 4 bytes
        i++;
      } else {
        bytes += 2;
      }
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

/** Writes exactly `byteLength` (= utf8Length(s)) bytes of UTF-8 for `s`. */
export function writeUtf8(w: ByteWriter, s: string, byteLength: number): void {
  const at = w.reserve(byteLength);
  const buf = w.buf;
  if (byteLength === s.length) {
    for (let i = 0; i < byteLength; i++) buf[at + i] = s.charCodeAt(i);
    return;
  }
  encoder.encodeInto(s, buf.subarray(at, at + byteLength));
}
