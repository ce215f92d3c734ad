// The startup key (wire-reference A.3, RFC 7425 section 4.5): every startup-mode packet (session
// ID 0, and also RIKeying and Cookie Change) is encrypted with the 16 ASCII bytes
// "Adobe Systems 02".

export const DEFAULT_KEY_TEXT = 'Adobe Systems 02';
export const DEFAULT_KEY_HEX = '41646f62652053797374656d73203032';

const KEY = new TextEncoder().encode(DEFAULT_KEY_TEXT);

/** A fresh copy of the default key (callers may keep or mutate it). */
export function defaultKey(): Uint8Array {
  return KEY.slice();
}

/** True when `key` is the default key (e.g. to label a packet as startup-mode). */
export function isDefaultKey(key: Uint8Array): boolean {
  if (key.length !== KEY.length) return false;
  for (let i = 0; i < KEY.length; i++) if (key[i] !== KEY[i]) return false;
  return true;
}
