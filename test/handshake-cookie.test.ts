// Unit tests for the stateless cookie jar (wire-reference B.1, G.1), the retransmission schedule,
// the bounded LRU, and hostile input to the handshake (dropped and counted, never thrown).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChunkType } from '../src/wire/chunk-type.js';
import { decodeChunk } from '../src/wire/chunk.js';
import {
  BoundedMap,
  COOKIE_LENGTH,
  CookieJar,
  createServerIdentity,
  Handshake,
  RetransmitSchedule,
} from '../src/session/handshake/index.js';
import { seededRandom, v4 } from './handshake-support.js';

const A = v4(192, 0, 2, 1, 40000);
const B = v4(192, 0, 2, 1, 40001);

const jar = suite('handshake: cookie jar');

jar('64 bytes, unique, ok at the issuing address, wrongAddress elsewhere', () => {
  const j = new CookieJar({ random: seededRandom('j') });
  const c = j.issue(A, 5_000);
  assert.is(c.length, COOKIE_LENGTH);
  assert.is.not(Buffer.from(j.issue(A, 5_000)).toString('hex'), Buffer.from(c).toString('hex'));
  assert.equal(j.verify(c, A, 6_000), { kind: 'ok', issuedMs: 5_000 });
  assert.equal(j.verify(c, B, 6_000), { kind: 'wrongAddress', issuedMs: 5_000 });
  // The origin bits are not part of the binding.
  assert.equal(j.verify(c, { ...A, origin: 2 }, 6_000).kind, 'ok');
});

jar('any flipped byte makes it bad (address MAC bytes: wrongAddress, never ok)', () => {
  const j = new CookieJar({ random: seededRandom('f') });
  const c = j.issue(A, 0);
  for (let i = 0; i < COOKIE_LENGTH; i++) {
    const x = c.slice();
    x[i]! ^= 0x40;
    const v = j.verify(x, A, 1000);
    if (i >= 40) assert.is(v.kind, 'wrongAddress', `byte ${i}`);
    else assert.is(v.kind, 'bad', `byte ${i}`);
  }
});

jar('valid for 95 s at one-second granularity, across secret rotation; then expired and forgotten', () => {
  const j = new CookieJar({ random: seededRandom('t') });
  const c = j.issue(A, 59_500); // second 59, the last of the first 60 s secret epoch
  j.issue(A, 61_000); // a second secret
  assert.equal(j.verify(c, A, 154_999).kind, 'ok'); // second 154 = 59 + 95
  assert.equal(j.verify(c, A, 155_000), { kind: 'bad', reason: 'expired' });
  j.issue(A, 200_000);
  assert.ok(j.secretCount <= 3, `secrets held: ${j.secretCount}`);
  assert.equal(j.verify(c, A, 10_000), { kind: 'bad', reason: 'future' });
});

jar('wrong length, a foreign jar, and a never-issued epoch are told apart', () => {
  const j = new CookieJar({ random: seededRandom('l') });
  assert.equal(j.verify(new Uint8Array(65), A, 0), { kind: 'bad', reason: 'length' });
  assert.equal(j.verify(new CookieJar().issue(A, 0), A, 0), { kind: 'bad', reason: 'unknownSecret' });
  j.issue(A, 0);
  assert.equal(j.verify(new CookieJar().issue(A, 0), A, 0), { kind: 'bad', reason: 'mac' });
});
jar.run();

const misc = suite('handshake: schedule and bounded map');

misc('schedule: 0, 1, 3.5, 7.5 s; a late poll does not double-send', () => {
  const s = new RetransmitSchedule(0);
  const at: number[] = [];
  for (let t = 0; t <= 8000; t += 100) if (s.due(t)) (at.push(t), s.sent(t));
  assert.equal(at, [0, 1000, 3500, 7500]);
  const late = new RetransmitSchedule(0);
  late.sent(0);
  late.sent(5000); // due at 1000, polled at 5000
  assert.is(late.nextAt, 7500);
});

misc('bounded map evicts the least recently used', () => {
  const m = new BoundedMap<string, number>(2);
  m.set('a', 1);
  m.set('b', 2);
  m.get('a');
  m.set('c', 3);
  assert.equal([...m.entries()], [['a', 1], ['c', 3]]);
  assert.is(m.evictions, 1);
});
misc.run();

const hostile = suite('handshake: hostile input is dropped and counted');

hostile('malformed EPDs, certificates, SKICs, unexpected chunks; caches stay bounded', () => {
  const hs = new Handshake({ identity: createServerIdentity(), random: seededRandom('h'), maxCachedRHellos: 8, rateLimit: { burst: 1e9, perSecond: 0 } });
  const r = (from = A) => ({ from, datagramLength: 1200, sessionId: new Uint8Array(4) });
  const rand = seededRandom('junk');
  // Random bodies for each startup type, decoded by the real codec when they decode at all.
  let thrown = 0;
  for (let i = 0; i < 2000; i++) {
    const type = [ChunkType.IHello, ChunkType.IIKeying, ChunkType.RHello, ChunkType.Redirect, ChunkType.CookieChange, ChunkType.RIKeying, ChunkType.Ping][i % 7]!;
    const body = rand(1 + (rand(1)[0]! % 200));
    let chunk;
    try {
      chunk = decodeChunk(type, body);
    } catch {
      continue; // the wire codec refused it; the handshake never sees it
    }
    try {
      hs.receive(chunk, r(v4(10, 0, (i >> 8) & 255, i & 255, 1000)), i);
    } catch (e) {
      thrown++;
      console.error(e);
    }
  }
  assert.is(thrown, 0);
  assert.ok(hs.counters.totalDrops > 0);
  assert.ok(hs.responder.cacheSizes.rhellos <= 8);
  assert.is(hs.counters.dhOperations, 0);
  // A certificate that does not parse, with a good cookie: malformed, not thrown, no DH.
  const cookie = hs.responder.cookies.issue(A, 5000);
  const bad = { type: ChunkType.IIKeying, initiatorSessionId: new Uint8Array([0, 0, 0, 9]), cookieEcho: cookie, initiatorCertificate: new Uint8Array([0x85]), skic: new Uint8Array([2, 0x1d, 2]), signature: new Uint8Array([0x58]) } as const;
  const before = hs.counters.drops.malformed;
  assert.equal(hs.receive(bad, r(), 5000), []);
  assert.is(hs.counters.drops.malformed, before + 1);
  // A static key that fails the 7425 4.6.2 checks: badKeying after the DH attempt refuses it.
  const weak = { ...bad, initiatorCertificate: new Uint8Array([0x04, 0x1d, 0x02, 0x00, 0x01]) };
  assert.equal(hs.receive(weak, r(), 5000), []);
  assert.is(hs.counters.drops.badKeying, 1);
});
hostile.run();
