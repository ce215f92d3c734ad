// Introductions (wire-reference B.5): A reaches B through S with Redirect + Forwarded IHello and
// ends in a direct A<->B handshake; load balancing; glare (B.1) resolved to one session;
// certificate override (RFC 7425 section 4.3.7); unmatched IHellos.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AddressOrigin } from '../src/wire/address.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import type { ForwardedIHelloChunk, RedirectChunk } from '../src/wire/chunks/hello.js';
import { encodeEpd, fingerprintEpd } from '../src/wire/epd.js';
import {
  compareBytes,
  createFlashIdentity,
  createServerIdentity,
  LoadBalancer,
  Handshake,
  type SendOnSessionAction,
  type SendStartupAction,
} from '../src/session/handshake/index.js';
import { Network, hex, seededRandom, v4 } from './handshake-support.js';

const idA = createFlashIdentity();
const idB = createFlashIdentity();
const idS = createServerIdentity();
const A = v4(192, 0, 2, 10, 50000);
const B = v4(198, 51, 100, 20, 50001);
const S = v4(203, 0, 113, 1, 1935);
const B_LAN = v4(10, 0, 0, 20, 50001);

const intro = suite('handshake: introduction of A to B through S');

intro('Redirect + Forwarded IHello, then a direct A<->B handshake', () => {
  const net = new Network();
  const a = net.add('A', A, { identity: idA, random: seededRandom('A') });
  const b = net.add('B', B, { identity: idB, random: seededRandom('B') });
  const s = net.add('S', S, { identity: idS, random: seededRandom('S'), introductions: true });
  // B registers with S (an ordinary client session).
  net.apply(b, b.hs.open(encodeEpd({ ancillaryData: 'rtmfp://s/app' }), [S], 0).actions);
  net.run(0);
  assert.is(s.established.length, 1);
  s.directory.sessions[0] = { ...s.directory.sessions[0]!, reportedAddresses: [B_LAN] };
  net.log.length = 0;

  const { attemptId } = (() => {
    const r = a.hs.open(fingerprintEpd(idB.peerId), [S], 10);
    net.apply(a, r.actions);
    return r;
  })();
  net.run(10);
  const steps = net.log.map((d) => `${d.from}>${d.to}:${d.chunk.type.toString(16)}`);
  assert.equal(steps.slice(0, 6), [
    'A>S:30', // IHello naming B
    'S>A:71', // Redirect with B's addresses
    'S>B:f', // Forwarded IHello on the S-B session
    'A>B:30', 'A>4/0a000014/50001:30', // IHello to each redirect address (LAN one goes nowhere here)
    'B>A:70', // RHello straight to A's observed address: B's NAT opens toward A
  ]);
  const redirect = net.log[1]!.chunk as RedirectChunk;
  assert.equal(redirect.redirectDestinations.map((x) => [hex(x.ip), x.port, x.origin]), [
    [hex(B.ip), B.port, AddressOrigin.Observed],
    [hex(B_LAN.ip), B_LAN.port, AddressOrigin.Reported],
  ]);
  const fi = net.log[2]!.chunk as ForwardedIHelloChunk;
  assert.is(hex(fi.epd), hex(fingerprintEpd(idB.peerId)));
  assert.equal([hex(fi.replyAddress.ip), fi.replyAddress.port, fi.replyAddress.origin], [hex(A.ip), A.port, AddressOrigin.Observed]);
  assert.is(hex(fi.tag), hex(a.hs.initiator.attempt(attemptId)?.tag ?? redirect.tagEcho));
  // A and B end with one session each, with each other.
  const ab = a.established.find((x) => hex(x.farPeerId) === hex(idB.peerId));
  const ba = b.established.find((x) => hex(x.farPeerId) === hex(idA.peerId));
  assert.ok(ab && ba);
  assert.is(ab!.attemptId, attemptId);
  assert.is(hex(ab!.keys.send.aesKey), hex(ba!.keys.receive.aesKey));
  assert.is(hex(ab!.farAddress.ip), hex(B.ip));
  assert.is(s.established.length, 1, 'S never keyed with A');
  assert.is(a.hs.initiator.size, 0);
});

intro('without introductions, or for an unknown peer, the IHello surfaces as unmatchedIHello', () => {
  const lone = new Handshake({ identity: idS, random: seededRandom('u') });
  const ih = { type: ChunkType.IHello, epd: fingerprintEpd(idB.peerId), tag: new Uint8Array(16).fill(4) } as const;
  const out = lone.receive(ih, { from: A, datagramLength: 68, sessionId: new Uint8Array(4) }, 0);
  assert.is(out.length, 1);
  assert.is(out[0]!.kind, 'unmatchedIHello');
  const introducer = new Handshake({ identity: idS, random: seededRandom('u2'), introductions: true });
  assert.equal(introducer.receive(ih, { from: A, datagramLength: 68, sessionId: new Uint8Array(4) }, 0).map((x) => x.kind), ['unmatchedIHello']);
});

intro('a Forwarded IHello for someone else, or with an unroutable reply address, is dropped', () => {
  const hs = new Handshake({ identity: idB, random: seededRandom('f') });
  const fi: ForwardedIHelloChunk = { type: ChunkType.ForwardedIHello, epd: fingerprintEpd(idA.peerId), replyAddress: A, tag: new Uint8Array(16) };
  const fromS = { opened: true, farPeerId: idS.peerId };
  assert.equal(hs.receiveForwardedIHello(fi, fromS, 0), []);
  assert.is(hs.counters.drops.notSelected, 1);
  assert.equal(hs.receiveForwardedIHello({ ...fi, epd: fingerprintEpd(idB.peerId), replyAddress: v4(0, 0, 0, 0, 0) }, fromS, 0), []);
  assert.is(hs.counters.drops.malformed, 1);
});

intro('a Redirect with no addresses means "retry where this came from"; the learned cap is 24', () => {
  const hs = new Handshake({ identity: idA, random: seededRandom('r') });
  const { actions } = hs.open(fingerprintEpd(idB.peerId), [S], 0);
  const tag = ((actions[0] as SendStartupAction).chunk as { tag: Uint8Array }).tag;
  const other = v4(203, 0, 113, 77, 1935);
  const r0 = hs.receive({ type: ChunkType.Redirect, tagEcho: tag, redirectDestinations: [] }, { from: other, datagramLength: 36, sessionId: new Uint8Array(4) }, 1);
  assert.equal(r0.map((x) => (x as SendStartupAction).to.ip[3]), [77]);
  const many = Array.from({ length: 40 }, (_, i) => v4(10, 1, 0, i + 1, 1000));
  const r1 = hs.receive({ type: ChunkType.Redirect, tagEcho: tag, redirectDestinations: many }, { from: S, datagramLength: 300, sessionId: new Uint8Array(4) }, 2);
  assert.is(r1.length, 23, '24 learned in all, one of them from the empty Redirect');
  assert.is(hs.counters.drops.candidateCap, 17);
  // Mona's "peer gone" placeholder 0.0.0.0:0 is never a candidate.
  assert.equal(hs.receive({ type: ChunkType.Redirect, tagEcho: tag, redirectDestinations: [v4(0, 0, 0, 0, 0)] }, { from: S, datagramLength: 36, sessionId: new Uint8Array(4) }, 3), []);
  assert.is(hs.initiator.attempt(1)!.candidates.length, 25);
});
intro.run();

const lb = suite('handshake: load balancing (B.5)');

lb('a Redirect listing k servers and a Forwarded IHello to each, round robin', () => {
  const servers = [0, 1, 2].map((i) => ({ handle: `srv${i}`, farPeerId: new Uint8Array(32).fill(i), farCertificate: new Uint8Array(1), farAddress: v4(10, 9, 0, i, 1935) }));
  const balancer = new LoadBalancer(() => servers, 2);
  const ih = { type: ChunkType.IHello, epd: encodeEpd({ ancillaryData: 'live' }), tag: new Uint8Array(16).fill(9) } as const;
  const first = balancer.onIHello(ih, A);
  assert.equal(first.map((x) => x.kind), ['sendStartup', 'sendOnSession', 'sendOnSession']);
  const r = (first[0] as SendStartupAction).chunk as RedirectChunk;
  assert.equal(r.redirectDestinations.map((x) => x.ip[3]), [0, 1]);
  assert.equal(first.slice(1).map((x) => (x as SendOnSessionAction).session), ['srv0', 'srv1']);
  for (const f of first.slice(1)) assert.is(hex((f as SendOnSessionAction).chunk.replyAddress.ip), hex(A.ip));
  const second = balancer.onIHello(ih, A);
  assert.equal(second.slice(1).map((x) => (x as SendOnSessionAction).session), ['srv1', 'srv2']);
  assert.equal(new LoadBalancer(() => [], 1).onIHello(ih, A), []);
});

lb('a server behind the balancer answers the initiator directly and the handshake completes', () => {
  const net = new Network();
  const client = net.add('C', A, { identity: idA, random: seededRandom('C') });
  const srv = net.add('E', B, { identity: createServerIdentity({ hostname: 'echo' }), random: seededRandom('E') });
  const redirector = v4(203, 0, 113, 5, 1935);
  const balancer = new LoadBalancer(() => [{ handle: 'E', farPeerId: new Uint8Array(32), farCertificate: new Uint8Array(1), farAddress: B }], 1);
  // The redirector is not a node: deliver its actions by hand.
  const { actions } = client.hs.open(encodeEpd({ requiredHostname: 'echo' }), [redirector], 0);
  const ih = (actions[0] as SendStartupAction).chunk as { type: typeof ChunkType.IHello; epd: Uint8Array; tag: Uint8Array };
  const lbOut = balancer.onIHello(ih, A);
  client.hs.receive((lbOut[0] as SendStartupAction).chunk, { from: redirector, datagramLength: 36, sessionId: new Uint8Array(4) }, 1);
  // The server registered with the redirector: a session it opened.
  net.apply(srv, srv.hs.receiveForwardedIHello((lbOut[1] as SendOnSessionAction).chunk, { opened: true, farPeerId: new Uint8Array(32) }, 1));
  net.run(1);
  assert.is(client.established.length, 1);
  assert.is(srv.established.length, 1);
  assert.is(hex(client.established[0]!.farAddress.ip), hex(B.ip));
});
lb.run();

const glare = suite('handshake: glare and certificate override (B.1)');

glare('both ends open to each other at once: exactly one session, the larger peer ID initiates', () => {
  const net = new Network();
  const a = net.add('A', A, { identity: idA, random: seededRandom('gA') });
  const b = net.add('B', B, { identity: idB, random: seededRandom('gB') });
  const ra = a.hs.open(fingerprintEpd(idB.peerId), [B], 0);
  const rb = b.hs.open(fingerprintEpd(idA.peerId), [A], 0);
  net.apply(a, ra.actions);
  net.apply(b, rb.actions);
  net.run(0);
  for (let t = 1000; t <= 20000; t += 500) net.tick(t);
  assert.is(a.established.length, 1);
  assert.is(b.established.length, 1);
  const aLarger = compareBytes(idA.peerId, idB.peerId) > 0;
  const [big, small, smallAttempt] = aLarger ? [a, b, rb.attemptId] : [b, a, ra.attemptId];
  assert.is(big.established[0]!.role, 'initiator');
  assert.is(small.established[0]!.role, 'responder');
  assert.is(small.established[0]!.attemptId, smallAttempt, 'the yielding side folds its attempt into the session');
  assert.is(hex(big.established[0]!.farSessionId), hex(small.established[0]!.nearSessionId));
  assert.ok(big.hs.counters.drops.glareIgnored >= 1);
  assert.is(a.hs.initiator.size + b.hs.initiator.size, 0);
  assert.equal([...a.failed, ...b.failed], []);
});

glare('an RHello from a peer we already have a session with ends the attempt (duplicate suppression)', () => {
  const net = new Network();
  const a = net.add('A', A, { identity: idA, random: seededRandom('dA') });
  net.add('B', B, { identity: idB, random: seededRandom('dB') });
  net.apply(a, a.hs.open(fingerprintEpd(idB.peerId), [B], 0).actions);
  net.run(0);
  const second = a.hs.open(fingerprintEpd(idB.peerId), [B], 10);
  net.apply(a, second.actions);
  net.run(10);
  assert.equal(a.failed, [{ kind: 'attemptDeduplicated', attemptId: second.attemptId, session: 'B' }]);
  assert.is(a.established.length, 1);
});

glare('the same certificate from the same address replaces the stale session (7425 4.3.7)', () => {
  const net = new Network();
  const a = net.add('A', A, { identity: idA, random: seededRandom('oA') });
  const b = net.add('B', B, { identity: idB, random: seededRandom('oB') });
  net.apply(a, a.hs.open(fingerprintEpd(idB.peerId), [B], 0).actions);
  net.run(0);
  // A restarts: a fresh Handshake with the same identity and address opens again.
  const restarted = net.add('A', A, { identity: idA, random: seededRandom('oA2') });
  net.apply(restarted, restarted.hs.open(fingerprintEpd(idB.peerId), [B], 100).actions);
  net.run(100);
  assert.equal(b.other, [{ kind: 'replaceSession', session: 'A' }]);
  assert.is(b.established.length, 2);
  assert.is(restarted.established.length, 1);
});
glare.run();
