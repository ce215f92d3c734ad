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
 * Values a script data tag may hold by default: 2^20, above the network default (2^16), because
 * FLV files are local input and an onMetaData keyframe index (two values per keyframe) of a
 * long recording can exceed 2^16.
 */
export const FLV_SCRIPT_DATA_MAX_VALUES = 1 << 20;

/**
 * Decodes a script data tag body. Throws AmfError (AMF limits from `options`) or FlvError
 * when the first value is not a string.
 */
export function decodeFlvScriptData(data: Uint8Array, options: Amf0DecoderOptions = {}): FlvScriptData {
  const all = new Amf0Decoder({ maxValues: FLV_SCRIPT_DATA_MAX_VALUES, ...options }).decodeAll(data);
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
