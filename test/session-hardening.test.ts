// Hardening at the Endpoint (issue 9 items 1 and 2); the rules themselves are unit-tested in
// handshake-hardening.test.ts. Over real UDP on 127.0.0.1: one startup datagram packing 16
// IHellos with 1-byte tags gets at most one RHello back, within the amplification factor, and one
// packing 16 empty-EPD IHellos gets nothing (the endpoint hands the datagram over whole). On the
// virtual network under a ManualClock: a Forwarded IHello on a session the far end opened is
// refused and counted; on a session we opened (a server we connected to) it is answered.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import { DEFAULT_AMPLIFICATION_FACTOR } from '../src/session/handshake/amplification.js';
import { sealDatagram, startupEnvelope } from '../src/crypto/envelope.js';
import { PacketBuilder } from '../src/wire/packet.js';
import { ByteWriter } from '../src/wire/writer.js';
import { ChunkType, PacketMode } from '../src/wire/chunk-type.js';
import { encodeEpd } from '../src/wire/epd.js';
import { UdpTransport } from '../src/transport/udp-transport.js';
import { fingerprintEpd } from '../src/wire/epd.js';
import { AddressOrigin } from '../src/wire/address.js';
import type { ForwardedIHelloChunk } from '../src/wire/chunks/hello.js';
import type { Session } from '../src/session/session.js';
import { ManualClock } from '../src/time/clock.js';
import { runUntil, settle } from '../src/time/run-until.js';
import { VirtualNetwork } from '../src/transport/virtual-network.js';
import { record } from './transport-virtual-support.js';

const test = suite('hardening at a live endpoint');
const LOOP = '127.0.0.1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function manyIHellos(epd: Uint8Array, n: number): Uint8Array {
  const b = new PacketBuilder(new ByteWriter(new Uint8Array(1500)), 1400);
  b.begin({ timeCritical: false, timeCriticalReverse: false, mode: PacketMode.Startup, timestamp: 0 });
  for (let i = 0; i < n; i++) assert.ok(b.append({ type: ChunkType.IHello, epd, tag: new Uint8Array([i]) }));
  return sealDatagram(new Uint8Array(4), b.bytes(), startupEnvelope());
}

test('16 IHellos in one datagram: at most one answer, within the factor; with empty EPDs, none', async () => {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const replies: number[] = [];
  const attacker = await UdpTransport.open({ host: LOOP, port: 0, onBatch: (b) => b.datagrams.forEach((d) => replies.push(d.length)) });
  try {
    const at = { address: LOOP, port: server.address.port };
    const uri = manyIHellos(encodeEpd({ ancillaryData: 'live' }), 16);
    attacker.send(uri, at);
    const h = server.handshake.counters;
    for (let i = 0; i < 200 && h.drops.extraHello < 15; i++) await sleep(5);
    await sleep(50);
    assert.is(h.drops.extraHello, 15);
    assert.is(replies.length, 1);
    assert.ok(replies[0]! <= DEFAULT_AMPLIFICATION_FACTOR * uri.length, `${replies[0]} bytes back for ${uri.length}`);

    const empty = manyIHellos(new Uint8Array(0), 16);
    assert.ok(empty.length <= 100, `${empty.length}-byte datagram`);
    attacker.send(empty, at);
    for (let i = 0; i < 200 && h.drops.notSelected < 1; i++) await sleep(5);
    await sleep(50);
    assert.is(h.drops.notSelected, 1);
    assert.is(replies.length, 1, 'nothing for empty EPDs');
  } finally {
    await attacker.close();
    await server.close();
  }
});

test('Forwarded IHellos: refused on a session the far end opened, answered on one we opened (virtual network)', async () => {
  const clock = new ManualClock(1000, 7);
  const net = new VirtualNetwork({ clock, seed: 3, defaultPath: { latencyMs: 5 } });
  const s = await Endpoint.listen({ transport: net.bind({ host: '20.1.1.1', port: 1935 }), clock, identity: createServerIdentity(), introductions: true });
  const a = await Endpoint.listen({ transport: net.bind({ host: '20.1.1.2', port: 5000 }), clock });
  const b = await Endpoint.listen({ transport: net.bind({ host: '20.1.1.3', port: 5000 }), clock });
  const victimPort = net.bind({ host: '30.0.0.9', port: 4000 });
  const victim = record(victimPort, clock);
  try {
    const fi = (tag: number): ForwardedIHelloChunk => ({
      type: ChunkType.ForwardedIHello,
      epd: fingerprintEpd(b.peerId),
      replyAddress: { family: 4, ip: new Uint8Array([30, 0, 0, 9]), port: 4000, origin: AddressOrigin.Observed },
      tag: new Uint8Array(16).fill(tag),
    });
    // A opens a session to B: B accepted it, so A may not make B send anywhere.
    const aToB = await settle(clock, a.connect({ peerId: b.peerId, addresses: [{ address: '20.1.1.3', port: 5000 }] }));
    aToB.sendForwardedIHello(fi(1));
    await runUntil(clock, () => b.handshake.counters.drops.untrustedForwarder > 0, { maxMs: 5000 });
    // Half a virtual second more: an RHello, had one been sent, would have arrived.
    const until = clock.now() + 500;
    await runUntil(clock, () => clock.now() >= until);
    assert.is(b.handshake.counters.drops.untrustedForwarder, 1);
    assert.is(victim.length, 0, 'nothing reflected to the victim');

    // B opens a session to S (it connects to a server): S is trusted to forward to B.
    let sToB: Session | undefined;
    s.on('session', (x) => (sToB = x));
    await settle(clock, b.connect({ uri: 'rtmfp://20.1.1.1/app', addresses: [{ address: '20.1.1.1', port: 1935 }] }));
    await runUntil(clock, () => sToB !== undefined);
    sToB!.sendForwardedIHello(fi(2));
    await runUntil(clock, () => victim.length > 0, { maxMs: 5000 });
    assert.is(victim.length, 1, 'one RHello to the reply address');
    assert.is(b.handshake.counters.forwardedAnswered, 1);
    assert.is(b.handshake.counters.drops.untrustedForwarder, 1);
  } finally {
    await a.close();
    await b.close();
    await s.close();
    net.close();
  }
});

test.run();
