import { ByteWriter } from '../writer.js';
import { AmfError, AmfErrorCode } from './errors.js';
import { DEFAULT_AMF_ENCODER_LIMITS, type AmfEncoderLimits } from './limits.js';
import { AMF3_INT_MAX, AMF3_INT_MIN, Amf3Marker, U29_MAX } from './markers.js';
import {
  Amf3Value,
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

/** True when `v` is written as an AMF3 integer: a signed 29-bit integer other than -0. */
export function isAmf3Integer(v: number): boolean {
  return Number.isInteger(v) && v >= AMF3_INT_MIN && v <= AMF3_INT_MAX && !Object.is(v, -0);
}

function unencodable(message: string): never {
  throw new AmfError(AmfErrorCode.Unencodable, message);
}

/**
 * Writes AMF3 values to a ByteWriter with the three reference tables (AMF3 specification
 * section 2.2): strings by value, objects by identity, traits by (class name, dynamic flag,
 * sealed member names). Anything already written in the current table scope is written as a
 * reference, which is also what keeps cyclic graphs finite.
 */
export class Amf3Writer {
  w: ByteWriter;
  private readonly limits: AmfEncoderLimits;
  private strings = new Map<string, number>();
  private objects = new Map<object, number>();
  private traits = new Map<string, number>();

  constructor(w: ByteWriter, limits: AmfEncoderLimits) {
    this.w = w;
    this.limits = limits;
  }

  resetTables(): void {
    if (this.strings.size) this.strings = new Map();
    if (this.objects.size) this.objects = new Map();
    if (this.traits.size) this.traits = new Map();
  }

  u29(v: number): void {
    const w = this.w;
    if (v < 0x80) {
      w.u8(v);
    } else if (v < 0x4000) {
      w.u8((v >>> 7) | 0x80).u8(v & 0x7f);
    } else if (v < 0x200000) {
      w.u8((v >>> 14) | 0x80).u8(((v >>> 7) & 0x7f) | 0x80).u8(v & 0x7f);
    } else if (v <= U29_MAX) {
      w.u8((v >>> 22) | 0x80).u8(((v >>> 15) & 0x7f) | 0x80).u8(((v >>> 8) & 0x7f) | 0x80).u8(v & 0xff);
    } else {
      throw new AmfError(AmfErrorCode.Limit, `${v} does not fit a U29`);
    }
  }

  /** UTF-8-vr: "" inline (never referenced), a known string as a reference, else inline and remembered. */
  writeString(s: string): void {
    if (s === '') {
      this.w.u8(0x01);
      return;
    }
    const ref = this.strings.get(s);
    if (ref !== undefined) {
      this.u29(ref << 1);
      return;
    }
    const n = utf8Length(s);
    if (n > U29_MAX >>> 1) throw new AmfError(AmfErrorCode.Limit, `string of ${n} bytes is too long for AMF3`);
    this.u29((n << 1) | 1);
    writeUtf8(this.w, s, n);
    this.strings.set(s, this.strings.size);
  }

  /** Writes the object reference and returns true if `o` was already written; else registers it. */
  private reference(o: object): boolean {
    const ref = this.objects.get(o);
    if (ref !== undefined) {
      this.u29(ref << 1);
      return true;
    }
    this.objects.set(o, this.objects.size);
    return false;
  }

  private checkDepth(depth: number): void {
    if (depth > this.limits.maxDepth) throw new AmfError(AmfErrorCode.Limit, `nesting deeper than ${this.limits.maxDepth}`);
  }

  writeValue(v: AmfValue, depth: number): void {
    const w = this.w;
    switch (typeof v) {
      case 'undefined':
        w.u8(Amf3Marker.Undefined);
        return;
      case 'boolean':
        w.u8(v ? Amf3Marker.True : Amf3Marker.False);
        return;
      case 'number':
        if (isAmf3Integer(v)) {
          w.u8(Amf3Marker.Integer);
          this.u29(v & U29_MAX);
        } else {
          w.u8(Amf3Marker.Double).f64(v);
        }
        return;
      case 'string':
        w.u8(Amf3Marker.String);
        this.writeString(v);
        return;
      case 'object':
        if (v === null) {
          w.u8(Amf3Marker.Null);
          return;
        }
        this.writeObjectValue(v, depth);
        return;
      default:
        unencodable(`cannot encode a ${typeof v} in AMF3`);
    }
  }

  private writeObjectValue(v: object, depth: number): void {
    const w = this.w;
    if (v instanceof Amf3Value) return this.writeValue(v.value, depth);
    if (v instanceof Date) {
      w.u8(Amf3Marker.Date);
      if (!this.reference(v)) w.u8(0x01).f64(v.getTime());
      return;
    }
    if (v instanceof Uint8Array) {
      w.u8(Amf3Marker.ByteArray);
      if (!this.reference(v)) {
        if (v.length > U29_MAX >>> 1) throw new AmfError(AmfErrorCode.Limit, `ByteArray of ${v.length} bytes is too long`);
        this.u29((v.length << 1) | 1);
        w.bytes(v);
      }
      return;
    }
    if (v instanceof AmfXmlDocument || v instanceof AmfXml) {
      w.u8(v instanceof AmfXml ? Amf3Marker.Xml : Amf3Marker.XmlDocument);
      if (!this.reference(v)) {
        const n = utf8Length(v.xml);
        if (n > U29_MAX >>> 1) throw new AmfError(AmfErrorCode.Limit, `XML of ${n} bytes is too long for AMF3`);
        this.u29((n << 1) | 1);
        writeUtf8(w, v.xml, n);
      }
      return;
    }
    this.checkDepth(depth + 1);
    if (Array.isArray(v)) {
      w.u8(Amf3Marker.Array);
      if (!this.reference(v)) this.writeArrayBody(v as AmfValue[], null, depth + 1);
      return;
    }
    if (v instanceof AmfMixedArray) {
      w.u8(Amf3Marker.Array);
      if (!this.reference(v)) this.writeArrayBody(v.dense, v.associative, depth + 1);
      return;
    }
    if (v instanceof AmfEcmaArray) {
      w.u8(Amf3Marker.Array);
      if (!this.reference(v)) this.writeArrayBody([], v.properties, depth + 1);
      return;
    }
    if (v instanceof AmfVector) return this.writeVector(v, depth + 1);
    if (v instanceof Map) return this.writeDictionary(v as Map<AmfValue, AmfValue>, depth + 1);
    if (v instanceof AmfTypedObject) {
      w.u8(Amf3Marker.Object);
      if (!this.reference(v)) this.writeObjectBody(v.className, v.sealedMembers, v.dynamic, v.properties, depth + 1);
      return;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
      unencodable(`cannot encode ${v.constructor.name} in AMF3 (use Uint8Array for ByteArray or AmfVector)`);
    }
    if (isPlainObject(v)) {
      w.u8(Amf3Marker.Object);
      if (!this.reference(v)) this.writeObjectBody('', EMPTY_NAMES, true, v, depth + 1);
      return;
    }
    unencodable(`cannot encode an instance of ${v.constructor?.name ?? 'an unknown class'} in AMF3`);
  }

  private writeArrayBody(dense: AmfValue[], associative: AmfObject | null, depth: number): void {
    if (dense.length > U29_MAX >>> 1) throw new AmfError(AmfErrorCode.Limit, `array of ${dense.length} items`);
    this.u29((dense.length << 1) | 1);
    if (associative) {
      for (const key of Object.keys(associative)) {
        if (key === '') unencodable('an array key "" cannot be encoded in AMF3 (it ends the associative part)');
        this.writeString(key);
        this.writeValue(associative[key], depth);
      }
    }
    this.w.u8(0x01);
    for (let i = 0; i < dense.length; i++) this.writeValue(dense[i], depth);
  }

  private writeObjectBody(className: string, sealed: readonly string[], dynamic: boolean, props: AmfObject, depth: number): void {
    const key = `${dynamic ? 'd' : 's'}${className}\u0000${sealed.join('\u0000')}`;
    const ref = this.traits.get(key);
    if (ref !== undefined) {
      // U29O-traits-ref: low bits 01, index above them.
      this.u29((ref << 2) | 0x01);
    } else {
      if (sealed.length > U29_MAX >>> 4) throw new AmfError(AmfErrorCode.Limit, `${sealed.length} sealed members`);
      // U29O-traits: inline object, inline traits, not externalizable, dynamic flag, sealed count.
      this.u29((sealed.length << 4) | (dynamic ? 0x08 : 0) | 0x03);
      this.writeString(className);
      for (const name of sealed) this.writeString(name);
      this.traits.set(key, this.traits.size);
    }
    for (const name of sealed) this.writeValue(props[name], depth);
    const keys = Object.keys(props);
    if (dynamic) {
      const isSealed = sealed.length ? new Set(sealed) : null;
      for (const k of keys) {
        if (isSealed?.has(k)) continue;
        if (k === '') unencodable('a dynamic member named "" cannot be encoded in AMF3 (it ends the member list)');
        this.writeString(k);
        this.writeValue(props[k], depth);
      }
      this.w.u8(0x01);
    } else if (keys.length > 0) {
      const extra = keys.filter((k) => !sealed.includes(k));
      if (extra.length) unencodable(`sealed object of class "${className}" has members outside its traits: ${extra.join(', ')}`);
    }
  }

  private writeVector(v: AmfVector, depth: number): void {
    const w = this.w;
    const marker =
      v.kind === 'int' ? Amf3Marker.VectorInt
      : v.kind === 'uint' ? Amf3Marker.VectorUint
      : v.kind === 'double' ? Amf3Marker.VectorDouble
      : v.kind === 'object' ? Amf3Marker.VectorObject
      : unencodable(`unknown vector kind ${String(v.kind)}`);
    w.u8(marker);
    if (this.reference(v)) return;
    const items = v.items;
    if (items.length > U29_MAX >>> 1) throw new AmfError(AmfErrorCode.Limit, `vector of ${items.length} items`);
    this.u29((items.length << 1) | 1);
    w.u8(v.fixed ? 1 : 0);
    if (v.kind === 'object') {
      this.writeString(v.typeName);
      for (let i = 0; i < items.length; i++) this.writeValue(items[i], depth);
      return;
    }
    for (let i = 0; i < items.length; i++) {
      const x = items[i];
      if (typeof x !== 'number') unencodable(`Vector.<${v.kind}> item ${i} is not a number`);
      if (v.kind === 'int') {
        if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) unencodable(`Vector.<int> item ${x} is not an int`);
        w.i32(x);
      } else if (v.kind === 'uint') {
        if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) unencodable(`Vector.<uint> item ${x} is not a uint`);
        w.u32(x);
      } else {
        w.f64(x);
      }
    }
  }

  private writeDictionary(d: Map<AmfValue, AmfValue>, depth: number): void {
    const w = this.w;
    w.u8(Amf3Marker.Dictionary);
    if (this.reference(d)) return;
    if (d.size > U29_MAX >>> 1) throw new AmfError(AmfErrorCode.Limit, `dictionary of ${d.size} entries`);
    this.u29((d.size << 1) | 1);
    const weak = (d as { weakKeys?: unknown }).weakKeys === true;
    w.u8(weak ? 1 : 0);
    for (const [k, val] of d) {
      this.writeValue(k, depth);
      this.writeValue(val, depth);
    }
  }
}

const EMPTY_NAMES: readonly string[] = [];

/**
 * AMF3 encoder. Each top-level value gets fresh reference tables (the counterpart of
 * Amf3Decoder). Instances hold no state between calls.
 */
export class Amf3Encoder {
  readonly limits: AmfEncoderLimits;

  constructor(limits?: Partial<AmfEncoderLimits>) {
    this.limits = { ...DEFAULT_AMF_ENCODER_LIMITS, ...limits };
  }

  /** One value as a new Uint8Array. */
  encode(value: AmfValue): Uint8Array {
    const w = new ByteWriter();
    this.write(w, value);
    return w.written().slice();
  }

  /** Values back to back, each with fresh tables. */
  encodeAll(values: readonly AmfValue[]): Uint8Array {
    const w = new ByteWriter();
    for (const v of values) this.write(w, v);
    return w.written().slice();
  }

  /** Appends one value to `w`. */
  write(w: ByteWriter, value: AmfValue): void {
    new Amf3Writer(w, this.limits).writeValue(value, 0);
  }
}
