// Script data tags (type 18): an AMF0 string name followed by AMF0 values, e.g.
// `onMetaData {duration, width, ...}` (wire-reference E.2, E.7).
import { Amf0Decoder, Amf0Encoder, type Amf0DecoderOptions, type AmfValue } from '../wire/amf/index.js';
import { FlvError, FlvErrorCode } from './errors.js';

export interface FlvScriptData {
  /** Handler name, e.g. `onMetaData`. */
  name: string;
  values: AmfValue[];
}

/**
 * Decodes a script data tag body. Throws AmfError (AMF limits from `options`) or FlvError
 * when the first value is not a string.
 */
export function decodeFlvScriptData(data: Uint8Array, options: Amf0DecoderOptions = {}): FlvScriptData {
  const all = new Amf0Decoder(options).decodeAll(data);
  const name = all[0];
  if (typeof name !== 'string') {
    throw new FlvError(FlvErrorCode.Malformed, 'FLV script data does not start with an AMF0 string name', 0);
  }
  return { name, values: all.slice(1) };
}

/** Encodes a script data tag body: AMF0 string `name`, then the values. */
export function encodeFlvScriptData(name: string, values: readonly AmfValue[]): Uint8Array {
  return new Amf0Encoder().encodeAll([name, ...values]);
}
