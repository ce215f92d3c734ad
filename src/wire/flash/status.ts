import { AmfEcmaArray, AmfTypedObject, isPlainObject, type AmfObject, type AmfValue } from '../amf/types.js';

/**
 * NetStatus info objects (`{level, code, description, ...}`) carried by `_result`, `_error` and
 * `onStatus` (wire-reference E.4, E.5).
 */
export const StatusLevel = { Status: 'status', Error: 'error', Warning: 'warning' } as const;
export type StatusLevel = (typeof StatusLevel)[keyof typeof StatusLevel];

const LEVELS: ReadonlySet<string> = new Set(Object.values(StatusLevel));

export interface StatusInfo {
  level: string;
  code: string;
  description: string | undefined;
  /** The whole info object's members as received (details, objectEncoding, connectionID...). */
  properties: AmfObject;
  /**
   * True when the sender put the code in `level` and the level in `code` and this reader
   * swapped them back. MonaServer2 does this in its `_error` for an unhandled call
   * (`level` "NetConnection.Call.Failed", `code` "error"; wire-reference E.4, G.8).
   */
  levelCodeSwapped: boolean;
}

/** Builds an info object with members in the conventional order level, code, description, extras. */
export function makeStatusInfo(level: string, code: string, description?: string, extra: AmfObject = {}): AmfObject {
  const o: AmfObject = { level, code };
  if (description !== undefined) o.description = description;
  for (const k of Object.keys(extra)) if (k !== 'level' && k !== 'code' && k !== 'description') o[k] = extra[k];
  return o;
}

function membersOf(v: AmfValue): AmfObject | null {
  if (v === null || typeof v !== 'object') return null;
  if (v instanceof AmfTypedObject) return v.properties;
  if (v instanceof AmfEcmaArray) return v.properties;
  if (Array.isArray(v) || v instanceof Date || v instanceof Uint8Array || v instanceof Map) return null;
  return isPlainObject(v) ? v : null;
}

/**
 * Reads a status info object: anything object-like with string `level` and `code`. Repairs the
 * swapped level/code quirk when `level` is not a known level but `code` is. Returns null for
 * values that are not info objects.
 */
export function readStatusInfo(v: AmfValue): StatusInfo | null {
  const m = membersOf(v);
  if (!m) return null;
  let level = m.level;
  let code = m.code;
  if (typeof level !== 'string' || typeof code !== 'string') return null;
  let swapped = false;
  if (!LEVELS.has(level) && LEVELS.has(code)) {
    [level, code] = [code, level];
    swapped = true;
  }
  const d = m.description;
  return { level, code, description: typeof d === 'string' ? d : undefined, properties: m, levelCodeSwapped: swapped };
}

/** The first info object among a command's arguments (then its command object), if any. */
export function findStatusInfo(command: { commandObject: AmfValue; args: readonly AmfValue[] }): StatusInfo | null {
  for (const a of command.args) {
    const s = readStatusInfo(a);
    if (s) return s;
  }
  return readStatusInfo(command.commandObject);
}
