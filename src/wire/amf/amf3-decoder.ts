import { AmfDecoder } from './decoder.js';
import { AmfError, AmfErrorCode } from './errors.js';
import type { AmfInput } from './input.js';
import { resolveLimits, type AmfDecodeOptions } from './limits.js';
import { Amf3Marker } from './markers.js';
import {
  AmfDictionary,
  AmfMixedArray,
  AmfTypedObject,
  AmfVector,
  AmfXml,
  AmfXmlDocument,
  setMember,
  type AmfObject,
  type AmfValue,
} from './types.js';

/** AMF3 traits (AMF3 specification section 3.12), kept in the traits reference table. */
interface Traits {
  className: string;
  sealed: string[];
  dynamic: boolean;
  /** Anonymous, dynamic and no sealed members: such objects decode to plain JS objects. */
  plain: boolean;
}

/**
 * Reads AMF3 values from an AmfInput, with the three AMF3 reference tables (strings, objects,
 * traits; AMF3 specification section 2.2). The tables live until `resetTables()`: the public
 * decoder resets them for every top-level value, the AMF0 decoder at every AVM+ switch.
 */
export class Amf3Reader {
  readonly in: AmfInput;
  private strings: string[] = [];
  private objects: AmfValue[] = [];
  /** Per entry of `objects`: a container whose items are still being read (a reference to it is a cycle). */
  private open: boolean[] = [];
  private traits: Traits[] = [];

  constructor(input: AmfInput) {
    this.in = input;
  }

  resetTables(): void {
    if (this.strings.length) this.strings = [];
    if (this.objects.length) {
      this.objects = [];
      this.open = [];
    }
    if (this.traits.length) this.traits = [];
  }

  /** U29 (AMF3 specification section 1.3.1): 1-3 bytes of 7 bits, then a 4th byte of 8 bits. */
  u29(): number {
    const inp = this.in;
    let b = inp.u8();
    if (b < 0x80) return b;
    let v = (b & 0x7f) << 7;
    b = inp.u8();
    if (b < 0x80) return v | b;
    v = (v | (b & 0x7f)) << 7;
    b = inp.u8();
    if (b < 0x80) return v | b;
    v = (v | (b & 0x7f)) << 8;
    return (v | inp.u8()) >>> 0;
  }

  /**
   * Adds to the object table; returns the index. `container`: open until `close(index)`, for
   * objects, arrays, object vectors and dictionaries (their items are read after registration,
   * AMF3 specification section 2.2, so a reference from inside one to itself is a cycle).
   */
  private addObject(v: AmfValue, container = false): number {
    if (this.objects.length >= this.in.limits.maxReferences) {
      this.in.fail(AmfErrorCode.Limit, `object reference table exceeds ${this.in.limits.maxReferences}`);
    }
    this.open.push(container);
    return this.objects.push(v) - 1;
  }

  private close(index: number): void {
    this.open[index] = false;
  }

  private objectRef(index: number, at: number): AmfValue {
    if (index >= this.objects.length) {
      this.in.fail(AmfErrorCode.BadReference, `object reference ${index} of ${this.objects.length}`, at);
    }
    this.in.checkCycle(this.open[index]!, `object reference ${index}`, at);
    return this.objects[index];
  }

  /** UTF-8-vr: a string or a string reference. The empty string is never put in the table. */
  readString(): string {
    const at = this.in.pos;
    const h = this.u29();
    if ((h & 1) === 0) {
      const i = h >>> 1;
      if (i >= this.strings.length) {
        this.in.fail(AmfErrorCode.BadReference, `string reference ${i} of ${this.strings.length}`, at);
      }
      return this.strings[i]!;
    }
    const n = h >>> 1;
    if (n === 0) return '';
    const s = this.in.utf8(n);
    if (this.strings.length >= this.in.limits.maxReferences) {
      this.in.fail(AmfErrorCode.Limit, `string reference table exceeds ${this.in.limits.maxReferences}`, at);
    }
    this.strings.push(s);
    return s;
  }

  readValue(depth: number): AmfValue {
    const inp = this.in;
    inp.countValue();
    const at = inp.pos;
    const marker = inp.u8();
    switch (marker) {
      case Amf3Marker.Undefined:
        return undefined;
      case Amf3Marker.Null:
        return null;
      case Amf3Marker.False:
        return false;
      case Amf3Marker.True:
        return true;
      case Amf3Marker.Integer: {
        const v = this.u29();
        // Sign-extend the 29-bit two's complement value (section 3.6).
        return v & 0x10000000 ? v - 0x20000000 : v;
      }
      case Amf3Marker.Double:
        return inp.f64();
      case Amf3Marker.String:
        return this.readString();
      case Amf3Marker.XmlDocument:
      case Amf3Marker.Xml:
        return this.readXml(marker === Amf3Marker.Xml);
      case Amf3Marker.Date:
        return this.readDate();
      case Amf3Marker.Array:
        return this.readArray(depth + 1);
      case Amf3Marker.Object:
        return this.readObject(depth + 1);
      case Amf3Marker.ByteArray:
        return this.readByteArray();
      case Amf3Marker.VectorInt:
      case Amf3Marker.VectorUint:
      case Amf3Marker.VectorDouble:
      case Amf3Marker.VectorObject:
        return this.readVector(marker, depth + 1);
      case Amf3Marker.Dictionary:
        return this.readDictionary(depth + 1);
      default:
        return inp.fail(AmfErrorCode.UnknownMarker, `unknown AMF3 marker 0x${marker.toString(16)}`, at);
    }
  }

  private readXml(e4x: boolean): AmfValue {
    const at = this.in.pos;
    const h = this.u29();
    if ((h & 1) === 0) return this.objectRef(h >>> 1, at);
    const v = e4x ? new AmfXml(this.in.utf8(h >>> 1)) : new AmfXmlDocument(this.in.utf8(h >>> 1));
    this.addObject(v);
    return v;
  }

  private readDate(): AmfValue {
    const at = this.in.pos;
    const h = this.u29();
    if ((h & 1) === 0) return this.objectRef(h >>> 1, at);
    // The remaining U29D bits are not significant (section 3.10).
    const v = new Date(this.in.f64());
    this.addObject(v);
    return v;
  }

  private readByteArray(): AmfValue {
    const inp = this.in;
    const at = inp.pos;
    const h = this.u29();
    if ((h & 1) === 0) return this.objectRef(h >>> 1, at);
    const n = h >>> 1;
    if (n > inp.limits.maxByteArrayLength) {
      inp.fail(AmfErrorCode.Limit, `ByteArray of ${n} bytes exceeds ${inp.limits.maxByteArrayLength}`, at);
    }
    const v = inp.copy(n);
    this.addObject(v);
    return v;
  }

  /** Array (section 3.11): dense count, associative pairs up to the empty key, dense values. */
  private readArray(depth: number): AmfValue {
    const inp = this.in;
    inp.checkDepth(depth);
    const at = inp.pos;
    const h = this.u29();
    if ((h & 1) === 0) return this.objectRef(h >>> 1, at);
    const denseCount = h >>> 1;
    inp.checkCount(denseCount, 1, 'array');
    // Only the key string table is touched before the container exists, so registering it
    // after the first key keeps the object table order of the specification.
    let key = this.readString();
    if (key === '') {
      const arr: AmfValue[] = [];
      const r = this.addObject(arr, true);
      for (let i = 0; i < denseCount; i++) arr.push(this.readValue(depth));
      this.close(r);
      return arr;
    }
    const mixed = new AmfMixedArray([], {});
    const r = this.addObject(mixed, true);
    let members = 0;
    while (key !== '') {
      if (++members > inp.limits.maxContainerLength) {
        inp.fail(AmfErrorCode.Limit, `array associative part exceeds ${inp.limits.maxContainerLength}`);
      }
      setMember(mixed.associative, key, this.readValue(depth));
      key = this.readString();
    }
    inp.checkCount(denseCount, 1, 'array');
    for (let i = 0; i < denseCount; i++) mixed.dense.push(this.readValue(depth));
    this.close(r);
    return mixed;
  }

  /** Object (section 3.12): U29O with object reference, traits reference or inline traits. */
  private readObject(depth: number): AmfValue {
    const inp = this.in;
    inp.checkDepth(depth);
    const at = inp.pos;
    const h = this.u29();
    if ((h & 1) === 0) return this.objectRef(h >>> 1, at);
    let traits: Traits;
    if ((h & 2) === 0) {
      const i = h >>> 2;
      if (i >= this.traits.length) {
        inp.fail(AmfErrorCode.BadReference, `traits reference ${i} of ${this.traits.length}`, at);
      }
      traits = this.traits[i]!;
    } else if ((h & 4) !== 0) {
      // U29O-traits-ext: the body is written by the class's own writeExternal (section 3.12),
      // a format only that class knows, so nothing after this point can be read.
      const className = this.readString();
      return this.failExternalizable(className, at);
    } else {
      const dynamic = (h & 8) !== 0;
      const sealedCount = h >>> 4;
      const className = this.readString();
      inp.checkCount(sealedCount, 1, 'sealed member list');
      const sealed: string[] = [];
      for (let i = 0; i < sealedCount; i++) sealed.push(this.readString());
      traits = { className, sealed, dynamic, plain: className === '' && dynamic && sealedCount === 0 };
      if (this.traits.length >= inp.limits.maxReferences) {
        inp.fail(AmfErrorCode.Limit, `traits reference table exceeds ${inp.limits.maxReferences}`, at);
      }
      this.traits.push(traits);
    }

    let props: AmfObject;
    let result: AmfValue;
    if (traits.plain) {
      props = {};
      result = props;
    } else {
      props = {};
      // A copy per instance: callers may edit one object's traits without touching the others.
      result = new AmfTypedObject(traits.className, props, { sealedMembers: traits.sealed.slice(), dynamic: traits.dynamic });
    }
    const r = this.addObject(result, true);
    const sealed = traits.sealed;
    inp.checkCount(sealed.length, 1, 'sealed members');
    for (let i = 0; i < sealed.length; i++) setMember(props, sealed[i]!, this.readValue(depth));
    if (traits.dynamic) {
      let members = sealed.length;
      for (let key = this.readString(); key !== ''; key = this.readString()) {
        if (++members > inp.limits.maxContainerLength) {
          inp.fail(AmfErrorCode.Limit, `object with more than ${inp.limits.maxContainerLength} members`);
        }
        setMember(props, key, this.readValue(depth));
      }
    }
    this.close(r);
    return result;
  }

  private failExternalizable(className: string, at: number): never {
    throw new AmfError(
      AmfErrorCode.Externalizable,
      `AMF3 object of externalizable class "${className}": its body format is private to the class`,
      at,
      className,
    );
  }

  /** Vector (section 3.15). Number vectors have fixed-size items, so their count is checked exactly. */
  private readVector(marker: number, depth: number): AmfValue {
    const inp = this.in;
    inp.checkDepth(depth);
    const at = inp.pos;
    const h = this.u29();
    if ((h & 1) === 0) return this.objectRef(h >>> 1, at);
    const count = h >>> 1;
    const fixed = inp.u8() !== 0;
    const items: AmfValue[] = [];
    if (marker === Amf3Marker.VectorObject) {
      const typeName = this.readString();
      inp.checkCount(count, 1, 'vector');
      const v = new AmfVector('object', items, fixed, typeName);
      const r = this.addObject(v, true);
      for (let i = 0; i < count; i++) items.push(this.readValue(depth));
      this.close(r);
      return v;
    }
    const size = marker === Amf3Marker.VectorDouble ? 8 : 4;
    inp.checkCount(count, size, 'vector');
    const kind = marker === Amf3Marker.VectorInt ? 'int' : marker === Amf3Marker.VectorUint ? 'uint' : 'double';
    for (let i = 0; i < count; i++) items.push(kind === 'int' ? inp.i32() : kind === 'uint' ? inp.u32() : inp.f64());
    inp.values += count;
    if (inp.values > inp.limits.maxValues) inp.fail(AmfErrorCode.Limit, `more than ${inp.limits.maxValues} values`);
    const v = new AmfVector(kind, items, fixed, '');
    this.addObject(v);
    return v;
  }

  /** Dictionary (section 3.16): count, weak-keys flag, then key/value pairs of any types. */
  private readDictionary(depth: number): AmfValue {
    const inp = this.in;
    inp.checkDepth(depth);
    const at = inp.pos;
    const h = this.u29();
    if ((h & 1) === 0) return this.objectRef(h >>> 1, at);
    const count = h >>> 1;
    const weak = inp.u8() !== 0;
    inp.checkCount(count, 2, 'dictionary', 2);
    const d = new AmfDictionary(null, weak);
    const r = this.addObject(d, true);
    for (let i = 0; i < count; i++) {
      const k = this.readValue(depth);
      d.set(k, this.readValue(depth));
    }
    this.close(r);
    return d;
  }
}

/**
 * AMF3 decoder. Each top-level value gets fresh reference tables, as for one
 * ByteArray.readObject() call. Instances hold no state between calls and may be reused.
 * Options: limits (AmfLimits) and `allowCycles` (default false: cyclic references fail with
 * ERR_AMF_CYCLE).
 */
export class Amf3Decoder extends AmfDecoder {
  protected readonly reader: Amf3Reader;

  constructor(options: AmfDecodeOptions = {}) {
    const { allowCycles = false, ...limits } = options;
    super(resolveLimits(limits), true, allowCycles);
    this.reader = new Amf3Reader(this.input);
  }
}
