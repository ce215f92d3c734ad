// Fixed-byte case checks shared by the AMF0 and AMF3 tests: a hand-written encoding must decode
// to the expected value and (where canonical) re-encode to the same bytes; bad input must throw
// AmfError with the expected code.
import * as assert from 'uvu/assert';
import { AmfError, type AmfValue } from '../../src/wire/amf/index.js';
import { amfDiff, hex, toHex } from '../amf-helpers.js';

interface Decoder {
  decode(bytes: Uint8Array): AmfValue;
}
interface Encoder {
  encode(value: AmfValue): Uint8Array;
}

/** `hexStr` decodes to `value` (deep AMF equality). */
export function assertDecodes(decoder: Decoder, hexStr: string, value: AmfValue): void {
  const d = amfDiff(decoder.decode(hex(hexStr)), value);
  assert.is(d, null, `decode ${hexStr}: ${d}`);
}

/** `hexStr` decodes to `value`, and `value` encodes to exactly those bytes. */
export function assertRoundTrip(decoder: Decoder, encoder: Encoder, hexStr: string, value: AmfValue): void {
  assertDecodes(decoder, hexStr, value);
  assert.is(toHex(encoder.encode(value)), toHex(hex(hexStr)), `encode ${hexStr}`);
}

/** Decoding `hexStr` throws AmfError with `code`; returns the error for further checks. */
export function assertDecodeFails(decoder: Decoder, hexStr: string, code: string): AmfError {
  try {
    decoder.decode(hex(hexStr));
  } catch (e) {
    assert.ok(e instanceof AmfError, `expected AmfError, got ${String(e)}`);
    assert.is((e as AmfError).code, code, (e as Error).message);
    return e as AmfError;
  }
  assert.unreachable(`${hexStr} decoded`);
  throw new Error('unreachable');
}
