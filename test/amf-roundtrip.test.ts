// Round trips of random nested values (seeded), including shared references and cycles:
// decode(encode(v)) must equal v with the same reference structure, and encoding the decoded
// value again must give the same bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Amf0Decoder, Amf0Encoder, Amf3Decoder, Amf3Encoder } from '../src/wire/amf/index.js';
import { amfDiff, toHex, ValueGenerator } from './amf-helpers.js';

const N = 3000;

test(`AMF3: ${N} random values round trip with references and cycles`, () => {
  const g = new ValueGenerator(0x5eed3);
  const enc = new Amf3Encoder();
  const dec = new Amf3Decoder({ allowCycles: true });
  let cyclic = 0;
  for (let i = 0; i < N; i++) {
    const v = g.amf3(5, []);
    const bytes = enc.encode(v);
    const back = dec.decode(bytes);
    const d = amfDiff(back, v);
    if (d) assert.unreachable(`value ${i}: ${d}; bytes ${toHex(bytes)}`);
    assert.is(toHex(enc.encode(back)), toHex(bytes), `re-encode ${i}`);
    if (toHex(bytes).length > 0 && hasCycle(v)) cyclic++;
  }
  assert.ok(cyclic > 50, `only ${cyclic} cyclic values generated`);
});

test(`AMF0: ${N} random values round trip (AMF3-only values through the AVM+ switch)`, () => {
  const g = new ValueGenerator(0x5eed0);
  const enc = new Amf0Encoder();
  const dec = new Amf0Decoder({ allowCycles: true });
  let cyclic = 0;
  let switched = 0;
  for (let i = 0; i < N; i++) {
    const v = g.amf0(5, []);
    const bytes = enc.encode(v);
    const back = dec.decode(bytes);
    const d = amfDiff(back, v);
    if (d) assert.unreachable(`value ${i}: ${d}; bytes ${toHex(bytes)}`);
    assert.is(toHex(enc.encode(back)), toHex(bytes), `re-encode ${i}`);
    if (hasCycle(v)) cyclic++;
    if (bytes.includes(0x11)) switched++;
  }
  assert.ok(cyclic > 50, `only ${cyclic} cyclic values generated`);
  assert.ok(switched > 100, `only ${switched} values used the AVM+ switch`);
});

test('decodeAll / encodeAll of value lists', () => {
  const g = new ValueGenerator(77);
  const e0 = new Amf0Encoder();
  const d0 = new Amf0Decoder({ allowCycles: true });
  const e3 = new Amf3Encoder();
  const d3 = new Amf3Decoder({ allowCycles: true });
  for (let i = 0; i < 200; i++) {
    const list0 = Array.from({ length: 1 + g.int(5) }, () => g.amf0(3, []));
    assert.is(amfDiff(d0.decodeAll(e0.encodeAll(list0)), list0), null);
    const list3 = Array.from({ length: 1 + g.int(5) }, () => g.amf3(3, []));
    assert.is(amfDiff(d3.decodeAll(e3.encodeAll(list3)), list3), null);
  }
});

function hasCycle(v: unknown): boolean {
  const stack = new Set<object>();
  const done = new Set<object>();
  function walk(x: unknown): boolean {
    if (typeof x !== 'object' || x === null) return false;
    if (stack.has(x)) return true;
    if (done.has(x)) return false;
    stack.add(x);
    const kids: unknown[] = x instanceof Map ? [...x.keys(), ...x.values()] : Object.values(x);
    for (const k of kids) if (walk(k)) return true;
    stack.delete(x);
    done.add(x);
    return false;
  }
  return walk(v);
}

test.run();
