import { Amf0Decoder, type Amf0DecoderOptions } from '../amf/amf0-decoder.js';
import { ByteWriter } from '../writer.js';
import { decodeCommandPayload, writeCommandPayload, type FlashCommand, type FlashCommandInit } from './command.js';
import { decodeDataPayload, writeDataPayload, type FlashData } from './data.js';
import { FlashError, FlashErrorCode } from './errors.js';
import type { ObjectEncoding } from './payload.js';
import { decodeUserControl, encodeUserControl, type UserControlEvent } from './user-control.js';

/**
 * Flash message framing over RTMFP flows (RFC 7425 section 5.1, wire-reference E.2): each
 * reassembled flow message is `type (1) | timestamp (4, big-endian ms) | payload`. No length
 * and no stream ID: the stream comes from the flow's TC metadata.
 */
export const FlashMessageType = {
  UserControl: 0x04,
  Audio: 0x08,
  Video: 0x09,
  DataAmf3: 0x0f,
  SharedObjectAmf3: 0x10,
  CommandAmf3: 0x11,
  DataAmf0: 0x12,
  SharedObjectAmf0: 0x13,
  CommandAmf0: 0x14,
} as const;

/**
 * RTMP chunk-stream control types (set chunk size, abort, ack, window ack size, set peer
 * bandwidth) and aggregate: meaningless on RTMFP and refused (wire-reference E.2).
 */
export const RTMP_ONLY_MESSAGE_TYPES: ReadonlySet<number> = new Set([0x01, 0x02, 0x03, 0x05, 0x06, 0x16]);

export const FLASH_MESSAGE_HEADER_LENGTH = 5;

export interface FlashMessageFrame {
  type: number;
  timestamp: number;
  /** A view into the input (not a copy). */
  payload: Uint8Array;
}

/** Splits a message into header fields and payload; refuses RTMP-only types. */
export function decodeFlashMessageFrame(message: Uint8Array): FlashMessageFrame {
  if (message.length < FLASH_MESSAGE_HEADER_LENGTH) {
    throw new FlashError(FlashErrorCode.Truncated, `message of ${message.length} bytes is shorter than its 5-byte header`, message.length);
  }
  const type = message[0]!;
  if (RTMP_ONLY_MESSAGE_TYPES.has(type)) {
    throw new FlashError(FlashErrorCode.RtmpOnly, `message type 0x${type.toString(16).padStart(2, '0')} is RTMP-only and not allowed on RTMFP`, 0);
  }
  const timestamp = ((message[1]! << 24) | (message[2]! << 16) | (message[3]! << 8) | message[4]!) >>> 0;
  return { type, timestamp, payload: message.subarray(FLASH_MESSAGE_HEADER_LENGTH) };
}

function checkHeader(type: number, timestamp: number): void {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new FlashError(FlashErrorCode.Unencodable, `message type ${type} is not a byte`);
  if (RTMP_ONLY_MESSAGE_TYPES.has(type)) throw new FlashError(FlashErrorCode.RtmpOnly, `message type 0x${type.toString(16)} is RTMP-only`);
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > 0xffffffff) {
    throw new FlashError(FlashErrorCode.Unencodable, `timestamp ${timestamp} is not a 32-bit unsigned integer`);
  }
}

export function writeFlashMessageHeader(w: ByteWriter, type: number, timestamp: number): void {
  checkHeader(type, timestamp);
  w.u8(type).u32(timestamp);
}

export function encodeFlashMessageFrame(frame: FlashMessageFrame): Uint8Array {
  const w = new ByteWriter(new Uint8Array(FLASH_MESSAGE_HEADER_LENGTH + frame.payload.length));
  writeFlashMessageHeader(w, frame.type, frame.timestamp);
  w.bytes(frame.payload);
  return w.buf;
}

/** A decoded Flash message. Audio, video and unknown types keep their payload as a view. */
export type FlashMessage =
  | { kind: 'user-control'; type: 0x04; timestamp: number; event: UserControlEvent }
  | { kind: 'audio'; type: 0x08; timestamp: number; payload: Uint8Array }
  | { kind: 'video'; type: 0x09; timestamp: number; payload: Uint8Array }
  | { kind: 'command'; type: 0x14 | 0x11; timestamp: number; command: FlashCommand }
  | { kind: 'data'; type: 0x12 | 0x0f; timestamp: number; data: FlashData }
  /** Shared object messages and types with no meaning here, kept raw. */
  | { kind: 'other'; type: number; timestamp: number; payload: Uint8Array };

/**
 * Decodes whole Flash messages. Holds one Amf0Decoder (with its limits) for reuse; not
 * re-entrant. Throws FlashError for framing problems and AmfError for bad AMF.
 */
export class FlashMessageDecoder {
  readonly amf: Amf0Decoder;

  constructor(amfOptions: Amf0DecoderOptions = {}) {
    this.amf = new Amf0Decoder(amfOptions);
  }

  decode(message: Uint8Array): FlashMessage {
    const { type, timestamp, payload } = decodeFlashMessageFrame(message);
    switch (type) {
      case FlashMessageType.UserControl:
        return { kind: 'user-control', type, timestamp, event: decodeUserControl(payload) };
      case FlashMessageType.Audio:
        return { kind: 'audio', type, timestamp, payload };
      case FlashMessageType.Video:
        return { kind: 'video', type, timestamp, payload };
      case FlashMessageType.CommandAmf0:
      case FlashMessageType.CommandAmf3:
        return { kind: 'command', type, timestamp, command: decodeCommandPayload(payload, type === FlashMessageType.CommandAmf3, this.amf) };
      case FlashMessageType.DataAmf0:
      case FlashMessageType.DataAmf3:
        return { kind: 'data', type, timestamp, data: decodeDataPayload(payload, type === FlashMessageType.DataAmf3, this.amf) };
      default:
        return { kind: 'other', type, timestamp, payload };
    }
  }
}

let shared: FlashMessageDecoder | undefined;

/** Decodes one message with default limits. */
export function decodeFlashMessage(message: Uint8Array): FlashMessage {
  shared ??= new FlashMessageDecoder();
  return shared.decode(message);
}

export interface FlashEncodeOptions {
  /** For commands and data: 3 sends values after the name/transaction ID through the AVM+ switch. */
  objectEncoding?: ObjectEncoding;
}

/** Encodes a command message: type 0x14, or 0x11 with `amf3Form`. */
export function encodeCommandMessage(
  cmd: FlashCommandInit,
  options: FlashEncodeOptions & { amf3Form?: boolean; timestamp?: number } = {},
): Uint8Array {
  const amf3Form = options.amf3Form ?? false;
  const w = new ByteWriter();
  writeFlashMessageHeader(w, amf3Form ? FlashMessageType.CommandAmf3 : FlashMessageType.CommandAmf0, options.timestamp ?? 0);
  writeCommandPayload(w, cmd, { amf3Form, objectEncoding: options.objectEncoding ?? 0 });
  return w.written().slice();
}

/** Encodes a data message: type 0x12, or 0x0f with `amf3Form`. */
export function encodeDataMessage(
  data: FlashData,
  options: FlashEncodeOptions & { amf3Form?: boolean; timestamp?: number } = {},
): Uint8Array {
  const amf3Form = options.amf3Form ?? false;
  const w = new ByteWriter();
  writeFlashMessageHeader(w, amf3Form ? FlashMessageType.DataAmf3 : FlashMessageType.DataAmf0, options.timestamp ?? 0);
  writeDataPayload(w, data, { amf3Form, objectEncoding: options.objectEncoding ?? 0 });
  return w.written().slice();
}

export function encodeUserControlMessage(event: UserControlEvent, timestamp = 0): Uint8Array {
  return encodeFlashMessageFrame({ type: FlashMessageType.UserControl, timestamp, payload: encodeUserControl(event) });
}

/** Encodes any FlashMessage (the inverse of FlashMessageDecoder.decode). */
export function encodeFlashMessage(msg: FlashMessage, options: FlashEncodeOptions = {}): Uint8Array {
  switch (msg.kind) {
    case 'user-control':
      return encodeUserControlMessage(msg.event, msg.timestamp);
    case 'command':
      return encodeCommandMessage(msg.command, { ...options, amf3Form: msg.type === FlashMessageType.CommandAmf3, timestamp: msg.timestamp });
    case 'data':
      return encodeDataMessage(msg.data, { ...options, amf3Form: msg.type === FlashMessageType.DataAmf3, timestamp: msg.timestamp });
    default:
      return encodeFlashMessageFrame(msg);
  }
}
