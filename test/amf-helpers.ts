// Shared by the amf-* and flash-* tests: a deep equality that understands the AMF value model
// (class identity, Date time and AmfDate timezone, Map entries, -0 and NaN, shared references and
// cycles), a seeded PRNG, and random value generators for both encodings.
import {
  AmfDate,
  AmfDictionary,
  AmfEcmaArray,
  AmfMixedArray,
  AmfTypedObject,
  AmfVector,
  AmfXml,
  AmfXmlDocument,
  type AmfObject,
  type AmfValue,
} from '../src/wire/amf/index.js';
import { mulberry32 } from './support/prng.js';

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Structural equality. Objects are matched as a bijection, so `a` and `b` are equal only when
 * their reference structure (sharing, cycles) is the same too. Returns a path to the first
 * difference, or null when equal.
 */
export function amfDiff(a: unknown, b: unknown): string | null {
  const ab = new Map<object, object>();
  const ba = new Map<object, object>();
  function walk(x: unknown, y: unknown, path: string): string | null {
    if (typeof x !== typeof y) return `${path}: ${typeof x} vs ${typeof y}`;
    if (typeof x !== 'object' || x === null || y === null) {
      return Object.is(x, y) ? null : `${path}: ${String(x)} vs ${String(y)}`;
    }
    const xo = x as object;
    const yo = y as object;
    const seen = ab.get(xo);
    if (seen !== undefined || ba.has(yo)) {
      return seen === yo && ba.get(yo) === xo ? null : `${path}: reference structure differs`;
    }
    ab.set(xo, yo);
    ba.set(yo, xo);
    if (Object.getPrototypeOf(xo) !== Object.getPrototypeOf(yo)) {
      return `${path}: ${xo.constructor?.name} vs ${yo.constructor?.name}`;
    }
    if (xo instanceof Date) {
      if (!Object.is(xo.getTime(), (yo as Date).getTime())) return `${path}: date ${xo.getTime()} vs ${(yo as Date).getTime()}`;
      if (xo instanceof AmfDate && xo.timezone !== (yo as AmfDate).timezone) return `${path}: timezone`;
      return null;
    }
    if (xo instanceof Uint8Array) {
      const yb = yo as Uint8Array;
      return xo.length === yb.length && xo.every((v, i) => v === yb[i]) ? null : `${path}: bytes differ`;
    }
    if (xo instanceof Map) {
      const ym = yo as Map<unknown, unknown>;
      if (xo.size !== ym.size) return `${path}: map size ${xo.size} vs ${ym.size}`;
      if (xo instanceof AmfDictionary && xo.weakKeys !== (ym as AmfDictionary).weakKeys) return `${path}: weakKeys`;
      const xe = [...xo.entries()];
      const ye = [...ym.entries()];
      for (let i = 0; i < xe.length; i++) {
        const d = walk(xe[i]![0], ye[i]![0], `${path}.key[${i}]`) ?? walk(xe[i]![1], ye[i]![1], `${path}.value[${i}]`);
        if (d) return d;
      }
      return null;
    }
    if (Array.isArray(xo)) {
      const ya = yo as unknown[];
      if (xo.length !== ya.length) return `${path}: length ${xo.length} vs ${ya.length}`;
      for (let i = 0; i < xo.length; i++) {
        const d = walk(xo[i], ya[i], `${path}[${i}]`);
        if (d) return d;
      }
      return null;
    }
    const xk = Object.keys(xo);
    const yk = Object.keys(yo);
    if (xk.length !== yk.length) return `${path}: keys ${xk.join(',')} vs ${yk.join(',')}`;
    for (const k of xk) {
      if (!Object.prototype.hasOwnProperty.call(yo, k)) return `${path}: missing key ${k}`;
      const d = walk((xo as Record<string, unknown>)[k], (yo as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return walk(a, b, '$');
}

/** Sets a member as an own data property even when it is named "__proto__". */
export function put(o: AmfObject, k: string, v: AmfValue): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** mulberry32: small, fast, seeded. */
export const prng = mulberry32;

const NUMBERS = [0, 1, -1, 127, 128, 16383, 16384, 2097151, 2097152, 0x0fffffff, 0x10000000, -0x10000000, -0x10000001, 0x3fffffff, -0, 1.5, -2.25, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53];
const WORDS = ['', 'a', 'abc', 'level', 'code', 'description', 'héllo', '日本語', 'emoji 😀', '__proto__', 'constructor', 'x'.repeat(70), 'toString'];

export class ValueGenerator {
  readonly rnd: () => number;
  constructor(seed: number) {
    this.rnd = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  number(): number {
    const r = this.rnd();
    if (r < 0.4) return this.pick(NUMBERS);
    if (r < 0.7) return this.int(0x20000000) - 0x10000000;
    return (this.rnd() - 0.5) * 10 ** this.int(30);
  }
  string(): string {
    if (this.rnd() < 0.6) return this.pick(WORDS);
    let s = '';
    const n = this.int(12);
    for (let i = 0; i < n; i++) s += String.fromCodePoint(this.rnd() < 0.8 ? 0x20 + this.int(95) : 0xa0 + this.int(0x2000));
    return s;
  }
  key(): string {
    const k = this.string();
    return k === '' ? 'k' : k;
  }
  bytes(): Uint8Array {
    const b = new Uint8Array(this.int(20));
    for (let i = 0; i < b.length; i++) b[i] = this.int(256);
    return b;
  }
  date(): Date {
    return new Date(this.rnd() < 0.1 ? NaN : Math.floor((this.rnd() - 0.3) * 4e12));
  }

  /** An array of 0-4 items (added to `pool` before its items, so they can refer to it). */
  private array(pool: object[], item: () => AmfValue): AmfValue[] {
    const a: AmfValue[] = [];
    pool.push(a);
    const n = this.int(5);
    for (let i = 0; i < n; i++) a.push(item());
    return a;
  }

  /** An anonymous object of 0-4 members (added to `pool` before its members). */
  private object(pool: object[], member: () => AmfValue): AmfObject {
    const o: AmfObject = {};
    pool.push(o);
    const n = this.int(5);
    for (let i = 0; i < n; i++) put(o, this.key(), member());
    return o;
  }

  /**
   * A random AMF3 value. `pool` holds objects already created in this encoding scope
   * (including unfinished ancestors), so picking from it makes shared references and cycles.
   */
  amf3(depth: number, pool: object[]): AmfValue {
    const r = this.int(depth <= 0 ? 7 : 20);
    if (pool.length && this.rnd() < 0.08) return this.pick(pool) as AmfValue;
    switch (r) {
      case 0: return this.number();
      case 1: return this.string();
      case 2: return this.rnd() < 0.5;
      case 3: return this.pick([null, undefined]);
      case 4: { const d = this.date(); pool.push(d); return d; }
      case 5: { const b = this.bytes(); pool.push(b); return b; }
      case 6: { const x = this.rnd() < 0.5 ? new AmfXml(this.string()) : new AmfXmlDocument(this.string()); pool.push(x); return x; }
      case 7: case 8:
        return this.array(pool, () => this.amf3(depth - 1, pool));
      case 9: case 10:
        return this.object(pool, () => this.amf3(depth - 1, pool));
      case 11: case 12: {
        const dynamic = this.rnd() < 0.5;
        const sealed: string[] = [];
        const props: AmfObject = {};
        const className = this.rnd() < 0.8 ? this.pick(['Foo', 'com.example.Bar', 'flex.Thing']) : '';
        const t = new AmfTypedObject(className, props, { sealedMembers: sealed, dynamic: className === '' && !dynamic ? false : dynamic });
        // Anonymous + dynamic + no sealed would decode as a plain object; force a sealed member.
        const ns = this.int(3) + (className === '' && t.dynamic ? 1 : 0);
        for (let i = 0; i < ns; i++) {
          const k = this.pick(['x', 'y', 'z', 'name', 'id']);
          if (!sealed.includes(k)) sealed.push(k);
        }
        if (className === '' && t.dynamic && sealed.length === 0) sealed.push('x');
        pool.push(t);
        for (const k of sealed) props[k] = this.amf3(depth - 1, pool);
        if (t.dynamic) {
          const nd = this.int(3);
          for (let i = 0; i < nd; i++) {
            const k = this.key();
            if (!sealed.includes(k)) put(props, k, this.amf3(depth - 1, pool));
          }
        }
        return t;
      }
      case 13: {
        const m = new AmfMixedArray([], {});
        pool.push(m);
        const n = this.int(3);
        for (let i = 0; i < n; i++) m.dense.push(this.amf3(depth - 1, pool));
        const na = 1 + this.int(3);
        for (let i = 0; i < na; i++) put(m.associative, this.key(), this.amf3(depth - 1, pool));
        return m;
      }
      case 14: case 15: {
        const kind = this.pick(['int', 'uint', 'double', 'object'] as const);
        const v = new AmfVector(kind, [], this.rnd() < 0.5, kind === 'object' ? this.pick(['', 'String', 'com.example.Bar']) : '');
        pool.push(v);
        const n = this.int(5);
        for (let i = 0; i < n; i++) {
          v.items.push(
            kind === 'int' ? (this.int(2 ** 32) | 0)
            : kind === 'uint' ? this.int(2 ** 32)
            : kind === 'double' ? this.number()
            : this.amf3(depth - 1, pool),
          );
        }
        return v;
      }
      case 16: {
        const d = new AmfDictionary(null, this.rnd() < 0.5);
        pool.push(d);
        const n = this.int(4);
        for (let i = 0; i < n; i++) {
          let k: AmfValue = this.rnd() < 0.5 ? this.key() : this.rnd() < 0.5 ? this.int(1000) : this.amf3(depth - 1, pool);
          if (typeof k === 'number' && Object.is(k, -0)) k = 0;
          if (d.has(k)) continue;
          d.set(k, this.amf3(depth - 1, pool));
        }
        return d;
      }
      default:
        return this.rnd() < 0.5 ? this.number() : this.string();
    }
  }

  /**
   * A random AMF0 value. AMF3-only values go through the AVM+ switch with fresh tables, so
   * their subtrees get a fresh pool (they cannot share objects with the AMF0 side).
   */
  amf0(depth: number, pool: object[]): AmfValue {
    const r = this.int(depth <= 0 ? 6 : 16);
    if (pool.length && this.rnd() < 0.08) return this.pick(pool) as AmfValue;
    switch (r) {
      case 0: return this.number();
      case 1: return this.string();
      case 2: return this.rnd() < 0.5;
      case 3: return this.pick([null, undefined]);
      case 4: return this.rnd() < 0.7 ? this.date() : new AmfDate(this.int(1e12), this.int(0x10000) - 0x8000 || 1);
      case 5: return new AmfXmlDocument(this.string());
      case 6: case 7:
        return this.array(pool, () => this.amf0(depth - 1, pool));
      case 8: case 9:
        return this.object(pool, () => this.amf0(depth - 1, pool));
      case 10: {
        const e = new AmfEcmaArray({}, undefined);
        pool.push(e);
        const n = this.int(4);
        for (let i = 0; i < n; i++) put(e.properties, this.key(), this.amf0(depth - 1, pool));
        e.declaredCount = this.rnd() < 0.8 ? Object.keys(e.properties).length : this.int(2 ** 32);
        return e;
      }
      case 11: {
        const props: AmfObject = {};
        const t = new AmfTypedObject(this.pick(['Foo', 'com.example.Bar']), props, { sealedMembers: [], dynamic: false });
        pool.push(t);
        const n = this.int(4);
        for (let i = 0; i < n; i++) put(props, this.key(), this.amf0(depth - 1, pool));
        t.sealedMembers = Object.keys(props);
        return t;
      }
      case 12: {
        // An AMF3-only value (ByteArray, XML, vector, dictionary, mixed array), fresh scope.
        for (;;) {
          const v = this.amf3(depth - 1, []);
          if (v instanceof Uint8Array || v instanceof AmfXml || v instanceof AmfVector || v instanceof Map || v instanceof AmfMixedArray) return v;
        }
      }
      default:
        return this.rnd() < 0.5 ? this.number() : this.string();
    }
  }
}
