import type { Amf0Decoder } from '../amf/amf0-decoder.js';
import type { AmfValue } from '../amf/types.js';
import { ByteWriter } from '../writer.js';
import { FlashError, FlashErrorCode } from './errors.js';
import { decodeValueList, writeValueList, type ObjectEncoding } from './payload.js';

/**
 * A data message (type 0x12 AMF0 or 0x0f AMF3; wire-reference E.7): a handler name and its
 * arguments, e.g. `@setDataFrame "onMetaData" {...}`, `|RtmpSampleAccess true true`, or
 * NetStream.send(handler, args...).
 */
export interface FlashData {
  handler: string;
  args: AmfValue[];
}

export function dataFromValues(list: AmfValue[]): FlashData {
  const handler = list[0];
  if (typeof handler !== 'string') {
    throw new FlashError(FlashErrorCode.Malformed, `data handler is ${list.length ? typeof handler : 'missing'}, not a string`);
  }
  return { handler, args: list.slice(1) };
}

export function decodeDataPayload(payload: Uint8Array, amf3Form: boolean, decoder: Amf0Decoder): FlashData {
  return dataFromValues(decodeValueList(payload, amf3Form, decoder));
}

export interface DataEncodeOptions {
  /** Type 0x0f form (format byte 0 first). Default false (type 0x12). */
  amf3Form?: boolean;
  /** 3 sends the arguments through the AVM+ switch. Default 0. */
  objectEncoding?: ObjectEncoding;
}

export function writeDataPayload(w: ByteWriter, data: FlashData, options: DataEncodeOptions = {}): void {
  writeValueList(w, options.amf3Form ?? false, options.objectEncoding ?? 0, [data.handler], data.args);
}

export function encodeDataPayload(data: FlashData, options: DataEncodeOptions = {}): Uint8Array {
  const w = new ByteWriter();
  writeDataPayload(w, data, options);
  return w.written().slice();
}
