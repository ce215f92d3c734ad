// Fuzz the NetGroup media-plane body decoders (wire-reference F.5): fragments map 0x22, push
// request 0x23, pull request 0x2b. 100,000 random and mutated inputs each; only WireError may
// escape, and whatever decodes must also be usable (fragmentsMapIds stays bounded).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WireError } from '../src/wire/errors.js';
import {
  decodeFragmentsMap,
  decodeFragmentsMapMessage,
  decodePullRequestMessage,
  decodePushRequestMessage,
  encodeFragmentsMapMessage,
  encodePullRequestMessage,
  encodePushRequestMessage,
  fragmentsMapFromIds,
  fragmentsMapIds,
} from '../src/wire/netgroup/fragments-map.js';
import { ByteFuzzer } from './support/fuzz.js';

const savedStackTraceLimit = Error.stackTraceLimit;
Error.stackTraceLimit = 0;
const fuzzer = new ByteFuzzer({ seed: 0x22232b });
const rng = fuzzer.rng;
const isWireError = (e: unknown): boolean => e instanceof WireError;

function randomMap(): Uint8Array {
  const last = rng.int(4) === 0 ? rng.vluValue() : rng.int(5000);
  const ids: number[] = [];
  for (let k = 0, n = rng.int(64); k < n; k++) {
    const back = 1 + rng.int(Math.min(last, 512) || 1);
    if (last - back >= 0) ids.push(last - back);
  }
  return encodeFragmentsMapMessage(fragmentsMapFromIds(last, ids));
}

test('fragments map (0x22) message and body', () => {
  const corpus = Array.from({ length: 200 }, randomMap);
  fuzzer.run('0x22 message', corpus, (b) => {
    const map = decodeFragmentsMapMessage(b);
    // Listing what a decoded map holds (the last ID plus one per set bit) stays bounded by its
    // bitmap, whatever last ID it claims.
    assert.ok(fragmentsMapIds(map).length <= map.bitmap.length * 8 + 1);
  }, isWireError);
  fuzzer.run('0x22 body', corpus.map((m) => m.subarray(1)), (b) => decodeFragmentsMap(b), isWireError);
});

test('push request (0x23) and pull request (0x2b)', () => {
  const push = Array.from({ length: 50 }, () => encodePushRequestMessage(rng.int(256)));
  fuzzer.run('0x23 message', push, (b) => decodePushRequestMessage(b), isWireError);
  const pull = Array.from({ length: 50 }, () => encodePullRequestMessage(rng.vluValue()));
  fuzzer.run('0x2b message', pull, (b) => decodePullRequestMessage(b), isWireError);
});

test('summary', () => {
  Error.stackTraceLimit = savedStackTraceLimit;
  for (const s of fuzzer.stats) console.log(`  ${s}`);
});

test.run();
