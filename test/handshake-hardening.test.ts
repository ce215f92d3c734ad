// Hardening of the startup handshake (issue 9 items 1 and 2; docs/sessions.md "Hardening"):
// amplification (one hello per datagram, one credit per datagram, an empty EPD selects nothing,
// rate limits per port, per IP and per IPv6 /64) and reflection (Forwarded IHellos only from
// trusted forwarders, and budgeted). Fixed inputs and explicit times; no sockets.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCertificate } from '../src/crypto/certificate.js';
import { AddressOrigin, type SocketAddress } from '../src/wire/address.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import { chunkBodyLength, type AnyChunk } from '../src/wire/chunk.js';
import type { ForwardedIHelloChunk, IHelloChunk } from '../src/wire/chunks/hello.js';
import { encodeEpd, fingerprintEpd } from '../src/wire/epd.js';
import {
  createFlashIdentity,
  createServerIdentity,
  DEFAULT_AMPLIFICATION_FACTOR,
  Handshake,
  identityFromCertificate,
  LoadBalancer,
  startupDatagramLength,
  type HandshakeAction,
  type SendStartupAction,
} from '../src/session/handshake/index.js';
import { Network, seededRandom, v4 } from './handshake-support.js';

const server = createServerIdentity();
const peerA = createFlashIdentity();
const peerB = createFlashIdentity();
const FACTOR = DEFAULT_AMPLIFICATION_FACTOR;
const VICTIM = v4(192, 0, 2, 77, 40000);
const ZERO_SSID = new Uint8Array(4);

/** Size of one startup datagram carrying `chunks` (wire-reference A.2-A.5; cf. startupDatagramLength). */
function datagramLength(chunks: readonly AnyChunk[]): number {
  let plain = 2 + 1 + 2;
  for (const c of chunks) plain += 3 + chunkBodyLength(c);
  return 4 + Math.ceil(plain / 16) * 16;
}

function ihello(epd: Uint8Array, tag: Uint8Array): IHelloChunk {
  return { type: ChunkType.IHello, epd, tag };
}

function sends(actions: readonly HandshakeAction[]): SendStartupAction[] {
  return actions.filter((a): a is SendStartupAction => a.kind === 'sendStartup');
}

function bytesOut(actions: readonly HandshakeAction[]): number {
  return sends(actions).reduce((n, a) => n + startupDatagramLength(chunkBodyLength(a.chunk)), 0);
}

function v6(prefix: number, iid: number, port: number): SocketAddress {
  const ip = new Uint8Array(16);
  ip.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, prefix]);
  new DataView(ip.buffer).setUint32(12, iid);
  return { family: 6, ip, port, origin: AddressOrigin.Unknown };
}

function v4Mapped(a: number, b: number, port: number): SocketAddress {
  const ip = new Uint8Array(16);
  ip.set([0xff, 0xff, 198, 18, a, b], 10);
  return { family: 6, ip, port, origin: AddressOrigin.Unknown };
}

const amp = suite('hardening: amplification');

amp('a 16-IHello datagram (URI EPD, 1-byte tags) gets one RHello, within the factor', () => {
  const hs = new Handshake({ identity: server, random: seededRandom('16') });
  const chunks = Array.from({ length: 16 }, (_, i) => ihello(encodeEpd({ ancillaryData: 'live' }), new Uint8Array([i])));
  const len = datagramLength(chunks);
  const out = hs.receiveDatagram(chunks, { from: VICTIM, datagramLength: len, sessionId: ZERO_SSID }, 0);
  assert.is(sends(out).length, 1, 'one answer per datagram');
  assert.ok(bytesOut(out) <= FACTOR * len, `${bytesOut(out)} bytes back for ${len}`);
  assert.is(hs.counters.drops.extraHello, 15);
  // The same datagram again and again (until the rate limit): never more than the factor overall.
  let inBytes = len;
  let outBytes = bytesOut(out);
  for (let t = 1; t <= 100; t++) {
    inBytes += len;
    outBytes += bytesOut(hs.receiveDatagram(chunks, { from: VICTIM, datagramLength: len, sessionId: ZERO_SSID }, t));
  }
  assert.ok(outBytes <= FACTOR * inBytes, `${outBytes} bytes back for ${inBytes}`);
  assert.ok(hs.amplification.charged <= FACTOR * hs.amplification.credited);
});

amp('the datagram is credited once, however many hellos it carries', () => {
  const hs = new Handshake({ identity: server, random: seededRandom('c1') });
  const chunks = Array.from({ length: 8 }, (_, i) => ihello(encodeEpd({ ancillaryData: 'rtmfp://host/app' }), new Uint8Array([i])));
  const len = datagramLength(chunks);
  hs.receiveDatagram(chunks, { from: VICTIM, datagramLength: len, sessionId: ZERO_SSID }, 0);
  assert.is(hs.amplification.credited, len);
});

amp('an empty EPD selects nothing: no answer, counted', () => {
  const hs = new Handshake({ identity: server, random: seededRandom('e') });
  const chunk = ihello(new Uint8Array(0), new Uint8Array([1]));
  assert.equal(hs.receive(chunk, { from: VICTIM, datagramLength: datagramLength([chunk]), sessionId: ZERO_SSID }, 0), []);
  assert.is(hs.counters.drops.notSelected, 1);
  // Empty ancillary data names nothing either; a peer (no 0x0a in its certificate) ignores URIs.
  assert.equal(hs.receive(ihello(encodeEpd({ ancillaryData: new Uint8Array(0) }), new Uint8Array([2])), { from: VICTIM, datagramLength: 36, sessionId: ZERO_SSID }, 1), []);
  const peer = new Handshake({ identity: peerA, random: seededRandom('e2') });
  assert.equal(peer.receive(ihello(new Uint8Array(0), new Uint8Array([3])), { from: VICTIM, datagramLength: 36, sessionId: ZERO_SSID }, 0), []);
  // A load balancer does not redirect it either.
  const lb = new Handshake({
    identity: server,
    random: seededRandom('e3'),
    loadBalancer: new LoadBalancer(() => [{ handle: 'srv', farPeerId: new Uint8Array(32), farCertificate: new Uint8Array(1), farAddress: v4(10, 0, 0, 1, 1935) }]),
  });
  assert.equal(lb.receive(chunk, { from: VICTIM, datagramLength: 36, sessionId: ZERO_SSID }, 0), []);
  assert.is(lb.counters.loadBalanced, 0);
  // What does select us still works: a URI for a server, a fingerprint for a peer.
  assert.is(hs.receive(ihello(encodeEpd({ ancillaryData: 'rtmfp://host/app' }), new Uint8Array(16)), { from: VICTIM, datagramLength: 52, sessionId: ZERO_SSID }, 2).length, 1);
  assert.is(peer.receive(ihello(fingerprintEpd(peerA.peerId), new Uint8Array(16)), { from: VICTIM, datagramLength: 68, sessionId: ZERO_SSID }, 1).length, 1);
});

amp('many ports of one IPv4 address share one rate-limit budget (and one amplification account)', () => {
  const hs = new Handshake({ identity: server, random: seededRandom('p') });
  const epd = encodeEpd({ ancillaryData: 'live' });
  let answered = 0;
  let inBytes = 0;
  let outBytes = 0;
  // 1000 ports, two IHellos each, all at once: a fresh per-port burst would answer every one.
  for (let port = 1000; port < 2000; port++) {
    for (let k = 0; k < 2; k++) {
      const from = { ...VICTIM, port };
      const out = hs.receive(ihello(epd, new Uint8Array(16).fill(k)), { from, datagramLength: 36, sessionId: ZERO_SSID }, 0);
      inBytes += 36;
      outBytes += bytesOut(out);
      answered += sends(out).length;
    }
  }
  const hostBurst = hs.responder.rateLimiter.burst * 4;
  assert.ok(answered <= hostBurst, `answered ${answered} of 2000 from one IP (host burst ${hostBurst})`);
  assert.ok(hs.responder.rateLimiter.limitedBy.host > 1900);
  assert.ok(outBytes <= FACTOR * inBytes);
  // Refill is per IP too: one second later, at most its rate more.
  let later = 0;
  for (let port = 3000; port < 3200; port++) later += sends(hs.receive(ihello(epd, new Uint8Array(16)), { from: { ...VICTIM, port }, datagramLength: 36, sessionId: ZERO_SSID }, 1000)).length;
  assert.ok(later <= hs.responder.rateLimiter.perSecond * 4 + 1, `answered ${later} a second later`);
  // Another IP is unaffected.
  assert.is(sends(hs.receive(ihello(epd, new Uint8Array(16)), { from: v4(192, 0, 2, 78, 1), datagramLength: 36, sessionId: ZERO_SSID }, 1000)).length, 1);
});

amp('the ports of one address draw on one amplification budget', () => {
  // No rate limit here: only the budget. Port 1 sends a big datagram (its credit), ports 2.. small
  // ones; what all ports get back together stays within the factor of what all of them sent.
  const hs = new Handshake({ identity: server, random: seededRandom('b'), rateLimit: { burst: 1e9, perSecond: 0 } });
  const g = hs.amplification;
  g.received({ ...VICTIM, port: 1 }, 100, 0);
  assert.is(g.budget({ ...VICTIM, port: 2 }, 0), 500, 'credit of port 1 is the address budget');
  assert.ok(g.trySend({ ...VICTIM, port: 2 }, 300, 0));
  assert.not.ok(g.trySend({ ...VICTIM, port: 3 }, 300, 0), 'port 3 finds the budget spent by port 2');
  assert.is(g.budget({ ...VICTIM, port: 1 }, 0), 200);
  // Verification stays exact: a cookie echoed from port 1 proves nothing about port 2.
  g.verify({ ...VICTIM, port: 1 }, 0);
  assert.is(g.budget({ ...VICTIM, port: 1 }, 0), Infinity);
  assert.is(g.budget({ ...VICTIM, port: 2 }, 0), 200);
});

amp('an IPv6 /64 shares one rate-limit budget and one amplification account', () => {
  const hs = new Handshake({ identity: server, random: seededRandom('6') });
  const epd = encodeEpd({ ancillaryData: 'live' });
  let answered = 0;
  // 1000 addresses of one /64, one IHello each: a per-address burst would answer all of them.
  for (let iid = 1; iid <= 1000; iid++) answered += sends(hs.receive(ihello(epd, new Uint8Array(16)), { from: v6(1, iid, 5000), datagramLength: 36, sessionId: ZERO_SSID }, 0)).length;
  const prefixBurst = hs.responder.rateLimiter.burst * 8;
  assert.ok(answered <= prefixBurst, `answered ${answered} of 1000 from one /64 (prefix burst ${prefixBurst})`);
  assert.ok(hs.responder.rateLimiter.limitedBy.prefix > 800);
  // Another /64 is unaffected.
  assert.is(sends(hs.receive(ihello(epd, new Uint8Array(16)), { from: v6(2, 1, 5000), datagramLength: 36, sessionId: ZERO_SSID }, 0)).length, 1);
  // One budget for the /64.
  const g = hs.amplification;
  g.received(v6(3, 1, 1), 100, 0);
  assert.is(g.budget(v6(3, 99, 2), 0), 500);
  // IPv4-mapped IPv6 (a dual-stack socket's IPv4 peers) keys as IPv4: no shared ::ffff:0:0/64.
  const free = new Handshake({ identity: server, random: seededRandom('m') });
  let mapped = 0;
  for (let i = 0; i < 300; i++) mapped += sends(free.receive(ihello(epd, new Uint8Array(16)), { from: v4Mapped(i >> 8, i & 255, 5000), datagramLength: 36, sessionId: ZERO_SSID }, 0)).length;
  assert.is(mapped, 300);
});
amp.run();

const refl = suite('hardening: reflection through Forwarded IHellos');

function forwarded(tag = new Uint8Array(16).fill(5)): ForwardedIHelloChunk {
  return { type: ChunkType.ForwardedIHello, epd: fingerprintEpd(peerB.peerId), replyAddress: VICTIM, tag };
}

refl('a Forwarded IHello on a session the far end opened is refused and counted', () => {
  const hs = new Handshake({ identity: peerB, random: seededRandom('u') });
  assert.equal(hs.receiveForwardedIHello(forwarded(), { opened: false, farPeerId: peerA.peerId }, 0), []);
  assert.is(hs.counters.drops.untrustedForwarder, 1);
  assert.is(hs.counters.rhellosSent, 0);
});

refl('on a session we opened (a server we connected to) it is answered', () => {
  const hs = new Handshake({ identity: peerB, random: seededRandom('t') });
  const out = hs.receiveForwardedIHello(forwarded(), { opened: true, farPeerId: server.peerId }, 0);
  assert.equal(sends(out).map((a) => [a.chunk.type, a.to.port]), [[ChunkType.RHello, VICTIM.port]]);
  assert.is(hs.counters.forwardedAnswered, 1);
  // Unless the operator turned that off.
  const strict = new Handshake({ identity: peerB, random: seededRandom('t2'), forwarders: { opened: false } });
  assert.equal(strict.receiveForwardedIHello(forwarded(), { opened: true, farPeerId: server.peerId }, 0), []);
  assert.is(strict.counters.drops.untrustedForwarder, 1);
});

refl('a configured peer ID is trusted whichever side opened the session', () => {
  const hs = new Handshake({ identity: peerB, random: seededRandom('c'), forwarders: { peerIds: [server.peerId] } });
  assert.is(sends(hs.receiveForwardedIHello(forwarded(), { opened: false, farPeerId: server.peerId }, 0)).length, 1);
  assert.equal(hs.receiveForwardedIHello(forwarded(), { opened: false, farPeerId: peerA.peerId }, 0), []);
});

refl('what we send for a trusted forwarder is budgeted against the reply address', () => {
  // A big certificate makes the RHello more than FACTOR times the forwarded IHello (1-byte tag):
  // a direct IHello that small would not be answered, so a forwarded one is not either.
  const big = identityFromCertificate(encodeCertificate({ hostname: 'h'.repeat(600), acceptsAncillaryData: true, ephemeralGroups: [2] }), new Map());
  const hs = new Handshake({ identity: big, random: seededRandom('g') });
  const fi: ForwardedIHelloChunk = { type: ChunkType.ForwardedIHello, epd: encodeEpd({ ancillaryData: 'live' }), replyAddress: VICTIM, tag: new Uint8Array([1]) };
  assert.equal(hs.receiveForwardedIHello(fi, { opened: true, farPeerId: server.peerId }, 0), []);
  assert.is(hs.counters.drops.amplification, 1);
  assert.is(hs.amplification.charged, 0);
  // A normal server certificate and a 16-byte tag fit (36 -> 180 bytes, as direct): answered,
  // and charged to the victim's account.
  const ok = new Handshake({ identity: server, random: seededRandom('g2') });
  const out = ok.receiveForwardedIHello({ ...fi, tag: new Uint8Array(16) }, { opened: true, farPeerId: server.peerId }, 0);
  assert.is(sends(out).length, 1);
  assert.is(ok.amplification.charged, bytesOut(out));
  assert.ok(ok.amplification.charged <= FACTOR * ok.amplification.credited);
});

refl('in the harness: a peer that accepted a session refuses hellos forwarded on it; introductions through a server still work', () => {
  const net = new Network();
  const A = v4(192, 0, 2, 10, 50000);
  const B = v4(198, 51, 100, 20, 50001);
  const S = v4(203, 0, 113, 1, 1935);
  const a = net.add('A', A, { identity: peerA, random: seededRandom('hA') });
  const b = net.add('B', B, { identity: peerB, random: seededRandom('hB') });
  const s = net.add('S', S, { identity: server, random: seededRandom('hS'), introductions: true });
  // A opens a P2P session to B: B is its responder, so A is not trusted to forward to B.
  net.apply(a, a.hs.open(fingerprintEpd(peerB.peerId), [B], 0).actions);
  net.run(0);
  assert.is(b.established.length, 1);
  net.apply(a, [{ kind: 'sendOnSession', session: 'B', chunk: forwarded() }]);
  net.run(1);
  assert.is(b.hs.counters.drops.untrustedForwarder, 1);
  assert.not.ok(net.log.some((d) => d.from === 'B' && d.chunk.type === ChunkType.RHello && d.to === net.nameOf(VICTIM)));
  // B registers with S (B opens); S may then introduce a newcomer C to B.
  net.apply(b, b.hs.open(encodeEpd({ ancillaryData: 'rtmfp://s/app' }), [S], 2).actions);
  net.run(2);
  const c = net.add('C', v4(192, 0, 2, 30, 50002), { identity: createFlashIdentity(), random: seededRandom('hC') });
  net.apply(c, c.hs.open(fingerprintEpd(peerB.peerId), [S], 3).actions);
  net.run(3);
  assert.is(s.hs.counters.introductions, 1);
  assert.ok(c.established.some((x) => x.farPeerId.every((v, i) => v === peerB.peerId[i])), 'C reached B through S');
  assert.is(b.hs.counters.drops.untrustedForwarder, 1, 'the forward from S was trusted');
});
refl.run();
