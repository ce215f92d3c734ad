// AMF0 fixed-byte tests: every type written by hand from the AMF0 specification, decoded and
// re-encoded byte for byte where canonical; references; the AVM+ switch and its table rule.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Amf0Decoder,
  Amf0Encoder,
  Amf3Value,
  AmfDate,
  AmfDictionary,
  AmfEcmaArray,
  AmfError,
  AmfMixedArray,
  AmfTypedObject,
  AmfVector,
  AmfXml,
  AmfXmlDocument,
  DEFAULT_AMF_LIMITS,
  type AmfValue,
} from '../src/wire/amf/index.js';
import { hex, toHex } from './amf-helpers.js';
import { assertDecodeFails, assertRoundTrip } from './support/amf-cases.js';

const dec = new Amf0Decoder();
const enc = new Amf0Encoder();

const both = (hexStr: string, value: AmfValue, decoder = dec): void => assertRoundTrip(decoder, enc, hexStr, value);
const fails = (hexStr: string, code: string, decoder = dec): AmfError => assertDecodeFails(decoder, hexStr, code);

const Types = suite('amf0 types');

Types('number, boolean, null, undefined', () => {
  both('00 3ff8000000000000', 1.5);
  both('00 0000000000000000', 0);
  both('00 8000000000000000', -0);
  both('00 c059000000000000', -100);
  both('01 01', true);
  both('01 00', false);
  assert.is(dec.decode(hex('0105')), true); // any non-zero byte is true
  both('05', null);
  both('06', undefined);
});

Types('string and long string', () => {
  both('02 0000', '');
  both('02 0003 616263', 'abc');
  both('02 0002 c3a9', 'é');
  assert.is(dec.decode(hex('0c 00000003 616263')), 'abc');
  const long = 'x'.repeat(70000);
  const b = enc.encode(long);
  assert.is(toHex(b.subarray(0, 5)), '0c00011170');
  assert.is(b.length, 5 + 70000);
  assert.is(dec.decode(b), long);
  const max = 'y'.repeat(65535);
  assert.is(toHex(enc.encode(max).subarray(0, 3)), '02ffff');
});

Types('anonymous object with end marker', () => {
  both('03 0001 61 00 3ff0000000000000 0000 09', { a: 1 });
  both('03 0000 09', {});
  both('03 0001 61 03 0001 62 05 0000 09 0000 09', { a: { b: null } });
});

Types('ECMA array keeps its declared count', () => {
  both('08 00000001 0001 61 00 3ff0000000000000 0000 09', new AmfEcmaArray({ a: 1 }, 1));
  both('08 00000000 0001 61 05 0000 09', new AmfEcmaArray({ a: null }, 0));
  // Without the end marker, at the end of input after the declared members: accepted.
  const v = dec.decode(hex('08 00000001 0001 61 05')) as AmfEcmaArray;
  assert.ok(v instanceof AmfEcmaArray);
  assert.equal(v.properties, { a: null });
});

Types('strict array', () => {
  both('0a 00000002 00 3ff0000000000000 02 0001 61', [1, 'a']);
  both('0a 00000000', []);
});

Types('date with timezone field', () => {
  both('0b 0000000000000000 0000', new Date(0));
  both('0b 4272eae09c800000 0000', new Date(1300000000000));
  both('0b 0000000000000000 01e0', new AmfDate(0, 480));
  both('0b 0000000000000000 ffc4', new AmfDate(0, -60));
});

Types('XML document', () => {
  both('0f 00000007 3c613e3c2f613e', new AmfXmlDocument('<a></a>'));
});

Types('typed object', () => {
  both('10 0003 466f6f 0001 78 05 0001 79 01 01 0000 09', new AmfTypedObject('Foo', { x: null, y: true }));
  const t = dec.decode(hex('10 0003 466f6f 0000 09')) as AmfTypedObject;
  assert.is(t.className, 'Foo');
  assert.equal(t.sealedMembers, []);
});

Types('references: shared objects and cycles', () => {
  // [o, o]: strict array is index 0, o is index 1.
  const o = { a: null };
  const bytes = hex('0a 00000002 03 0001 61 05 0000 09 07 0001');
  const v = dec.decode(bytes) as AmfValue[];
  assert.ok(v[0] === v[1]);
  assert.is(toHex(enc.encode([o, o])), toHex(bytes));
  const self: Record<string, AmfValue> = {};
  self.me = self;
  const sb = enc.encode(self);
  assert.is(toHex(sb), '030002' + '6d65' + '070000' + '000009');
  const back = new Amf0Decoder({ allowCycles: true }).decode(sb) as Record<string, AmfValue>;
  assert.ok(back.me === back);
  // ECMA arrays and typed objects are in the table too; dates are not.
  const t = new AmfTypedObject('T', {});
  const d = new Date(0);
  const e = new AmfEcmaArray({}, 0);
  const r = dec.decode(enc.encode([d, t, e, t, e, d])) as AmfValue[];
  assert.ok(r[1] === r[3] && r[2] === r[4]);
  assert.is(toHex(enc.encode([t, t])), '0a00000002' + '100001540000' + '09' + '070001');
});

Types('cycles: refused by default (ERR_AMF_CYCLE), decoded with allowCycles; shared references stay accepted', () => {
  const cyclic = new Amf0Decoder({ allowCycles: true });
  // {me: <ref 0>}: the object refers to itself while its members are read.
  const self = '03 0002 6d65 07 0000 0000 09';
  const e = fails(self, 'ERR_AMF_CYCLE');
  assert.is(e.offset, 5);
  const o = cyclic.decode(hex(self)) as Record<string, AmfValue>;
  assert.ok(o.me === o);
  // [[<ref 0>]]: an inner array refers to its enclosing array.
  fails('0a 00000001 0a 00000001 07 0000', 'ERR_AMF_CYCLE');
  // ECMA array and typed object enclosing a reference to themselves.
  fails('08 00000001 0001 61 07 0000 0000 09', 'ERR_AMF_CYCLE');
  fails('10 0001 54 0001 61 07 0000 0000 09', 'ERR_AMF_CYCLE');
  // A reference to an ancestor two levels up.
  fails('03 0001 61 03 0001 62 07 0000 0000 09 0000 09', 'ERR_AMF_CYCLE');
  // A reference to a finished sibling (or to a finished object from its parent) is no cycle.
  const v = dec.decode(hex('0a 00000003 03 0000 09 07 0001 03 0001 78 07 0001 0000 09')) as AmfValue[];
  assert.ok(v[0] === v[1] && (v[2] as Record<string, AmfValue>).x === v[0]);
  // With the 'message' table scope, a later top-level value may refer to an earlier one.
  const m = new Amf0Decoder({ tableScope: 'message' }).decodeAll(hex('03 0000 09 07 0000'));
  assert.ok(m[0] === m[1]);
});

Types('reference errors', () => {
  fails('07 0000', 'ERR_AMF_BAD_REFERENCE');
  fails('0a 00000001 07 0001', 'ERR_AMF_BAD_REFERENCE');
});

const Switch = suite('amf0 AVM+ switch');

Switch('AMF3 value inside AMF0 (librtmfp publish name)', () => {
  assert.is(dec.decode(hex('11 0609 74657374')), 'test');
  const marked = new Amf0Decoder({ markAvmPlus: true });
  both('11 0609 74657374', new Amf3Value('test'), marked);
  both('03 0001 61 11 0a0b01 0362 0401 01 0000 09', { a: new Amf3Value({ b: 1 }) }, marked);
});

Switch('AMF3-only values are written through the switch', () => {
  both('11 0c05 0102', new Uint8Array([1, 2]));
  both('11 0b09 3c612f3e', new AmfXml('<a/>'));
  both('11 0d03 00 00000005', new AmfVector('int', [5]));
  both('11 1103 01 0401 0402', new AmfDictionary([[1, 2]], true));
  both('11 0903 0361 0401 01 0402', new AmfMixedArray([2], { a: 1 }));
});

Switch('each switch starts fresh AMF3 tables (default); "message" scope shares them', () => {
  // second switched value references string 0 of the previous switch
  const bytes = hex('0a 00000002 11 0607616263 11 0600');
  fails(toHex(bytes), 'ERR_AMF_BAD_REFERENCE');
  const shared = new Amf0Decoder({ tableScope: 'message' });
  assert.equal(shared.decodeAll(hex('11 0607616263 11 0600')), ['abc', 'abc']);
  try {
    dec.decodeAll(hex('11 0607616263 11 0600'));
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_BAD_REFERENCE');
  }
  // AMF0 reference tables are per top-level value by default too
  const twoValues = hex('03 0000 09 07 0000');
  assert.is(shared.decodeAll(twoValues).length, 2);
  try {
    dec.decodeAll(twoValues);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_BAD_REFERENCE');
  }
});

const Errors = suite('amf0 errors and limits');

Errors('reserved markers are refused', () => {
  fails('04', 'ERR_AMF_UNSUPPORTED'); // movieclip
  fails('0d', 'ERR_AMF_UNSUPPORTED'); // unsupported
  fails('0e', 'ERR_AMF_UNSUPPORTED'); // recordset
  fails('12', 'ERR_AMF_UNKNOWN_MARKER');
  fails('ff', 'ERR_AMF_UNKNOWN_MARKER');
  fails('09', 'ERR_AMF_MALFORMED'); // object end outside an object
});

Errors('object end handling', () => {
  fails('03 0000 05', 'ERR_AMF_MALFORMED'); // empty key not followed by 09
  fails('03 0001 61 05', 'ERR_AMF_TRUNCATED'); // no end marker
  fails('03 0001 61 09', 'ERR_AMF_MALFORMED'); // 09 as a member value
  fails('03 0001 61 05 0000', 'ERR_AMF_TRUNCATED');
  fails('08 00000002 0001 61 05', 'ERR_AMF_TRUNCATED'); // fewer members than declared, no end
});

Errors('truncation and trailing bytes', () => {
  fails('', 'ERR_AMF_TRUNCATED');
  fails('00 3ff0', 'ERR_AMF_TRUNCATED');
  fails('02 0005 6162', 'ERR_AMF_TRUNCATED');
  fails('0c ffffffff 61', 'ERR_AMF_LIMIT');
  fails('0a ffffffff 05', 'ERR_AMF_LIMIT');
  fails('0a 00001000 05', 'ERR_AMF_TRUNCATED');
  fails('0b 0000000000000000 00', 'ERR_AMF_TRUNCATED');
  fails('05 05', 'ERR_AMF_MALFORMED');
});

Errors('limits', () => {
  fails('0a00000001'.repeat(100) + '05', 'ERR_AMF_LIMIT');
  fails('030001 61'.repeat(100), 'ERR_AMF_LIMIT');
  fails('11' + '0903 01'.repeat(100) + '01', 'ERR_AMF_LIMIT');
  fails('02 0003 616263', 'ERR_AMF_LIMIT', new Amf0Decoder({ maxStringLength: 2 }));
  fails('03 0001 61 05 0001 62 05 0001 63 05 0000 09', 'ERR_AMF_LIMIT', new Amf0Decoder({ maxContainerLength: 2 }));
  fails('0a 00000003 05 05 05', 'ERR_AMF_LIMIT', new Amf0Decoder({ maxValues: 3 }));
  fails('0a 00000002 0a00000000 0a00000000', 'ERR_AMF_LIMIT', new Amf0Decoder({ maxReferences: 2 }));
});

Errors('a declared 4 GB string fails at once, before anything is allocated', () => {
  // Long string and XML document with a u32 length of 2^32 - 1 and only one byte behind it.
  for (const h of ['0c ffffffff 61', '0f ffffffff 61']) {
    fails(h, 'ERR_AMF_LIMIT');
    fails(h, 'ERR_AMF_TRUNCATED', new Amf0Decoder({ maxStringLength: Infinity }));
  }
  // A key of 65535 declared bytes with 1 behind it.
  fails('03 ffff 61', 'ERR_AMF_TRUNCATED');
});

Errors('work per call: maxValues (default 65,536) bounds a message of nulls; a container that cannot fit the values left fails at its header', () => {
  assert.is(DEFAULT_AMF_LIMITS.maxValues, 65536);
  const d = new Amf0Decoder();
  assert.is(d.decodeAll(new Uint8Array(65536).fill(5)).length, 65536);
  // 1 MB of nulls: refused after 65,537 values instead of decoding a million.
  let e: unknown;
  try {
    d.decodeAll(new Uint8Array(1 << 20).fill(5));
  } catch (x) {
    e = x;
  }
  assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_LIMIT', String(e));
  assert.is(d.lastValueCount, 65537);
  // A strict array of 65,536 nulls (all bytes present) after one value: refused at its count.
  const arr = new Uint8Array(5 + 65536).fill(5);
  arr.set([0x0a, 0x00, 0x01, 0x00, 0x00]);
  e = undefined;
  try {
    d.decode(arr);
  } catch (x) {
    e = x;
  }
  assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_LIMIT', String(e));
  assert.is(d.lastValueCount, 1);
  // Raised by an option.
  assert.is(new Amf0Decoder({ maxValues: 1 << 20 }).decodeAll(new Uint8Array(1 << 17).fill(5)).length, 1 << 17);
});

Errors('encoder refuses what AMF0 cannot carry', () => {
  for (const v of [10n, Symbol('s'), () => 0, new Float32Array(1), new (class X {})(), { '': 1 }]) {
    try {
      enc.encode(v as unknown as AmfValue);
      assert.unreachable();
    } catch (e) {
      assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_UNENCODABLE', String(e));
    }
  }
  try {
    enc.encode({ ['k'.repeat(70000)]: 1 });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_UNENCODABLE');
  }
});

Types.run();
Switch.run();
Errors.run();
