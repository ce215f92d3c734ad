// Hostile input at a live endpoint, on the virtual network under a ManualClock: a flood of random
// datagrams and mutations of the session's own datagrams, and replays of genuine session
// datagrams. The server must keep serving its real sessions, account for every hostile datagram
// in its drop counters (no kernel buffer loses any here, so the accounting is exact), answer no
// more than the anti-amplification budget allows, and still accept new sessions. Deterministic:
// the flood's rate and the real flows' pace are virtual time. The same flood over real UDP is a
// soak run (soak/flood.soak.ts); a short real-UDP flood is in session-flood-udp.test.ts.
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
import { ManualClock } from '../src/time/clock.js';
import { runUntil, settle } from '../src/time/run-until.js';
import { VirtualNetwork } from '../src/transport/virtual-network.js';
import type { VirtualPort } from '../src/transport/virtual-port.js';
import { sameSocketAddress, type SocketAddress } from '../src/transport/socket-address.js';
import { floodDatagrams, type FloodContent } from './support/udp-flood.js';
import { message, sameBytes, Stream } from './support/flood-stream.js';

const test = suite('hostile datagrams at a live endpoint (virtual network)');
const SERVER_IP = '20.1.1.1';
const META = new TextEncoder().encode('flood-test');
/** The endpoint drops datagrams shorter than an SSID plus one AES block as `droppedShort`. */
const SHORT = 4 + 16;
/** Amplification factor of the handshake's guard (amplification.ts DEFAULT_AMPLIFICATION_FACTOR). */
const AMPLIFICATION = 5;
const ALL_FLAGS = NegotiationFlag.SendAlways | NegotiationFlag.SendOnRequest | NegotiationFlag.Request;

interface Sent {
  datagram: Uint8Array;
  to: SocketAddress;
}

/** Every datagram an endpoint sends, as copies, with where it went. */
function tapSends(e: Endpoint): Sent[] {
  const log: Sent[] = [];
  const t = e.transport;
  const send = t.send.bind(t);
  t.send = (datagram: Uint8Array, to: SocketAddress): void => {
    log.push({ datagram: datagram.slice(), to });
    send(datagram, to);
  };
  return log;
}

interface Rig {
  clock: ManualClock;
  net: VirtualNetwork;
  server: Endpoint;
  serverAt: SocketAddress;
  flash: Endpoint;
  hardened: Endpoint;
  flashSession: Session;
  hardenedSession: Session;
  serverFlash: Session;
  serverHardened: Session;
  sent: { flash: Sent[]; hardened: Sent[]; server: Sent[] };
  until(cond: () => boolean, maxMs?: number): Promise<number>;
  close(): Promise<void>;
}

async function rig(seed: number): Promise<Rig> {
  const clock = new ManualClock(1000, seed);
  const net = new VirtualNetwork({ clock, seed, defaultPath: { latencyMs: 1 } });
  const server = await Endpoint.listen({ transport: net.bind({ host: SERVER_IP, port: 1935 }), clock, identity: createServerIdentity() });
  const flash = await Endpoint.listen({ transport: net.bind(), clock });
  const hardened = await Endpoint.listen({
    transport: net.bind(),
    clock,
    identity: createFlashIdentity({ initiatorIntegrity: { hmac: { flags: ALL_FLAGS, length: 10 }, sseq: { flags: ALL_FLAGS } } }),
  });
  const until = (cond: () => boolean, maxMs = 10_000): Promise<number> => runUntil(clock, cond, { maxMs });
  const closeAll = async (): Promise<void> => {
    await settle(clock, Promise.all([flash.close(), hardened.close(), server.close()]));
    net.close();
  };
  try {
    const sent = { flash: tapSends(flash), hardened: tapSends(hardened), server: tapSends(server) };
    const to = [{ address: SERVER_IP, port: 1935 }];
    const accepted: Session[] = [];
    server.on('session', (s) => accepted.push(s));
    const flashSession = await settle(clock, flash.connect({ uri: 'rtmfp://server/app', addresses: to }));
    const hardenedSession = await settle(clock, hardened.connect({ uri: 'rtmfp://server/app', addresses: to }));
    await until(() => accepted.length === 2);
    const byPeer = (id: Uint8Array): Session => accepted.find((s) => sameBytes(s.farPeerId, id))!;
    const serverFlash = byPeer(flash.peerId);
    const serverHardened = byPeer(hardened.peerId);
    // What was negotiated is what this test is about (D.3).
    assert.is(flashSession.established.envelopes.send.hmacLength, 0);
    assert.is(flashSession.established.envelopes.send.sequenceNumbers, false);
    assert.is(hardenedSession.established.envelopes.send.hmacLength, 10);
    assert.is(hardenedSession.established.envelopes.send.sequenceNumbers, true);
    assert.is(serverHardened.established.envelopes.send.sequenceNumbers, true);
    const serverAt = server.transport.localAddress;
    return { clock, net, server, serverAt, flash, hardened, flashSession, hardenedSession, serverFlash, serverHardened, sent, until, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

interface FloodReport {
  sent: number;
  random: number;
  mutated: number;
  replies: number;
  done: boolean;
}

/**
 * Sends the flood from a port of its own at `ratePerSec` of virtual time (one burst per virtual
 * ms); `done` once every datagram is sent. Replies to the flood's port are counted.
 */
function virtualFlood(r: Rig, content: FloodContent, ratePerSec: number): { report: FloodReport; port: VirtualPort } {
  const report: FloodReport = { sent: 0, random: 0, mutated: 0, replies: 0, done: false };
  const port = r.net.bind();
  port.attach((b) => (report.replies += b.datagrams.length));
  const source = floodDatagrams(content);
  const t0 = r.clock.now();
  const tick = (): void => {
    const due = Math.min(content.count, Math.floor(((r.clock.now() - t0) * ratePerSec) / 1000) + 1);
    while (report.sent < due) {
      const d = source.next().value!;
      port.send(d.datagram, r.serverAt);
      report.sent++;
      if (d.kind === 'random') report.random++;
      else report.mutated++;
    }
    if (report.sent < content.count) r.clock.setTimer(r.clock.now() + 1, tick);
    else report.done = true;
  };
  tick();
  return { report, port };
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
  const r = await rig(0xf1);
  try {
    const { server, clock } = r;
    const f = new Stream(1, r.flashSession, r.serverFlash, clock, META);
    const h = new Stream(2, r.hardenedSession, r.serverHardened, clock, META);
    // Real traffic before the flood, so the seeds include session datagrams carrying data and acks.
    f.write(40);
    h.write(40);
    await r.until(() => f.done && h.done);
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

    // The real flows keep sending all through the flood (1 s of virtual time) and a little after.
    f.start(2, 4);
    h.start(2, 4);
    const { report, port: floodPort } = virtualFlood(r, content, 20_000);
    await r.until(() => report.done, 5_000);
    const floodEnd = clock.now();
    await r.until(() => clock.now() >= floodEnd + 200);
    f.stop();
    h.stop();
    await r.until(() => f.done && h.done);
    // The last acks, and any reply still on its way to the flood's port.
    const quiet = clock.now() + 300;
    await r.until(() => clock.now() >= quiet);
    const sentDuringFlood = f.sent + h.sent - 80;

    // The real flows: every message, intact and in order, while the flood ran.
    assert.is(f.bad, 0, 'flash-profile flow corrupted');
    assert.is(h.bad, 0, 'hardened flow corrupted');
    assert.ok(sentDuringFlood > 200, `real messages during the flood: ${sentDuringFlood}`);
    assert.ok(r.flashSession.open && r.hardenedSession.open && r.serverFlash.open && r.serverHardened.open, 'sessions still open');
    // Nothing threw inside the receive path (the transport would count and swallow it).
    assert.is(server.transport.counters.ownerErrors, 0);
    assert.is(report.sent, content.count);

    // Accounting. Every datagram the server read was dropped under a counter, handed to a session
    // (the real clients' packets), or taken by the handshake. On the virtual network no socket
    // buffer overflows: every flood datagram arrives.
    const c = server.counters;
    const d = (k: keyof EndpointCounters): number => c[k] - before[k];
    const toSessions = r.serverFlash.counters.packetsIn + r.serverHardened.counters.packetsIn - sessionPacketsBefore;
    const arrived = d('datagramsIn') - toSessions;
    const startupOutcomes = handshakeOutcomes(server) - hsBefore;
    const accounted = dropTotal(c) - dropTotal(before) + startupOutcomes;
    console.log(
      `  flood: ${report.sent} sent in 1000 virtual ms (${report.random} random, ${report.mutated} mutated), ${arrived} arrived; ` +
        `short ${d('droppedShort')}/${expected.short}, unknown session ${d('droppedUnknownSession')}/${expected.unknown}, ` +
        `integrity ${d('droppedIntegrity')} + replay ${d('droppedReplay')} + malformed ${d('droppedMalformed')} of ${expected.sessionBound} session-bound + ${expected.startup} startup; ` +
        `handshake outcomes ${startupOutcomes}; ${report.replies} replies; ${f.sent + h.sent} real messages`,
    );
    assert.is(arrived, report.sent, 'every flood datagram reached the endpoint');
    assert.is(floodPort.counters.sendErrors, 0);
    // The offline classification predicts these counters exactly.
    assert.is(d('droppedShort'), expected.short);
    assert.is(d('droppedUnknownSession'), expected.unknown);
    assert.ok(expected.sessionBound > 1000 && expected.unknown > 1000 && expected.short > 500, 'the flood reached every receive-path branch');
    // Session-bound datagrams are dropped as integrity / replay / malformed; startup packets that
    // open under the default key (mutations of the SSID bytes of real startup datagrams) are
    // counted by the handshake, as a drop or as an answer (RHello, Cookie Change). Not counted
    // anywhere: a startup packet holding only unknown chunk types (none in this seeded flood),
    // and a session-bound mutation that passes the Flash profile's 16-bit checksum (1 in 65536
    // per mutation) and is handed to its session, where it is counted as a session packet.
    assert.ok(Math.abs(arrived - accounted) <= 5, `flood datagrams arrived ${arrived}, accounted ${accounted}`);
    assert.ok(d('droppedIntegrity') + d('droppedReplay') + d('droppedMalformed') <= expected.sessionBound + expected.startup);

    // Replies: the flood's port got only handshake answers (and at most a nonce Ping, B.7, per
    // session-bound datagram that passed a checksum), within the amplification budget of what
    // it sent that opened as startup packets.
    const toFlood = r.sent.server.slice(serverSendsBefore).filter((x) => sameSocketAddress(x.to, floodPort.localAddress));
    const replyBytes = toFlood.reduce((n, x) => n + x.datagram.length, 0);
    const mobilityPings = r.serverFlash.counters.addressChangesSeen + r.serverHardened.counters.addressChangesSeen;
    assert.is(report.replies, toFlood.length, 'every send to the flood arrived there');
    assert.ok(toFlood.length <= expected.startup + mobilityPings, `sends to the flood ${toFlood.length}`);
    assert.ok(replyBytes <= AMPLIFICATION * expected.startupBytes + 1280 * mobilityPings, `reply bytes ${replyBytes} vs budget ${AMPLIFICATION * expected.startupBytes}`);
    assert.is(r.serverFlash.counters.addressChangesApplied + r.serverHardened.counters.addressChangesApplied, 0, 'no session moved to the flood');

    // A new client still gets in and is served.
    const fresh = await Endpoint.listen({ transport: r.net.bind(), clock });
    try {
      let got: Uint8Array | undefined;
      server.once('session', (s) => s.once('message', (_f, m) => (got = m.slice())));
      const s = await settle(clock, fresh.connect({ uri: 'rtmfp://server/app', addresses: [{ address: SERVER_IP, port: 1935 }] }));
      s.openFlow(META).write(message(9, 1));
      await r.until(() => got !== undefined);
      assert.ok(sameBytes(got!, message(9, 1)));
    } finally {
      await settle(clock, fresh.close());
    }
  } finally {
    await r.close();
  }
});

test('a genuine session datagram replayed 100 times from its own source and 100 times from elsewhere changes nothing', async () => {
  const r = await rig(0xf2);
  try {
    const { server, clock } = r;
    const attacker = r.net.bind();
    attacker.attach(() => undefined);
    const f = new Stream(3, r.flashSession, r.serverFlash, clock, META);
    const h = new Stream(4, r.hardenedSession, r.serverHardened, clock, META);
    const flashMark = r.sent.flash.length;
    const hardenedMark = r.sent.hardened.length;
    f.write(60);
    h.write(60);
    await r.until(() => f.done && h.done);
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
    // 10 every virtual 2 ms.
    let i = 0;
    const tick = (): void => {
      for (const end = i + 10; i < end; i++) {
        // From the real clients' ports (an on-path attacker spoofing the source) ...
        r.flash.transport.send(flashDatagram, r.serverAt);
        r.hardened.transport.send(hardenedDatagram, r.serverAt);
        // ... and from a port of the attacker's own.
        attacker.send(flashDatagram, r.serverAt);
        attacker.send(hardenedDatagram, r.serverAt);
      }
      if (i < 100) clock.setTimer(clock.now() + 2, tick);
    };
    tick();
    await r.until(() => server.counters.datagramsIn - before.datagramsIn >= 400);
    const quiet = clock.now() + 100;
    await r.until(() => clock.now() >= quiet);

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
    await r.until(() => f.done && h.done);
    assert.is(f.received, 120);
    assert.is(h.received, 120);
    assert.is(f.bad + h.bad, 0);
  } finally {
    await r.close();
  }
});

test('a captured IHello replayed 2,000 times from one address: answers stay within the rate limit and the amplification budget', async () => {
  const clock = new ManualClock(1000, 0xf3);
  const net = new VirtualNetwork({ clock, seed: 0xf3, defaultPath: { latencyMs: 1 } });
  const server = await Endpoint.listen({ transport: net.bind({ host: SERVER_IP, port: 1935 }), clock, identity: createServerIdentity() });
  const client = await Endpoint.listen({ transport: net.bind(), clock });
  const sends = tapSends(client);
  const serverSends = tapSends(server);
  let replies = 0;
  let replyBytes = 0;
  const attacker = net.bind();
  attacker.attach((b) => {
    replies += b.datagrams.length;
    replyBytes += b.bytes;
  });
  try {
    await settle(clock, client.connect({ uri: 'rtmfp://server/app', addresses: [{ address: SERVER_IP, port: 1935 }] }));
    const ihello = sends[0]!.datagram;
    // The first datagram of a connect is the IHello: it opens under the default key, SSID 0.
    assert.is(ssidOf(ihello), 0);
    assert.ok(openDatagram(ihello, startupEnvelope()).packet.length > 0);
    const before = handshakeOutcomes(server);
    const rhellosBefore = server.handshake.counters.rhellosSent + server.handshake.counters.rhellosResent;
    const serverSendsBefore = serverSends.length;
    const serverAt = server.transport.localAddress;
    // 100 every virtual 2 ms.
    let i = 0;
    const tick = (): void => {
      for (const end = i + 100; i < end; i++) attacker.send(ihello, serverAt);
      if (i < 2000) clock.setTimer(clock.now() + 2, tick);
    };
    tick();
    await runUntil(clock, () => handshakeOutcomes(server) - before >= 2000);
    const quiet = clock.now() + 50;
    await runUntil(clock, () => clock.now() >= quiet);
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
    await settle(clock, Promise.all([client.close(), server.close()]));
    net.close();
  }
});

test.run();
