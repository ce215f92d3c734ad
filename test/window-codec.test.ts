// The `22` fragments map, `23` push request and `2b` pull request codecs (wire-reference F.5)
// against the librtmfp captures in ../shared/vectors/mona-netgroup/, fixed bytes, and hostile input.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WireError, WireErrorCode } from '../src/wire/errors.js';
import { ByteWriter } from '../src/wire/writer.js';
import {
  decodeFragmentsMap,
  decodeFragmentsMapMessage,
  decodePullRequestMessage,
  decodePushRequestMessage,
  encodeFragmentsMapMessage,
  encodePullRequestMessage,
  encodePushRequestMessage,
  fragmentsMapFromIds,
  fragmentsMapHas,
  fragmentsMapIds,
  MAX_FRAGMENTS_MAP_BITMAP_BYTES,
  writeFragmentsMap,
} from '../src/wire/netgroup/fragments-map.js';
import { hex, readJson, toHex, vectorsAvailable } from './support/vectors.js';

function throwsWire(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WireError, `expected WireError, got ${String(e)}`);
    assert.is((e as WireError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

const fixed = suite('window-codec: fixed bytes');

fixed('captured publisher map 22 0b ff03: last 11, also 10..1', () => {
  const m = decodeFragmentsMapMessage(hex('220bff03'));
  assert.is(m.lastFragmentId, 11);
  assert.is(toHex(m.bitmap), 'ff03');
  assert.equal(fragmentsMapIds(m), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.ok(fragmentsMapHas(m, 11));
  assert.ok(fragmentsMapHas(m, 1));
  assert.not.ok(fragmentsMapHas(m, 0));
  assert.not.ok(fragmentsMapHas(m, 12));
  assert.is(toHex(encodeFragmentsMapMessage(m)), '220bff03');
});

fixed('viewer map 22 16 80: last 22, also only 14 (bit 7 of byte 0)', () => {
  const m = decodeFragmentsMapMessage(hex('221680'));
  assert.equal(fragmentsMapIds(m), [22, 14]);
  assert.not.ok(fragmentsMapHas(m, 15));
  assert.not.ok(fragmentsMapHas(m, 21));
});

fixed('fragmentsMapFromIds builds the captured bytes', () => {
  assert.is(toHex(encodeFragmentsMapMessage(fragmentsMapFromIds(11, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))), '220bff03');
  assert.is(toHex(encodeFragmentsMapMessage(fragmentsMapFromIds(22, [14]))), '221680');
  // IDs at or above last are ignored; nothing below last gives an empty bitmap.
  assert.is(toHex(encodeFragmentsMapMessage(fragmentsMapFromIds(5, [5, 6]))), '2205');
  // Multi-byte VLU: 200 = 81 48; ID 199 is bit 0 of byte 0, ID 184 is bit 7 of byte 1.
  assert.is(toHex(encodeFragmentsMapMessage(fragmentsMapFromIds(200, [199, 184]))), '2281480180');
});

fixed('body writer appends to a ByteWriter', () => {
  const w = new ByteWriter();
  w.u8(0x22);
  writeFragmentsMap(w, { lastFragmentId: 130, bitmap: hex('01') });
  assert.is(toHex(w.written()), '22810201');
});

fixed('push and pull requests', () => {
  assert.is(decodePushRequestMessage(hex('2340')), 0x40);
  assert.is(toHex(encodePushRequestMessage(0x40)), '2340');
  assert.is(toHex(encodePushRequestMessage(0)), '2300');
  assert.is(decodePullRequestMessage(hex('2b0a')), 10);
  assert.is(toHex(encodePullRequestMessage(10)), '2b0a');
  assert.is(toHex(encodePullRequestMessage(16383)), '2bff7f');
  assert.is(decodePullRequestMessage(hex('2bff7f')), 16383);
  // Non-minimal VLU accepted (wire-reference A.1).
  assert.is(decodePullRequestMessage(hex('2b800a')), 10);
});

const vectors = suite('window-codec: captured vectors');

interface GroupMessage {
  typeByte: string;
  lastFragment?: number;
  bitmap?: string;
  alsoHave?: number[];
  mask?: string;
  fragment?: number;
}

vectors('every 22 / 23 / 2b message in the NetGroup captures decodes as annotated and re-encodes', () => {
  if (!vectorsAvailable()) return;
  const seen: Record<string, number> = { '22': 0, '23': 0, '2b': 0 };
  const check = (messageHex: string, d: GroupMessage): void => {
    // Classify by the decoder's annotation, not the first hex byte: other flows carry other
    // message families whose first byte can also be 0x22.
    if (typeof d.typeByte !== 'string' || typeof messageHex !== 'string') return;
    const t = d.typeByte.slice(2).toLowerCase();
    if (messageHex.slice(0, 2) !== t || messageHex.includes('\u2026')) return;
    if (t === '22') {
      const m = decodeFragmentsMapMessage(hex(messageHex));
      assert.is(m.lastFragmentId, d.lastFragment);
      assert.is(toHex(m.bitmap), d.bitmap);
      assert.equal(fragmentsMapIds(m).slice(1), d.alsoHave);
      assert.is(toHex(encodeFragmentsMapMessage(m)), messageHex);
    } else if (t === '23') {
      const mask = decodePushRequestMessage(hex(messageHex));
      assert.is(mask, Number(d.mask));
      assert.is(toHex(encodePushRequestMessage(mask)), messageHex);
    } else if (t === '2b') {
      const id = decodePullRequestMessage(hex(messageHex));
      assert.is(id, d.fragment);
      assert.is(toHex(encodePullRequestMessage(id)), messageHex);
    } else {
      return;
    }
    seen[t]!++;
  };
  const pg = readJson<{ messages: Array<{ messageHex: string; decode: GroupMessage }> }>(
    'mona-netgroup/peer-group-messages.json',
  );
  for (const m of pg.messages) check(m.messageHex, m.decode);
  const ms = readJson<{ datagrams: Array<{ messagesStartingHere?: Array<{ messageHex: string; groupMessage?: GroupMessage }> }> }>(
    'mona-netgroup/media-sample.json',
  );
  for (const dg of ms.datagrams) {
    for (const m of dg.messagesStartingHere ?? []) if (m.groupMessage) check(m.messageHex, m.groupMessage);
  }
  assert.ok(seen['22']! >= 4, `22 messages checked: ${seen['22']}`);
  assert.ok(seen['23']! >= 2);
  assert.ok(seen['2b']! >= 1);
});

const hostile = suite('window-codec: hostile input');

hostile('wrong type, empty, truncated', () => {
  throwsWire(() => decodeFragmentsMapMessage(new Uint8Array(0)), WireErrorCode.Truncated);
  throwsWire(() => decodeFragmentsMapMessage(hex('230bff03')), WireErrorCode.Malformed);
  throwsWire(() => decodeFragmentsMapMessage(hex('22')), WireErrorCode.Truncated);
  throwsWire(() => decodeFragmentsMapMessage(hex('2281')), WireErrorCode.Truncated);
  throwsWire(() => decodePushRequestMessage(hex('23')), WireErrorCode.Truncated);
  throwsWire(() => decodePushRequestMessage(hex('234000')), WireErrorCode.Malformed);
  throwsWire(() => decodePullRequestMessage(hex('2b')), WireErrorCode.Truncated);
  throwsWire(() => decodePullRequestMessage(hex('2b8a')), WireErrorCode.Truncated);
  throwsWire(() => decodePullRequestMessage(hex('2b0a00')), WireErrorCode.Malformed);
});

hostile('IDs beyond 2^53 and over-long VLUs are refused, not rounded', () => {
  // 90 80*7 00 is 2^60.
  throwsWire(() => decodeFragmentsMapMessage(hex('22908080808080808000')), WireErrorCode.Limit);
  throwsWire(() => decodePullRequestMessage(hex('2bffffffffffffffffff7f')), WireErrorCode.Limit);
  // 2^53 - 1 itself is fine, with the maximum bitmap.
  const last = Number.MAX_SAFE_INTEGER;
  const msg = encodeFragmentsMapMessage({ lastFragmentId: last, bitmap: new Uint8Array(MAX_FRAGMENTS_MAP_BITMAP_BYTES).fill(0xff) });
  const m = decodeFragmentsMapMessage(msg);
  assert.is(m.lastFragmentId, last);
  // Enumerating it is bounded by the bitmap length (and by the caller's limit).
  assert.is(fragmentsMapIds(m).length, 8 * MAX_FRAGMENTS_MAP_BITMAP_BYTES + 1);
  assert.is(fragmentsMapIds(m, 3).length, 3);
  assert.ok(fragmentsMapHas(m, last - 8 * MAX_FRAGMENTS_MAP_BITMAP_BYTES));
  assert.not.ok(fragmentsMapHas(m, last - 8 * MAX_FRAGMENTS_MAP_BITMAP_BYTES - 1));
});

hostile('bitmaps longer than the limit or reaching below ID 0', () => {
  const big = new Uint8Array(5 + MAX_FRAGMENTS_MAP_BITMAP_BYTES + 1);
  big.set(hex('ffffffff7f'), 0); // a large last ID, then the oversized bitmap
  throwsWire(() => decodeFragmentsMap(big.subarray(0)), WireErrorCode.Limit);
  throwsWire(() => decodeFragmentsMap(hex('0bff0301')), WireErrorCode.Malformed); // 3 bytes, last 11 needs 2
  throwsWire(() => decodeFragmentsMap(hex('00ff')), WireErrorCode.Malformed);
  assert.is(decodeFragmentsMap(hex('00')).bitmap.length, 0);
  throwsWire(() => decodeFragmentsMap(hex('0bff03'), { maxBitmapBytes: 1 }), WireErrorCode.Limit);
});

hostile('encoders refuse what the format cannot carry', () => {
  throwsWire(() => encodeFragmentsMapMessage({ lastFragmentId: -1, bitmap: new Uint8Array(0) }), WireErrorCode.Unencodable);
  throwsWire(() => encodeFragmentsMapMessage({ lastFragmentId: 1.5, bitmap: new Uint8Array(0) }), WireErrorCode.Unencodable);
  throwsWire(() => encodeFragmentsMapMessage({ lastFragmentId: 8, bitmap: new Uint8Array(2) }), WireErrorCode.Unencodable);
  throwsWire(() => encodePushRequestMessage(256), WireErrorCode.Unencodable);
  throwsWire(() => encodePullRequestMessage(-1), WireErrorCode.Unencodable);
  throwsWire(() => fragmentsMapFromIds(1e6, [0]), WireErrorCode.Unencodable);
});

hostile('random bytes never throw anything but WireError', () => {
  let x = 0x9e3779b9;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  for (let i = 0; i < 3000; i++) {
    const b = new Uint8Array(1 + Math.floor(rnd() * 24));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
    b[0] = [0x22, 0x23, 0x2b][i % 3]!;
    for (const f of [decodeFragmentsMapMessage, decodePushRequestMessage, decodePullRequestMessage]) {
      try {
        f(b);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }
  }
});

hostile('random maps round-trip through fromIds / ids', () => {
  let x = 12345;
  const rnd = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  for (let i = 0; i < 300; i++) {
    const last = rnd(5000);
    const ids = new Set<number>();
    const n = rnd(64);
    for (let j = 0; j < n && last > 0; j++) ids.add(last - 1 - rnd(Math.min(last, 2000)));
    const m = fragmentsMapFromIds(last, ids);
    const back = decodeFragmentsMapMessage(encodeFragmentsMapMessage(m));
    assert.equal(fragmentsMapIds(back), [last, ...[...ids].sort((a, b) => b - a)]);
    for (const id of ids) assert.ok(fragmentsMapHas(back, id));
  }
});

fixed.run();
vectors.run();
hostile.run();
