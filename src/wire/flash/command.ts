import type { Amf0Decoder } from '../amf/amf0-decoder.js';
import type { AmfValue } from '../amf/types.js';
import { ByteWriter } from '../writer.js';
import { FlashError, FlashErrorCode } from './errors.js';
import { decodeValueList, writeValueList, type ObjectEncoding } from './payload.js';

/**
 * A command message (type 0x14 AMF0 or 0x11 AMF3, wire-reference E.4):
 * `name, transactionID, commandObject, args...`.
 */
export interface FlashCommand {
  name: string;
  transactionId: number;
  /** The command object; null when it was null, undefined on the wire, or omitted. */
  commandObject: AmfValue;
  args: AmfValue[];
  /**
   * True when the sender left out the command object slot (see `splitCommandValues`). Encoding
   * a command with this set writes no command object, reproducing the librtmfp form.
   */
  commandObjectOmitted: boolean;
  /** Every value after the transaction ID exactly as received: the raw list behind the split. */
  values: AmfValue[];
}

export interface FlashCommandInit {
  name: string;
  /** Default 0 ("no response wanted"; librtmfp uses 0 for everything, wire-reference E.4). */
  transactionId?: number;
  /** Default null. */
  commandObject?: AmfValue;
  args?: readonly AmfValue[];
  /** Write no command object at all (librtmfp's `setPeerInfo`/`createStream` form). */
  commandObjectOmitted?: boolean;
}

/** Commands whose first value after the transaction ID is a real command object, not null. */
export const COMMANDS_WITH_COMMAND_OBJECT: ReadonlySet<string> = new Set(['connect']);

/**
 * Splits the values after the transaction ID into command object and arguments, liberally
 * (wire-reference G.8). The first value is the command object when it is null or undefined (the
 * usual RTMP form), or when the command is one that carries a command object (`connect`).
 * Otherwise the sender omitted the null (librtmfp `setPeerInfo 0 "ip:port"...`, `createStream 0`,
 * librtmfp's P2P `onStatus 0 {info}`): commandObject is null, every value is an argument and
 * `commandObjectOmitted` is true. The raw list stays available as `values`.
 */
export function splitCommandValues(name: string, values: AmfValue[]): Pick<FlashCommand, 'commandObject' | 'args' | 'commandObjectOmitted'> {
  if (values.length === 0) return { commandObject: null, args: [], commandObjectOmitted: true };
  const first = values[0];
  if (first === null || first === undefined || COMMANDS_WITH_COMMAND_OBJECT.has(name)) {
    return { commandObject: first ?? null, args: values.slice(1), commandObjectOmitted: false };
  }
  return { commandObject: null, args: values.slice(), commandObjectOmitted: true };
}

/** Builds a FlashCommand from a decoded value list (name, transaction ID, rest). */
export function commandFromValues(list: AmfValue[]): FlashCommand {
  const name = list[0];
  if (typeof name !== 'string') {
    throw new FlashError(FlashErrorCode.Malformed, `command name is ${list.length ? typeof name : 'missing'}, not a string`);
  }
  const tid = list[1];
  if (typeof tid !== 'number') {
    throw new FlashError(FlashErrorCode.Malformed, `command "${name}" transaction ID is ${list.length > 1 ? typeof tid : 'missing'}, not a number`);
  }
  const values = list.slice(2);
  return { name, transactionId: tid, ...splitCommandValues(name, values), values };
}

/** Decodes a command message payload (after the 5-byte message header). */
export function decodeCommandPayload(payload: Uint8Array, amf3Form: boolean, decoder: Amf0Decoder): FlashCommand {
  return commandFromValues(decodeValueList(payload, amf3Form, decoder));
}

export interface CommandEncodeOptions {
  /** Write the AMF3 command form (type 0x11: format byte 0 first). Default false (type 0x14). */
  amf3Form?: boolean;
  /** 3 sends the command object and arguments through the AVM+ switch. Default 0. */
  objectEncoding?: ObjectEncoding;
}

/** Writes a command message payload (no message header). */
export function writeCommandPayload(w: ByteWriter, cmd: FlashCommandInit, options: CommandEncodeOptions = {}): void {
  const tid = cmd.transactionId ?? 0;
  if (typeof tid !== 'number') throw new FlashError(FlashErrorCode.Unencodable, 'transaction ID must be a number');
  const rest: AmfValue[] = cmd.commandObjectOmitted ? [] : [cmd.commandObject ?? null];
  if (cmd.args) rest.push(...cmd.args);
  writeValueList(w, options.amf3Form ?? false, options.objectEncoding ?? 0, [cmd.name, tid], rest);
}

export function encodeCommandPayload(cmd: FlashCommandInit, options: CommandEncodeOptions = {}): Uint8Array {
  const w = new ByteWriter();
  writeCommandPayload(w, cmd, options);
  return w.written().slice();
}
