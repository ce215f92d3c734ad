import { Amf0Decoder } from '../amf/amf0-decoder.js';
import { Amf0Writer } from '../amf/amf0-encoder.js';
import { DEFAULT_AMF_ENCODER_LIMITS } from '../amf/limits.js';
import { Amf3Value, type AmfValue } from '../amf/types.js';
import type { ByteWriter } from '../writer.js';

/**
 * The AMF value list that command and data messages carry. The AMF3 forms (types 0x11 and 0x0f)
 * start with a format byte 0 and then hold AMF0 values, exactly like the AMF0 forms (RFC 7425
 * section 5.3.3, wire-reference E.2). A missing format byte is tolerated: a value list always
 * starts with the name string (marker 0x02 or the AVM+ switch 0x11), never with 0x00.
 */
export function decodeValueList(payload: Uint8Array, amf3Form: boolean, decoder: Amf0Decoder): AmfValue[] {
  const start = amf3Form && payload.length > 0 && payload[0] === 0 ? 1 : 0;
  return decoder.decodeAll(payload, start, payload.length);
}

/** Object encoding negotiated by connect (`objectEncoding` 0 or 3). */
export type ObjectEncoding = 0 | 3;

/**
 * Writes a value list. `head` values (command name, transaction ID) are always plain AMF0. With
 * objectEncoding 3 every other value except null goes through the AVM+ switch, as librtmfp does
 * (`publish 0 null 11 06 09 74657374`, wire-reference E.2); with 0 only values AMF0 cannot carry
 * do. Each value gets fresh reference tables, matching Amf0Decoder's default.
 */
export function writeValueList(
  w: ByteWriter,
  amf3Form: boolean,
  objectEncoding: ObjectEncoding,
  head: readonly AmfValue[],
  rest: readonly AmfValue[],
): void {
  if (amf3Form) w.u8(0);
  const writer = new Amf0Writer(w, DEFAULT_AMF_ENCODER_LIMITS);
  for (const v of head) {
    writer.resetTables();
    writer.writeValue(v, 0);
  }
  for (const v of rest) {
    writer.resetTables();
    writer.writeValue(objectEncoding === 3 && v !== null && !(v instanceof Amf3Value) ? new Amf3Value(v) : v, 0);
  }
}
