// AMF3 fixed-byte tests: every type written by hand from the AMF3 specification, decoded and
// (where the encoding is canonical) re-encoded byte for byte; references; limits; typed errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Amf0Decoder,
  Amf3Decoder,
  Amf3Encoder,
  AmfDictionary,
  AmfError,
  AmfMixedArray,
  AmfTypedObject,
  AmfVector,
  AmfXml,
  AmfXmlDocument,
  type AmfValue,
} from '../src/wire/amf/index.js';
import { hex, toHex } from './amf-helpers.js';
import { assertDecodeFails, assertDecodes, assertRoundTrip } from './support/amf-cases.js';

const dec = new Amf3Decoder();
const enc = new Amf3Encoder();

const both = (hexStr: string, value: AmfValue): void => assertRoundTrip(dec, enc, hexStr, value);
const decodesTo = (hexStr: string, value: AmfValue): void => assertDecodes(dec, hexStr, value);
const fails = (hexStr: string, code: string, decoder = dec): AmfError => assertDecodeFails(decoder, hexStr, code);

const Scalars = suite('amf3 scalars');

Scalars('undefined, null, false, true', () => {
  both('00', undefined);
  both('01', null);
  both('02', false);
  both('03', true);
});

Scalars('integer U29 boundaries (1 to 4 bytes)', () => {
  both('0400', 0);
  both('047f', 127);
  both('048100', 128);
  both('04ff7f', 16383);
  both('04818000', 16384);
  both('04ffff7f', 2097151);
  both('0480c08000', 2097152);
  both('04bfffffff', 0x0fffffff); // largest positive int
});

Scalars('negative integers are 29-bit two complement', () => {
  both('04ffffffff', -1);
  both('04fffffffe', -2);
  both('04c0808000', -0x10000000); // smallest int
  both('04ffffff80', -128);
});

Scalars('numbers outside the 29-bit range, fractions and -0 are doubles', () => {
  both('0541b0000000000000', 0x10000000);
  both('05c1b0000001000000', -0x10000001);
  both('0541cfffffff800000', 0x3fffffff);
  both('053ff8000000000000', 1.5);
  both('058000000000000000', -0);
  both('057ff0000000000000', Infinity);
  decodesTo('057ff8000000000000', NaN);
  decodesTo('053ff0000000000000', 1); // an integral double decodes to the same number
});

Scalars('strings, empty string, UTF-8', () => {
  both('0601', '');
  both('0607616263', 'abc');
  both('0605c3a9', 'é');
  both('0609f09f9880', '😀');
});

const Refs = suite('amf3 references');

Refs('string reference table; the empty string is never referenced', () => {
  // ["abc", "abc", "", ""]: second "abc" is reference 0, "" is always inline.
  both('0909 01 0607616263 0600 0601 0601', ['abc', 'abc', '', '']);
  // member names and values share the table: {abc: "abc"}.
  both('0a0b01 07616263 0600 01', { abc: 'abc' });
});

Refs('object references: same JS object decodes once', () => {
  const o = {};
  const v = dec.decode(hex('0905 01 0a0b0101 0a02')) as AmfValue[];
  assert.is(v.length, 2);
  assert.ok(v[0] === v[1]);
  assert.is(toHex(enc.encode([o, o])), '0905010a0b01010a02');
});

Refs('self reference (cycle)', () => {
  const o: Record<string, AmfValue> = {};
  o.self = o;
  const bytes = enc.encode(o);
  assert.is(toHex(bytes), '0a0b0109' + Buffer.from('self').toString('hex') + '0a0001');
  const cyclic = new Amf3Decoder({ allowCycles: true });
  const back = cyclic.decode(bytes) as Record<string, AmfValue>;
  assert.ok(back.self === back);
  const a: AmfValue[] = [];
  a.push(a);
  const ab = cyclic.decode(enc.encode(a)) as AmfValue[];
  assert.ok(ab[0] === ab);
});

Refs('cycles are refused by default (ERR_AMF_CYCLE); shared references are not', () => {
  const selfObject = '0a0b01 0973656c66 0a00 01';
  const e = fails(selfObject, 'ERR_AMF_CYCLE');
  assert.is(e.offset, 9);
  fails('0903 01 0a00', 'ERR_AMF_CYCLE'); // [<self>]
  fails('0903 0361 0a00 01 01', 'ERR_AMF_CYCLE'); // mixed array {a: <self>}
  fails('1003 00 01 0a00', 'ERR_AMF_CYCLE'); // Vector.<*> [<self>]
  fails('1103 00 0401 0a00', 'ERR_AMF_CYCLE'); // Dictionary {1: <self>}
  fails('1103 00 0a00 01', 'ERR_AMF_CYCLE'); // Dictionary {<self>: null}
  fails('0903 01 0903 01 0a00', 'ERR_AMF_CYCLE'); // [[<grandparent>]]
  // Inside an AVM+ switch too (AMF0 decoder).
  try {
    new Amf0Decoder().decode(hex('11 ' + selfObject));
    assert.unreachable();
  } catch (x) {
    assert.ok(x instanceof AmfError && x.code === 'ERR_AMF_CYCLE', String(x));
  }
  // Finished objects, dates, byte arrays may be referenced anywhere: [o, o, {x: o}]
  const v = dec.decode(hex('0907 01 0a0b0101 0a02 0a01 0378 0a02 01')) as AmfValue[];
  assert.ok(v[0] === v[1] && (v[2] as Record<string, AmfValue>).x === v[0]);
});

Refs('a declared 256 MB string, XML or ByteArray fails at once', () => {
  for (const m of ['06', '07', '0b', '0c']) {
    fails(`${m} ffffffff 61`, 'ERR_AMF_LIMIT');
    fails(`${m} ffffffff 61`, 'ERR_AMF_TRUNCATED', new Amf3Decoder({ maxStringLength: Infinity, maxByteArrayLength: Infinity }));
  }
});

Refs('maxValues: containers that cannot fit the values left fail at their header', () => {
  const d = new Amf3Decoder({ maxValues: 10 });
  for (const h of ['0915 01' + '01'.repeat(10), '0d15 00' + '00000000'.repeat(10), '1015 00 01' + '01'.repeat(10), '110b 00' + '01'.repeat(10), '0a8123 01' + '0361'.repeat(10) + '01'.repeat(10)]) {
    try {
      d.decode(hex(h));
      assert.unreachable(h);
    } catch (x) {
      assert.ok(x instanceof AmfError && x.code === 'ERR_AMF_LIMIT', `${h}: ${String(x)}`);
      assert.is(d.lastValueCount, 1, h);
    }
  }
});

Refs('date references', () => {
  const d = new Date(1000);
  both('0905 01 0801408f400000000000 0802', [d, d]);
});

Refs('trait references', () => {
  const a = new AmfTypedObject('Foo', { x: 1, y: 2 }, { sealedMembers: ['x', 'y'], dynamic: false });
  const b = new AmfTypedObject('Foo', { x: 3, y: 4 }, { sealedMembers: ['x', 'y'], dynamic: false });
  // second object: U29O-traits-ref 0 = 0x01
  both('0905 01 0a23 07466f6f 0378 0379 0401 0402 0a01 0403 0404', [a, b]);
  // plain objects share the anonymous dynamic traits too
  both('0905 01 0a0b01 036104 01 01 0a01 00 0402 01', [{ a: 1 }, { a: 2 }]);
});

Refs('bad references are typed errors', () => {
  fails('0602', 'ERR_AMF_BAD_REFERENCE'); // string reference 1 of 0
  fails('0a02', 'ERR_AMF_BAD_REFERENCE'); // object reference 1 of 0
  fails('0a05', 'ERR_AMF_BAD_REFERENCE'); // traits reference 1 of 0
  fails('0802', 'ERR_AMF_BAD_REFERENCE');
  fails('0900', 'ERR_AMF_BAD_REFERENCE'); // array reference 0 of 0 (not yet registered)
});

const Complex = suite('amf3 complex types');

Complex('XMLDocument and XML decode to distinct wrappers', () => {
  both('070f 3c613e3c2f613e', new AmfXmlDocument('<a></a>'));
  both('0b0f 3c613e3c2f613e', new AmfXml('<a></a>'));
});

Complex('date', () => {
  both('0801 0000000000000000', new Date(0));
  both('0801 c26d1a94a2000000', new Date(-1e12));
});

Complex('dense array and mixed array', () => {
  both('0905 01 0401 0402', [1, 2]);
  both('0901 01', []);
  both('0903 0361 0401 01 0402', new AmfMixedArray([2], { a: 1 }));
  both('0901 0361 0401 01', new AmfMixedArray([], { a: 1 }));
});

Complex('objects: anonymous, sealed, sealed + dynamic, anonymous sealed', () => {
  both('0a0b01 0361 0401 01', { a: 1 });
  both('0a0b01 01', {});
  both('0a23 07466f6f 0378 0379 0401 0402', new AmfTypedObject('Foo', { x: 1, y: 2 }, { sealedMembers: ['x', 'y'], dynamic: false }));
  both('0a1b 07426172 0378 0401 0379 0402 01', new AmfTypedObject('Bar', { x: 1, y: 2 }, { sealedMembers: ['x'], dynamic: true }));
  both('0a13 01 0378 0401', new AmfTypedObject('', { x: 1 }, { sealedMembers: ['x'], dynamic: false }));
  both('0a03 07466f6f', new AmfTypedObject('Foo', {}, { sealedMembers: [], dynamic: false }));
});

Complex('"__proto__" member stays an own property', () => {
  const v = dec.decode(hex('0a0b01 135f5f70726f746f5f5f 0401 01')) as Record<string, AmfValue>;
  assert.is(Object.getPrototypeOf(v), Object.prototype);
  assert.ok(Object.prototype.hasOwnProperty.call(v, '__proto__'));
  assert.is(v['__proto__'], 1);
  assert.is(toHex(enc.encode(v)), '0a0b01135f5f70726f746f5f5f040101');
});

Complex('externalizable traits are refused, naming the class', () => {
  const e = fails('0a07 43666c65782e6d6573736167696e672e696f2e4172726179436f6c6c656374696f6e 0909 01', 'ERR_AMF_EXTERNALIZABLE');
  assert.is(e.className, 'flex.messaging.io.ArrayCollection');
  assert.match(e.message, /flex\.messaging\.io\.ArrayCollection/);
});

Complex('ByteArray decodes to a Uint8Array copy', () => {
  both('0c07 010203', new Uint8Array([1, 2, 3]));
  both('0c01', new Uint8Array(0));
  const input = hex('0c07010203');
  const v = dec.decode(input) as Uint8Array;
  input[2] = 9;
  assert.is(v[0], 1);
});

Complex('vectors: int, uint, double, object with type name; fixed flag', () => {
  both('0d05 00 ffffffff 00000001', new AmfVector('int', [-1, 1], false));
  both('0e03 01 ffffffff', new AmfVector('uint', [0xffffffff], true));
  both('0f03 00 3ff8000000000000', new AmfVector('double', [1.5], false));
  both('1005 00 07466f6f 0401 0607616263', new AmfVector('object', [1, 'abc'], false, 'Foo'));
  both('1001 01 01', new AmfVector('object', [], true, ''));
});

Complex('dictionary: weak flag, keys of any type', () => {
  both('1105 00 060361 0401 0402 060362', new AmfDictionary([['a', 1], [2, 'b']], false));
  both('1101 01', new AmfDictionary(null, true));
  const k = { id: 1 };
  const d = dec.decode(enc.encode(new AmfDictionary([[k, 'obj'], [null, 'null']]))) as AmfDictionary;
  const keys = [...d.keys()];
  assert.equal(keys[0], { id: 1 });
  assert.is(keys[1], null);
  // a plain Map encodes as a non-weak dictionary
  assert.is(toHex(enc.encode(new Map([['a', 1]]))), '110300060361' + '0401');
});

const Errors = suite('amf3 errors and limits');

Errors('unknown marker, truncation, trailing bytes', () => {
  fails('12', 'ERR_AMF_UNKNOWN_MARKER');
  fails('ff', 'ERR_AMF_UNKNOWN_MARKER');
  fails('', 'ERR_AMF_TRUNCATED');
  fails('04ff', 'ERR_AMF_TRUNCATED');
  fails('0607 61', 'ERR_AMF_TRUNCATED');
  fails('05 3ff8', 'ERR_AMF_TRUNCATED');
  fails('0a0b01 0361', 'ERR_AMF_TRUNCATED');
  fails('0100', 'ERR_AMF_MALFORMED');
});

Errors('limits: depth, string length, container size, byte array, values, references', () => {
  fails('0903'.repeat(0) + '0903 01'.repeat(100) + '01', 'ERR_AMF_LIMIT');
  const deep = new Amf3Decoder({ maxDepth: 3 });
  assert.equal(deep.decode(hex('0903 01 0903 01 0903 01 01')), [[[null]]]);
  fails('0903 01 0903 01 0903 01 0903 01 01', 'ERR_AMF_LIMIT', deep);
  fails('0607 616263', 'ERR_AMF_LIMIT', new Amf3Decoder({ maxStringLength: 2 }));
  fails('0c07 010203', 'ERR_AMF_LIMIT', new Amf3Decoder({ maxByteArrayLength: 2 }));
  fails('0907 01 01 01 01', 'ERR_AMF_LIMIT', new Amf3Decoder({ maxContainerLength: 2 }));
  fails('0907 01 01 01 01', 'ERR_AMF_LIMIT', new Amf3Decoder({ maxValues: 3 }));
  fails('0907 01 060361 060362 060363', 'ERR_AMF_LIMIT', new Amf3Decoder({ maxReferences: 2 }));
  // A huge declared count is refused before anything is allocated.
  fails('09 ffffffff 01', 'ERR_AMF_LIMIT');
  fails('09 ffffffff 01', 'ERR_AMF_TRUNCATED', new Amf3Decoder({ maxContainerLength: 2 ** 29 }));
  fails('0d ffffffff 00', 'ERR_AMF_LIMIT');
  fails('0d 0b 00 00000001', 'ERR_AMF_TRUNCATED');
});

Errors('encoder refuses what AMF3 cannot carry', () => {
  const bad: unknown[] = [10n, Symbol('x'), () => 1, new Int16Array(2), new (class Foo {})(), { '': 1 }, new AmfMixedArray([], { '': 1 })];
  for (const v of bad) {
    try {
      enc.encode(v as AmfValue);
      assert.unreachable(String(v));
    } catch (e) {
      assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_UNENCODABLE', String(e));
    }
  }
  try {
    enc.encode(new AmfTypedObject('Foo', { x: 1, extra: 2 }, { sealedMembers: ['x'], dynamic: false }));
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_UNENCODABLE');
  }
  try {
    enc.encode(new AmfVector('int', [1.5]));
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_UNENCODABLE');
  }
  let deep: AmfValue = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  try {
    enc.encode(deep);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_LIMIT');
  }
});

Errors('decodeAll and readValue use fresh tables per value', () => {
  assert.equal(dec.decodeAll(hex('0607616263 0607616263')), ['abc', 'abc']);
  try {
    dec.decodeAll(hex('0607616263 0600'));
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_BAD_REFERENCE');
  }
  assert.equal(dec.readValue(hex('ff 0403 ff'), 1), { value: 3, next: 3 });
});

Scalars.run();
Refs.run();
Complex.run();
Errors.run();
