import { ByteWriter } from '../writer.js';
import { Amf3Writer } from './amf3-encoder.js';
import { AmfError, AmfErrorCode } from './errors.js';
import { DEFAULT_AMF_ENCODER_LIMITS, type AmfEncoderLimits } from './limits.js';
import { Amf0Marker } from './markers.js';
import {
  Amf3Value,
  AmfDate,
  AmfEcmaArray,
  AmfMixedArray,
  AmfTypedObject,
  AmfVector,
  AmfXml,
  AmfXmlDocument,
  isPlainObject,
  type AmfObject,
  type AmfValue,
} from './types.js';
import { utf8Length, writeUtf8 } from './utf8.js';

function unencodable(message: string): never {
  throw new AmfError(AmfErrorCode.Unencodable, message);
}

/** Values AMF0 cannot carry; the encoder writes them as AMF3 after the AVM+ marker. */
function needsAvmPlus(v: object): boolean {
  return (
    v instanceof Uint8Array ||
    v instanceof AmfXml ||
    v instanceof AmfVector ||
    v instanceof Map ||
    v instanceof AmfMixedArray
  );
}

/**
 * Writes AMF0 values (AMF0 specification section 2). Objects, typed objects, ECMA arrays and
 * strict arrays already written in the current table scope become references (0x07), so cyclic
 * graphs stay finite. AMF3-only values and Amf3Value wrappers go through the AVM+ switch with
 * fresh AMF3 tables per switch, matching Amf0Decoder's default table scope.
 */
export class Amf0Writer {
  private readonly w: ByteWriter;
  private readonly limits: AmfEncoderLimits;
  private amf3: Amf3Writer | undefined;
  private refs = new Map<object, number>();

  constructor(w: ByteWriter, limits: AmfEncoderLimits) {
    this.w = w;
    this.limits = limits;
  }

  resetTables(): void {
    if (this.refs.size) this.refs = new Map();
  }

  /** A member name or class name: U16 length then UTF-8 (no marker). */
  private writeShortUtf8(s: string, what: string): void {
    const n = utf8Length(s);
    if (n > 0xffff) unencodable(`${what} of ${n} bytes exceeds 65535`);
    this.w.u16(n);
    writeUtf8(this.w, s, n);
  }

  writeAvmPlus(v: AmfValue, depth: number): void {
    this.w.u8(Amf0Marker.AvmPlus);
    // Created on first use: most AMF0 messages never switch.
    this.amf3 ??= new Amf3Writer(this.w, this.limits);
    this.amf3.resetTables();
    this.amf3.writeValue(v, depth);
  }

  writeValue(v: AmfValue, depth: number): void {
    const w = this.w;
    switch (typeof v) {
      case 'number':
        w.u8(Amf0Marker.Number).f64(v);
        return;
      case 'boolean':
        w.u8(Amf0Marker.Boolean).u8(v ? 1 : 0);
        return;
      case 'string': {
        const n = utf8Length(v);
        if (n <= 0xffff) w.u8(Amf0Marker.String).u16(n);
        else if (n <= 0xffffffff) w.u8(Amf0Marker.LongString).u32(n);
        else unencodable(`string of ${n} bytes`);
        writeUtf8(w, v, n);
        return;
      }
      case 'undefined':
        w.u8(Amf0Marker.Undefined);
        return;
      case 'object':
        if (v === null) {
          w.u8(Amf0Marker.Null);
          return;
        }
        this.writeObjectValue(v, depth);
        return;
      default:
        unencodable(`cannot encode a ${typeof v} in AMF0`);
    }
  }

  private writeObjectValue(v: object, depth: number): void {
    const w = this.w;
    if (v instanceof Amf3Value) return this.writeAvmPlus(v.value, depth);
    if (v instanceof Date) {
      w.u8(Amf0Marker.Date).f64(v.getTime()).u16((v instanceof AmfDate ? v.timezone : 0) & 0xffff);
      return;
    }
    if (v instanceof AmfXmlDocument) {
      const n = utf8Length(v.xml);
      if (n > 0xffffffff) unencodable(`XML of ${n} bytes`);
      w.u8(Amf0Marker.XmlDocument).u32(n);
      writeUtf8(w, v.xml, n);
      return;
    }
    if (needsAvmPlus(v)) return this.writeAvmPlus(v as AmfValue, depth);
    if (depth + 1 > this.limits.maxDepth) throw new AmfError(AmfErrorCode.Limit, `nesting deeper than ${this.limits.maxDepth}`);

    const ref = this.refs.get(v);
    if (ref !== undefined) {
      if (ref > 0xffff) throw new AmfError(AmfErrorCode.Limit, `reference index ${ref} exceeds 65535`);
      w.u8(Amf0Marker.Reference).u16(ref);
      return;
    }
    const isArray = Array.isArray(v);
    if (!isArray && !(v instanceof AmfEcmaArray) && !(v instanceof AmfTypedObject) && !isPlainObject(v)) {
      if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
        unencodable(`cannot encode ${v.constructor.name} in AMF0 (use Uint8Array for ByteArray or AmfVector)`);
      }
      unencodable(`cannot encode an instance of ${v.constructor?.name ?? 'an unknown class'} in AMF0`);
    }
    this.refs.set(v, this.refs.size);
    if (isArray) {
      const arr = v as AmfValue[];
      w.u8(Amf0Marker.StrictArray).u32(arr.length);
      for (let i = 0; i < arr.length; i++) this.writeValue(arr[i], depth + 1);
      return;
    }
    if (v instanceof AmfEcmaArray) {
      const keys = Object.keys(v.properties);
      w.u8(Amf0Marker.EcmaArray).u32(v.declaredCount ?? keys.length);
      this.writeMembers(v.properties, keys, depth + 1);
      return;
    }
    if (v instanceof AmfTypedObject && v.className !== '') {
      w.u8(Amf0Marker.TypedObject);
      this.writeShortUtf8(v.className, 'class name');
      this.writeMembers(v.properties, memberOrder(v), depth + 1);
      return;
    }
    const props = v instanceof AmfTypedObject ? v.properties : (v as AmfObject);
    w.u8(Amf0Marker.Object);
    this.writeMembers(props, v instanceof AmfTypedObject ? memberOrder(v) : Object.keys(props), depth + 1);
  }

  private writeMembers(props: AmfObject, keys: readonly string[], depth: number): void {
    for (const k of keys) {
      if (k === '') unencodable('a member named "" cannot be encoded in AMF0 (it is the object end)');
      this.writeShortUtf8(k, 'member name');
      this.writeValue(props[k], depth);
    }
    this.w.u16(0).u8(Amf0Marker.ObjectEnd);
  }
}

/** Sealed members first in trait order, then the rest, as AMF3 would write them. */
function memberOrder(o: AmfTypedObject): string[] {
  if (o.sealedMembers.length === 0) return Object.keys(o.properties);
  const seen = new Set(o.sealedMembers);
  return [...o.sealedMembers.filter((k) => k in o.properties), ...Object.keys(o.properties).filter((k) => !seen.has(k))];
}

/**
 * AMF0 encoder. Each top-level value gets a fresh reference table (the counterpart of
 * Amf0Decoder's default table scope). Instances hold no state between calls.
 */
export class Amf0Encoder {
  readonly limits: AmfEncoderLimits;

  constructor(limits?: Partial<AmfEncoderLimits>) {
    this.limits = { ...DEFAULT_AMF_ENCODER_LIMITS, ...limits };
  }

  encode(value: AmfValue): Uint8Array {
    const w = new ByteWriter();
    this.write(w, value);
    return w.written().slice();
  }

  encodeAll(values: readonly AmfValue[]): Uint8Array {
    const w = new ByteWriter();
    this.writeAll(w, values);
    return w.written().slice();
  }

  write(w: ByteWriter, value: AmfValue): void {
    new Amf0Writer(w, this.limits).writeValue(value, 0);
  }

  writeAll(w: ByteWriter, values: readonly AmfValue[]): void {
    const writer = new Amf0Writer(w, this.limits);
    for (const v of values) {
      writer.resetTables();
      writer.writeValue(v, 0);
    }
  }
}
