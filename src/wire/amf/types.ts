/**
 * The value model shared by the AMF0 and AMF3 codecs.
 *
 * Plain JavaScript values wherever the meaning is unambiguous:
 *
 * | JS value                         | AMF0                       | AMF3                                   |
 * |----------------------------------|----------------------------|----------------------------------------|
 * | number                           | number                     | integer if a signed 29-bit integer (not -0), else double |
 * | boolean, null, undefined         | boolean, null, undefined   | true/false, null, undefined            |
 * | string                           | string, or long string when > 65535 UTF-8 bytes | string (reference table) |
 * | Date                             | date (timezone 0)          | date                                   |
 * | Array                            | strict array               | array with no associative part         |
 * | plain object `{}`                | anonymous object           | object with anonymous dynamic traits, no sealed members |
 * | Uint8Array                       | (AVM+ switch to AMF3)      | ByteArray                              |
 * | Map                              | (AVM+ switch to AMF3)      | Dictionary, weak keys false            |
 *
 * and small classes for the rest, so that decode(encode(v)) gives back the same kind of value:
 * AmfTypedObject, AmfEcmaArray, AmfMixedArray, AmfXmlDocument, AmfXml, AmfVector, AmfDictionary,
 * AmfDate (an AMF0 date with a non-zero timezone field) and Amf3Value (an explicit AVM+ switch).
 *
 * Byte-exact round trips (encode(decode(bytes)) === bytes) hold for canonical encodings. They do
 * not hold for: an AMF0 long string shorter than 65536 bytes; AMF3 doubles with integral values
 * in the 29-bit range (they come back as integers); an AMF0 boolean byte other than 0/1;
 * AMF3 references the original encoder chose not to use; ECMA arrays whose declared count
 * disagrees with their members (the count is kept, see AmfEcmaArray).
 */

/** An anonymous object: AMF0 object marker 0x03, AMF3 object with anonymous dynamic traits. */
export interface AmfObject {
  [key: string]: AmfValue;
}

export type AmfValue =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Uint8Array
  | AmfValue[]
  | AmfObject
  | AmfTypedObject
  | AmfEcmaArray
  | AmfMixedArray
  | AmfXmlDocument
  | AmfXml
  | AmfVector
  | Map<AmfValue, AmfValue>
  | Amf3Value;

/**
 * An object with a class name (AMF0 typed object 0x10) or with non-default AMF3 traits.
 * `sealedMembers` lists the AMF3 sealed member names in trait order; `dynamic` says whether
 * members beyond those may follow. AMF0 carries neither: AMF0 typed objects decode with every
 * member sealed and `dynamic` false, which is also the default for new instances.
 * An AMF3 object with class name "" but sealed members, or not dynamic, decodes to this class
 * (className "") so that its traits survive re-encoding.
 */
export class AmfTypedObject {
  className: string;
  properties: AmfObject;
  sealedMembers: string[];
  dynamic: boolean;
  constructor(
    className: string,
    properties: AmfObject = {},
    traits: { sealedMembers?: string[]; dynamic?: boolean } = {},
  ) {
    this.className = className;
    this.properties = properties;
    this.sealedMembers = traits.sealedMembers ?? Object.keys(properties);
    this.dynamic = traits.dynamic ?? false;
  }
}

/**
 * AMF0 ECMA array (0x08): string keys to values. `declaredCount` is the associative count field
 * as received (encoders write it when set, otherwise the number of keys). Flash and FMS often
 * send 0 there, so it is informational only. In AMF3 it is written as an array whose members
 * are all in the associative part.
 */
export class AmfEcmaArray {
  properties: AmfObject;
  declaredCount: number | undefined;
  constructor(properties: AmfObject = {}, declaredCount?: number) {
    this.properties = properties;
    this.declaredCount = declaredCount;
  }
}

/**
 * AMF3 array with a non-empty associative part (AMF3 specification section 3.11). Arrays with
 * only a dense part decode to plain JS arrays. AMF0 has no such type: the AMF0 encoder writes
 * it through the AVM+ switch.
 */
export class AmfMixedArray {
  dense: AmfValue[];
  associative: AmfObject;
  constructor(dense: AmfValue[] = [], associative: AmfObject = {}) {
    this.dense = dense;
    this.associative = associative;
  }
}

/** Legacy flash.xml.XMLDocument text: AMF0 0x0f, AMF3 0x07. */
export class AmfXmlDocument {
  readonly xml: string;
  constructor(xml: string) {
    this.xml = xml;
  }
}

/** E4X XML text: AMF3 0x0b. AMF0 has no such type: the AMF0 encoder uses the AVM+ switch. */
export class AmfXml {
  readonly xml: string;
  constructor(xml: string) {
    this.xml = xml;
  }
}

export type AmfVectorKind = 'int' | 'uint' | 'double' | 'object';

/**
 * AMF3 Vector.<int>, Vector.<uint>, Vector.<Number> or Vector.<T> (markers 0x0d-0x10).
 * `typeName` is the element class for object vectors ("" means `*`, the any type).
 * `fixed` is the vector's fixed-length flag.
 */
export class AmfVector {
  kind: AmfVectorKind;
  items: AmfValue[];
  fixed: boolean;
  typeName: string;
  constructor(kind: AmfVectorKind, items: AmfValue[] = [], fixed = false, typeName = '') {
    this.kind = kind;
    this.items = items;
    this.fixed = fixed;
    this.typeName = typeName;
  }
}

/**
 * AMF3 flash.utils.Dictionary (0x11). Keys of any type; object keys by identity. A plain Map is
 * encoded as a Dictionary with `weakKeys` false.
 */
export class AmfDictionary extends Map<AmfValue, AmfValue> {
  weakKeys: boolean;
  constructor(entries?: Iterable<readonly [AmfValue, AmfValue]> | null, weakKeys = false) {
    super(entries ?? undefined);
    this.weakKeys = weakKeys;
  }
}

/**
 * An AMF0 date whose timezone field (a signed 16-bit count of minutes, reserved by the AMF0
 * specification section 2.13 and normally 0) was not 0. Dates with timezone 0 decode to Date.
 */
export class AmfDate extends Date {
  timezone: number;
  constructor(time: number, timezone = 0) {
    super(time);
    this.timezone = timezone;
  }
}

/**
 * An explicit AVM+ switch (AMF0 marker 0x11) around one value. The AMF0 encoder writes `value`
 * as AMF3 after the marker; the AMF0 decoder produces this wrapper only when asked to
 * (`markAvmPlus`), otherwise it returns the AMF3 value in place.
 */
export class Amf3Value {
  value: AmfValue;
  constructor(value: AmfValue) {
    this.value = value;
  }
}

/** True for `{}`-style objects (prototype Object.prototype or null), which encode as anonymous objects. */
export function isPlainObject(v: object): v is AmfObject {
  const p: unknown = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/**
 * Sets a decoded member. Uses defineProperty for "__proto__" so that a member of that name stays
 * an own data property instead of replacing the object's prototype.
 */
export function setMember(target: AmfObject, key: string, value: AmfValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
