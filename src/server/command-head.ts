// The name and transaction ID of a command message whose values did not decode (too large, too
// deep, a declared length past the end): enough to answer it with `_error` instead of silence.
// Both come first and in plain AMF0 (wire-reference E.4), so only those bytes are read.
import { FlashMessageType } from '../wire/flash/message.js';

/** Longest command name read here (`connect`, `createStream`...; longer names are not answered by name). */
const MAX_NAME_BYTES = 64;

export interface CommandHead {
  /** undefined when the name did not read (not an AMF0 string of at most 64 bytes). */
  name: string | undefined;
  /** undefined when it did not read. */
  transactionId: number | undefined;
}

/** Reads the head of a Flash command message (5-byte header, then the value list); never throws. */
export function readCommandHead(message: Uint8Array): CommandHead {
  const none: CommandHead = { name: undefined, transactionId: undefined };
  if (message.length < 5) return none;
  const type = message[0];
  if (type !== FlashMessageType.CommandAmf0 && type !== FlashMessageType.CommandAmf3) return none;
  let at = 5;
  if (type === FlashMessageType.CommandAmf3 && message[at] === 0) at++; // format byte (RFC 7425 5.3.3)
  // AMF0 string: marker 0x02, u16 length, UTF-8.
  if (message[at] !== 0x02 || at + 3 > message.length) return none;
  const length = (message[at + 1]! << 8) | message[at + 2]!;
  at += 3;
  if (length > MAX_NAME_BYTES || at + length > message.length) return none;
  const name = new TextDecoder('utf-8', { fatal: false }).decode(message.subarray(at, at + length));
  at += length;
  // AMF0 number: marker 0x00, big-endian float64.
  if (message[at] !== 0x00 || at + 9 > message.length) return { name, transactionId: undefined };
  const tid = new DataView(message.buffer, message.byteOffset + at + 1, 8).getFloat64(0);
  return { name, transactionId: Number.isFinite(tid) ? tid : undefined };
}
