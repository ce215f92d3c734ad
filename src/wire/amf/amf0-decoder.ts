import { Amf3Reader } from './amf3-decoder.js';
import { AmfDecoder } from './decoder.js';
import { AmfErrorCode } from './errors.js';
import type { AmfInput } from './input.js';
import { resolveLimits, type AmfDecodeOptions } from './limits.js';
import { Amf0Marker } from './markers.js';
import { Amf3Value, AmfDate, AmfEcmaArray, AmfTypedObject, AmfXmlDocument, setMember, type AmfObject, type AmfValue } from './types.js';

export interface Amf0DecoderOptions extends AmfDecodeOptions {
  /**
   * Wrap values that arrived through the AVM+ switch (0x11) in Amf3Value, so that re-encoding
   * reproduces the switch. Default false: the AMF3 value is returned in place, which is what
   * command handlers want (librtmfp sends publish names as `11 06 ...`, wire-reference E.2).
   */
  markAvmPlus?: boolean;
  /**
   * Scope of the reference tables. 'value' (default): every top-level value starts with an
   * empty AMF0 object table, and every AVM+ switch starts fresh AMF3 string, object and traits
   * tables, because each switch begins a new top-level AMF3 value (AMF0 specification
   * section 3.1 switches the encoding for one value; AMF3 specification section 2.2 scopes the
   * tables to one top-level value). 'message': one AMF0 table and one set of AMF3 tables for a
   * whole decodeAll call, for peers that share them across a message's values.
   */
  tableScope?: 'value' | 'message';
}

/**
 * Reads AMF0 values (AMF0 specification section 2) from an AmfInput. The object reference
 * table holds anonymous objects, typed objects, ECMA arrays and strict arrays in the order
 * their markers were read (section 2.9); an object is registered before its members are read,
 * so a reference to it from inside it is a cycle: refused (ERR_AMF_CYCLE) unless allowCycles,
 * when self references decode to the same JS object.
 */
class Amf0Reader {
  readonly in: AmfInput;
  readonly amf3: Amf3Reader;
  private refs: AmfValue[] = [];
  /** Per entry of `refs`: its members are still being read (a reference to it is a cycle). */
  private open: boolean[] = [];
  private readonly markAvmPlus: boolean;
  private readonly freshAmf3: boolean;

  constructor(input: AmfInput, markAvmPlus: boolean, freshAmf3: boolean) {
    this.in = input;
    this.amf3 = new Amf3Reader(input);
    this.markAvmPlus = markAvmPlus;
    this.freshAmf3 = freshAmf3;
  }

  resetTables(): void {
    if (this.refs.length) {
      this.refs = [];
      this.open = [];
    }
    this.amf3.resetTables();
  }

  /** Adds a container to the table, open until `close(index)`; returns its index. */
  private register(v: AmfValue): number {
    if (this.refs.length >= this.in.limits.maxReferences) {
      this.in.fail(AmfErrorCode.Limit, `reference table exceeds ${this.in.limits.maxReferences}`);
    }
    this.open.push(true);
    return this.refs.push(v) - 1;
  }

  readValue(depth: number): AmfValue {
    const inp = this.in;
    inp.countValue();
    const at = inp.pos;
    const marker = inp.u8();
    switch (marker) {
      case Amf0Marker.Number:
        return inp.f64();
      case Amf0Marker.Boolean:
        return inp.u8() !== 0;
      case Amf0Marker.String:
        return inp.utf8(inp.u16());
      case Amf0Marker.LongString:
        return inp.utf8(inp.u32());
      case Amf0Marker.Null:
        return null;
      case Amf0Marker.Undefined:
        return undefined;
      case Amf0Marker.Object: {
        inp.checkDepth(depth + 1);
        const o: AmfObject = {};
        const r = this.register(o);
        this.readMembers(o, depth + 1, -1);
        this.open[r] = false;
        return o;
      }
      case Amf0Marker.TypedObject: {
        inp.checkDepth(depth + 1);
        const className = inp.utf8(inp.u16());
        const props: AmfObject = {};
        const o = new AmfTypedObject(className, props, { sealedMembers: [], dynamic: false });
        const r = this.register(o);
        this.readMembers(props, depth + 1, -1);
        this.open[r] = false;
        // AMF0 has no traits: every member it carried is treated as sealed.
        o.sealedMembers = Object.keys(props);
        return o;
      }
      case Amf0Marker.EcmaArray: {
        inp.checkDepth(depth + 1);
        const declared = inp.u32();
        const a = new AmfEcmaArray({}, declared);
        const r = this.register(a);
        this.readMembers(a.properties, depth + 1, declared);
        this.open[r] = false;
        return a;
      }
      case Amf0Marker.StrictArray: {
        inp.checkDepth(depth + 1);
        const n = inp.u32();
        inp.checkCount(n, 1, 'strict array');
        const arr: AmfValue[] = [];
        const r = this.register(arr);
        for (let i = 0; i < n; i++) arr.push(this.readValue(depth + 1));
        this.open[r] = false;
        return arr;
      }
      case Amf0Marker.Reference: {
        const i = inp.u16();
        if (i >= this.refs.length) inp.fail(AmfErrorCode.BadReference, `reference ${i} of ${this.refs.length}`, at);
        inp.checkCycle(this.open[i]!, `reference ${i}`, at);
        return this.refs[i];
      }
      case Amf0Marker.Date: {
        const time = inp.f64();
        // Timezone: signed minutes, reserved and normally 0 (section 2.13). Kept when not 0.
        const tz = inp.i16();
        return tz === 0 ? new Date(time) : new AmfDate(time, tz);
      }
      case Amf0Marker.XmlDocument:
        return new AmfXmlDocument(inp.utf8(inp.u32()));
      case Amf0Marker.AvmPlus: {
        inp.checkDepth(depth + 1);
        if (this.freshAmf3) this.amf3.resetTables();
        const v = this.amf3.readValue(depth + 1);
        return this.markAvmPlus ? new Amf3Value(v) : v;
      }
      case Amf0Marker.MovieClip:
      case Amf0Marker.RecordSet:
      case Amf0Marker.Unsupported:
        return inp.fail(AmfErrorCode.Unsupported, `AMF0 marker 0x${marker.toString(16)} is reserved and not supported`, at);
      case Amf0Marker.ObjectEnd:
        return inp.fail(AmfErrorCode.Malformed, 'object end marker outside an object', at);
      default:
        return inp.fail(AmfErrorCode.UnknownMarker, `unknown AMF0 marker 0x${marker.toString(16)}`, at);
    }
  }

  /**
   * `UTF-8 key, value` pairs up to the object end (`00 00 09`, section 2.5). An empty key must
   * be followed by the end marker. For ECMA arrays (`declared` >= 0), input that ends right
   * after at least `declared` members is accepted as the end too, as some FLV writers omit it.
   */
  private readMembers(target: AmfObject, depth: number, declared: number): void {
    const inp = this.in;
    const max = inp.limits.maxContainerLength;
    let members = 0;
    for (;;) {
      if (declared >= 0 && inp.pos === inp.end && members >= declared) return;
      const at = inp.pos;
      const n = inp.u16();
      if (n === 0) {
        const m = inp.u8();
        if (m !== Amf0Marker.ObjectEnd) {
          inp.fail(AmfErrorCode.Malformed, `empty member name followed by 0x${m.toString(16)}, not the object end marker`, at);
        }
        return;
      }
      if (++members > max) inp.fail(AmfErrorCode.Limit, `object with more than ${max} members`, at);
      const key = inp.utf8(n);
      setMember(target, key, this.readValue(depth));
    }
  }
}

/**
 * AMF0 decoder with AVM+ (AMF3) switch support. Instances hold no state between calls and may
 * be reused; they are not re-entrant.
 */
export class Amf0Decoder extends AmfDecoder {
  protected readonly reader: Amf0Reader;

  constructor(options: Amf0DecoderOptions = {}) {
    const { markAvmPlus = false, tableScope = 'value', allowCycles = false, ...limits } = options;
    const perValue = tableScope === 'value';
    super(resolveLimits(limits), perValue, allowCycles);
    this.reader = new Amf0Reader(this.input, markAvmPlus, perValue);
  }
}
