// Soak run (`npm run soak`; not part of `npm test`): the real-UDP, wall-clock original of the
// deterministic virtual-network test in test/. It needs an idle machine: its thresholds are real time.
// Hostile input over real UDP on 127.0.0.1: a flood of random datagrams and mutations of the
// session's own datagrams at a live server, and replays of genuine session datagrams. The server
// must keep serving its real sessions, account for every hostile datagram in its drop counters,
// answer no more than the anti-amplification budget allows, and still accept new sessions.
//
// Two real sessions run through it all: a Flash-profile one (no HMAC, no session sequence
// numbers: the 16-bit checksum is the only integrity check, as with librtmfp and Mona, D.2) and a
// hardened one (HMAC and sequence numbers required, rtmfp-cpp's `07` offers, D.3).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint, type EndpointCounters } from '../src/session/endpoint.js';
import { createFlashIdentity, createServerIdentity } from '../src/session/handshake/identity.js';
import { NegotiationFlag } from '../src/crypto/key-components.js';
import { openDatagram, startupEnvelope } from '../src/crypto/envelope.js';
import type { Session } from '../src/session/session.js';
import { UdpTransport, type UdpPeer } from '../src/transport/udp-transport.js';
import { formatIp, type SocketAddress } from '../src/transport/socket-address.js';
import { floodDatagrams, udpFlood, type FloodContent } from '../test/support/udp-flood.js';
import { message, sameBytes, Stream } from '../test/support/flood-stream.js';
import { SystemClock } from '../src/time/clock.js';

/** Paces the streams' writes in real time. */
const clock = new SystemClock();

const test = suite('hostile datagrams at a live endpoint');
const LOOP = '127.0.0.1';
const META = new TextEncoder().encode('flood-test');
/** The endpoint drops datagrams shorter than an SSID plus one AES block as `droppedShort`. */
const SHORT = 4 + 16;
/** Amplification factor of the handshake's guard (amplification.ts DEFAULT_AMPLIFICATION_FACTOR). */
const AMPLIFICATION = 5;
const ALL_FLAGS = NegotiationFlag.SendAlways | NegotiationFlag.SendOnRequest | NegotiationFlag.Request;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Every datagram an endpoint sends, as copies, with where it went. */
function tapSends(e: Endpoint): { datagram: Uint8Array; to: UdpPeer }[] {
  const log: { datagram: Uint8Array; to: UdpPeer }[] = [];
  const t = e.transport;
  const send = t.send.bind(t);
  t.send = (datagram: Uint8Array, to: SocketAddress | UdpPeer): void => {
    log.push({ datagram: datagram.slice(), to: { address: 'ip' in to ? formatIp(to) : to.address, port: to.port } });
    send(datagram, to as SocketAddress);
  };
  return log;
}

interface Rig {
  server: Endpoint;
  flash: Endpoint;
  hardened: Endpoint;
  flashSession: Session;
  hardenedSession: Session;
  serverFlash: Session;
  serverHardened: Session;
  sent: { flash: { datagram: Uint8Array; to: UdpPeer }[]; hardened: { datagram: Uint8Array; to: UdpPeer }[]; server: { datagram: Uint8Array; to: UdpPeer }[] };
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const flash = await Endpoint.listen({ host: LOOP });
  const hardened = await Endpoint.listen({
    host: LOOP,
    identity: createFlashIdentity({ initiatorIntegrity: { hmac: { flags: ALL_FLAGS, length: 10 }, sseq: { flags: ALL_FLAGS } } }),
  });
  const closeAll = async (): Promise<void> => {
    await flash.close();
    await hardened.close();
    await server.close();
  };
  try {
    const sent = { flash: tapSends(flash), hardened: tapSends(hardened), server: tapSends(server) };
    const to = [{ address: LOOP, port: server.address.port }];
    const accepted: Session[] = [];
    server.on('session', (s) => accepted.push(s));
    const flashSession = await flash.connect({ uri: 'rtmfp://localhost/app', addresses: to });
    const hardenedSession = await hardened.connect({ uri: 'rtmfp://localhost/app', addresses: to });
    await until(() => accepted.length === 2, 2000, 'two server sessions');
    const byPeer = (id: Uint8Array): Session => accepted.find((s) => sameBytes(s.farPeerId, id))!;
    const serverFlash = byPeer(flash.peerId);
    const serverHardened = byPeer(hardened.peerId);
    // What was negotiated is what this test is about (D.3).
    assert.is(flashSession.established.envelopes.send.hmacLength, 0);
    assert.is(flashSession.established.envelopes.send.sequenceNumbers, false);
    assert.is(hardenedSession.established.envelopes.send.hmacLength, 10);
    assert.is(hardenedSession.established.envelopes.send.sequenceNumbers, true);
    assert.is(serverHardened.established.envelopes.send.sequenceNumbers, true);
    return { server, flash, hardened, flashSession, hardenedSession, serverFlash, serverHardened, sent, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

function dropTotal(c: EndpointCounters): number {
  return c.droppedShort + c.droppedUnknownSession + c.droppedIntegrity + c.droppedMalformed + c.droppedReplay;
}

/** What the handshake did with startup input: each outcome is one counted drop or one answer. */
function handshakeOutcomes(e: Endpoint): number {
  const h = e.handshake.counters;
  return h.totalDrops + h.rhellosSent + h.rhellosResent + h.rikeyingsResent + h.cookieChangesSent;
}

const ssidOf = (d: Uint8Array): number => {
  const v = (i: number): number => ((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0;
  return (v(0) ^ v(4) ^ v(8)) >>> 0;
};

/**
 * Where the endpoint's receive path must send each flood datagram, computed offline from the
 * flood's seeded content: too short; names a live session (HMAC / checksum / sequence-number /
 * decode checks); or neither, so it is tried as a startup packet under the default key, which
 * either fails (unknown session) or opens and reaches the handshake.
 */
function classify(content: FloodContent, liveSsids: Set<number>): { short: number; sessionBound: number; unknown: number; startup: number; startupBytes: number } {
  const r = { short: 0, sessionBound: 0, unknown: 0, startup: 0, startupBytes: 0 };
  for (const { datagram: d } of floodDatagrams(content)) {
    if (d.length < SHORT) r.short++;
    else if (liveSsids.has(ssidOf(d))) r.sessionBound++;
    else {
      try {
        openDatagram(d, startupEnvelope());
        r.startup++;
        r.startupBytes += d.length;
      } catch {
        r.unknown++;
      }
    }
  }
  return r;
}

test('20,000 random and mutated datagrams at 20k/s: real flows intact, every datagram accounted, replies within budget, new sessions still open', async () => {
  const r = await rig();
  try {
    const { server } = r;
    const f = new Stream(1, r.flashSession, r.serverFlash, clock, META);
    const h = new Stream(2, r.hardenedSession, r.serverHardened, clock, META);
    // Real traffic before the flood, so the seeds include session datagrams carrying data and acks.
    f.write(40);
    h.write(40);
    await until(() => f.done && h.done, 5000, 'warm-up delivery');
    assert.is(f.bad + h.bad, 0);

    // Seeds: every datagram of the handshakes and sessions so far, both directions (IHello,
    // IIKeying, RHello, RIKeying, data, acks).
    const valid = [...r.sent.flash, ...r.sent.hardened, ...r.sent.server].map((x) => x.datagram);
    const content: FloodContent = { count: 20_000, seed: 0xf100d, valid, mutatedShare: 0.5, maxRandomBytes: 1500 };
    const liveSsids = new Set([...server.allSessions()].map((s) => new DataView(s.nearSessionId.buffer, s.nearSessionId.byteOffset, 4).getUint32(0)));
    const expected = classify(content, liveSsids);

    const before = { ...server.counters };
    const hsBefore = handshakeOutcomes(server);
    const serverSendsBefore = r.sent.server.length;
    const sessionPacketsBefore = r.serverFlash.counters.packetsIn + r.serverHardened.counters.packetsIn;

    // The real flows keep sending all through the flood and a little after it.
    f.start(2, 4, 100_000);
    h.start(2, 4, 100_000);
    const report = await udpFlood({ ...content, target: { address: LOOP, port: server.address.port }, ratePerSec: 20_000 });
    await sleep(200);
    f.stop();
    h.stop();
    await until(() => f.done && h.done, 10_000, 'delivery after the flood');
    await sleep(300); // the last acks
    const sentDuringFlood = f.sent + h.sent - 80;

    // The real flows: every message, intact and in order, while the flood ran.
    assert.is(f.bad, 0, 'flash-profile flow corrupted');
    assert.is(h.bad, 0, 'hardened flow corrupted');
    assert.ok(sentDuringFlood > 200, `real messages during the flood: ${sentDuringFlood}`);
    assert.ok(r.flashSession.open && r.hardenedSession.open && r.serverFlash.open && r.serverHardened.open, 'sessions still open');
    // Nothing threw inside the receive path (the transport would count and swallow it).
    assert.is(server.transport.counters.ownerErrors, 0);
    assert.is((server.transport as UdpTransport).counters.socketErrors, 0);
    assert.is(report.sent, content.count);
    assert.not.ok(report.stoppedEarly);

    // Accounting. Every datagram the server read was dropped under a counter, handed to a session
    // (the real clients' packets), or taken by the handshake. The flood datagrams that arrived are
    // those read minus those handed to the two sessions; the rest never left the kernel: a
    // loaded 2-core machine lets the socket buffer overflow (libuv reads 32 datagrams per
    // socket per loop turn while the flood, in this same process, sends up to 1000 per tick).
    const c = server.counters;
    const d = (k: keyof EndpointCounters): number => c[k] - before[k];
    const toSessions = r.serverFlash.counters.packetsIn + r.serverHardened.counters.packetsIn - sessionPacketsBefore;
    const arrived = d('datagramsIn') - toSessions;
    const lost = report.sent - arrived;
    const startupOutcomes = handshakeOutcomes(server) - hsBefore;
    const accounted = dropTotal(c) - dropTotal(before) + startupOutcomes;
    console.log(
      `  flood: ${report.sent} sent in ${report.elapsedMs.toFixed(0)} ms (${report.random} random, ${report.mutated} mutated), ${arrived} arrived; ` +
        `short ${d('droppedShort')}/${expected.short}, unknown session ${d('droppedUnknownSession')}/${expected.unknown}, ` +
        `integrity ${d('droppedIntegrity')} + replay ${d('droppedReplay')} + malformed ${d('droppedMalformed')} of ${expected.sessionBound} session-bound + ${expected.startup} startup; ` +
        `handshake outcomes ${startupOutcomes}; ${report.replies} replies; ${f.sent + h.sent} real messages`,
    );
    assert.ok(lost >= 0 && lost <= report.sent * 0.4, `flood datagrams lost before the endpoint: ${lost}`);
    // The offline classification predicts each counter exactly when nothing is lost; a lost
    // datagram can take one away from any of them.
    assert.ok(d('droppedShort') <= expected.short && d('droppedShort') >= expected.short - lost, `droppedShort ${d('droppedShort')} vs ${expected.short}`);
    assert.ok(
      d('droppedUnknownSession') <= expected.unknown && d('droppedUnknownSession') >= expected.unknown - lost,
      `droppedUnknownSession ${d('droppedUnknownSession')} vs ${expected.unknown}`,
    );
    assert.ok(expected.sessionBound > 1000 && expected.unknown > 1000 && expected.short > 500, 'the flood reached every receive-path branch');
    // Session-bound datagrams are dropped as integrity / replay / malformed; startup packets that
    // open under the default key (mutations of the SSID bytes of real startup datagrams) are
    // counted by the handshake, as a drop or as an answer (RHello, Cookie Change). Not counted
    // anywhere: a startup packet holding only unknown chunk types (none in this seeded flood),
    // and a session-bound mutation that passes the Flash profile's 16-bit checksum (1 in 65536
    // per mutation) and is handed to its session, where it is counted as a session packet.
    assert.ok(Math.abs(arrived - accounted) <= 5, `flood datagrams arrived ${arrived}, accounted ${accounted}`);
    assert.ok(d('droppedIntegrity') + d('droppedReplay') + d('droppedMalformed') <= expected.sessionBound + expected.startup);

    // Replies: the flood's socket got only handshake answers (and at most a nonce Ping, B.7, per
    // session-bound datagram that passed a checksum), within the amplification budget of what
    // it sent that opened as startup packets.
    const toFlood = r.sent.server.slice(serverSendsBefore).filter((x) => x.to.port !== r.flash.address.port && x.to.port !== r.hardened.address.port);
    const replyBytes = toFlood.reduce((n, x) => n + x.datagram.length, 0);
    const mobilityPings = r.serverFlash.counters.addressChangesSeen + r.serverHardened.counters.addressChangesSeen;
    assert.ok(report.replies <= toFlood.length, `replies ${report.replies} > sends ${toFlood.length}`);
    assert.ok(toFlood.length <= expected.startup + mobilityPings, `sends to the flood ${toFlood.length}`);
    assert.ok(replyBytes <= AMPLIFICATION * expected.startupBytes + 1280 * mobilityPings, `reply bytes ${replyBytes} vs budget ${AMPLIFICATION * expected.startupBytes}`);
    assert.is(r.serverFlash.counters.addressChangesApplied + r.serverHardened.counters.addressChangesApplied, 0, 'no session moved to the flood');

    // A new client still gets in and is served.
    const fresh = await Endpoint.listen({ host: LOOP });
    try {
      const got = new Promise<Uint8Array>((res) => server.once('session', (s) => s.once('message', (_f, m) => res(m.slice()))));
      const s = await fresh.connect({ uri: 'rtmfp://localhost/app', addresses: [{ address: LOOP, port: server.address.port }] });
      s.openFlow(META).write(message(9, 1));
      assert.ok(sameBytes(await got, message(9, 1)));
    } finally {
      await fresh.close();
    }
  } finally {
    await r.close();
  }
});

test('a genuine session datagram replayed 100 times from its own source and 100 times from elsewhere changes nothing', async () => {
  const r = await rig();
  const attacker = await UdpTransport.open({ host: LOOP, port: 0, onBatch: () => undefined });
  try {
    const { server } = r;
    const f = new Stream(3, r.flashSession, r.serverFlash, clock, META);
    const h = new Stream(4, r.hardenedSession, r.serverHardened, clock, META);
    const flashMark = r.sent.flash.length;
    const hardenedMark = r.sent.hardened.length;
    f.write(60);
    h.write(60);
    await until(() => f.done && h.done, 5000, 'first delivery');
    // A datagram that carried user data (the largest are full of fragments).
    const pick = (log: { datagram: Uint8Array }[]): Uint8Array => {
      let best: Uint8Array = new Uint8Array(0);
      for (const x of log) if (x.datagram.length > best.length) best = x.datagram;
      return best;
    };
    const flashDatagram = pick(r.sent.flash.slice(flashMark));
    const hardenedDatagram = pick(r.sent.hardened.slice(hardenedMark));
    assert.ok(flashDatagram.length > 1000 && hardenedDatagram.length > 1000);

    const before = { ...server.counters };
    const flashIn = r.serverFlash.counters.packetsIn;
    const hardenedIn = r.serverHardened.counters.packetsIn;
    const flashFar = { ...r.serverFlash.farAddress };
    const received = f.received + h.received;
    const serverAt = { address: LOOP, port: server.address.port };
    for (let i = 0; i < 100; i++) {
      // From the real clients' sockets (an on-path attacker spoofing the source) ...
      (r.flash.transport as UdpTransport).send(flashDatagram, serverAt);
      (r.hardened.transport as UdpTransport).send(hardenedDatagram, serverAt);
      // ... and from a socket of the attacker's own.
      attacker.send(flashDatagram, serverAt);
      attacker.send(hardenedDatagram, serverAt);
      if (i % 10 === 9) await sleep(2);
    }
    await until(() => server.counters.datagramsIn - before.datagramsIn >= 400, 3000, '400 replays to arrive');
    await sleep(100);

    // Hardened session: every replay is refused by its session sequence number (A.3), before the
    // session sees it.
    assert.is(server.counters.droppedReplay - before.droppedReplay, 200);
    assert.ok(r.serverHardened.counters.packetsIn - hardenedIn < 10, `hardened session packets in: ${r.serverHardened.counters.packetsIn - hardenedIn}`);
    assert.is(r.serverHardened.counters.addressChangesSeen, 0, 'refused before the session saw the attacker address');
    // Flash profile (no sequence numbers): the checksum passes, so the session takes each replay
    // as a duplicate packet; the flow ignores fragments it already has and delivers nothing twice.
    assert.ok(r.serverFlash.counters.packetsIn - flashIn >= 200, `flash session packets in: ${r.serverFlash.counters.packetsIn - flashIn}`);
    assert.is(f.received + h.received, received, 'no message delivered twice');
    // The attacker's address is only a candidate: it never echoes the nonce, so nothing moves (B.7).
    assert.ok(r.serverFlash.counters.addressChangesSeen >= 1);
    assert.is(r.serverFlash.counters.addressChangesApplied, 0);
    assert.is(r.serverFlash.farAddress.port, flashFar.port);
    assert.is(server.counters.droppedIntegrity - before.droppedIntegrity, 0);
    assert.is(server.counters.droppedMalformed - before.droppedMalformed, 0);

    // Both flows carry on unaffected.
    f.write(60);
    h.write(60);
    await until(() => f.done && h.done, 5000, 'delivery after the replays');
    assert.is(f.received, 120);
    assert.is(h.received, 120);
    assert.is(f.bad + h.bad, 0);
  } finally {
    await attacker.close();
    await r.close();
  }
});

test('a captured IHello replayed 2,000 times from one address: answers stay within the rate limit and the amplification budget', async () => {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const client = await Endpoint.listen({ host: LOOP });
  const sends = tapSends(client);
  const serverSends = tapSends(server);
  let replies = 0;
  let replyBytes = 0;
  const attacker = await UdpTransport.open({
    host: LOOP,
    port: 0,
    onBatch: (b) => {
      replies += b.datagrams.length;
      replyBytes += b.bytes;
    },
  });
  try {
    await client.connect({ uri: 'rtmfp://localhost/app', addresses: [{ address: LOOP, port: server.address.port }] });
    const ihello = sends[0]!.datagram;
    // The first datagram of a connect is the IHello: it opens under the default key, SSID 0.
    assert.is(ssidOf(ihello), 0);
    assert.ok(openDatagram(ihello, startupEnvelope()).packet.length > 0);
    const before = handshakeOutcomes(server);
    const rhellosBefore = server.handshake.counters.rhellosSent + server.handshake.counters.rhellosResent;
    const serverSendsBefore = serverSends.length;
    const serverAt = { address: LOOP, port: server.address.port };
    for (let i = 0; i < 2000; i++) {
      attacker.send(ihello, serverAt);
      if (i % 100 === 99) await sleep(2);
    }
    await until(() => handshakeOutcomes(server) - before >= 2000, 5000, 'the handshake to see 2000 IHellos');
    await sleep(50);
    const h = server.handshake.counters;
    const answered = h.rhellosSent + h.rhellosResent - rhellosBefore;
    console.log(
      `  IHello x2000 (${ihello.length} bytes each): ${answered} RHellos (${replyBytes} bytes) back, rate-limited ${h.drops.rateLimited}, amplification-refused ${h.drops.amplification}`,
    );
    // Every IHello is one outcome: an answer or a counted drop.
    assert.is(handshakeOutcomes(server) - before, 2000);
    assert.is(serverSends.length - serverSendsBefore, answered, 'only RHellos went out');
    assert.is(replies, answered);
    // Unverified address: never more than the factor times what it sent (amplification.ts).
    assert.ok(replyBytes <= AMPLIFICATION * 2000 * ihello.length, `reply bytes ${replyBytes}`);
    // The per-address rate limit answers only a small part of a burst.
    assert.ok(answered >= 1 && answered < 200, `answered ${answered}`);
    assert.ok(h.drops.rateLimited > 1000, `rate-limited ${h.drops.rateLimited}`);
    assert.is(server.sessionCount, 1);
  } finally {
    await attacker.close();
    await client.close();
    await server.close();
  }
});

test.run();
