// Every packet carries the 16-bit timestamp (issue 8, bug found against real peers): RFC 7016
// 2.2.4 makes it optional, but librtmfp discards packets without it, and a librtmfp player lost
// most of its video to that under load. Every packet both sessions emit through data, ack-only
// packets, pings (application and keepalive) and an orderly close is decoded and checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionPair, type SentPacket } from './support/session-pair.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import { decodePacket, PacketFlag } from '../src/wire/packet.js';
import { PacketMode } from '../src/wire/chunk-type.js';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import { openDatagram, startupEnvelope } from '../src/crypto/envelope.js';
import { ManualClock } from '../src/time/clock.js';
import { settle } from '../src/time/run-until.js';
import { VirtualNetwork } from '../src/transport/virtual-network.js';
import type { VirtualPort } from '../src/transport/virtual-port.js';

test('every session packet carries a timestamp: data, acks, pings, keepalives, close', async () => {
  const pair = new SessionPair({ latencyMs: 3, a: { keepaliveMs: 2000 }, b: { keepaliveMs: 2000 } });
  const a = pair.a.session;
  const b = pair.b.session;
  // Data in bursts, several packets within one 4 ms tick (where TS used to be left out).
  const flow = a.openFlow(new Uint8Array([9]));
  for (let i = 0; i < 5; i++) {
    flow.write(new Uint8Array(6000).fill(i));
    flow.write(new Uint8Array(10).fill(i));
    pair.run(1);
  }
  pair.run(500);
  const pong = a.ping();
  pair.run(100);
  assert.ok((await pong) >= 0);
  pair.run(5000); // quiet: keepalive pings both ways
  a.close();
  pair.run(1000);
  assert.is(a.state, 'closed');

  const all: SentPacket[] = [...pair.a.sent, ...pair.b.sent];
  const kinds = new Set<string>();
  for (const p of all) {
    const types = p.packet.chunks.map((c) => c.type);
    if (types.includes(ChunkType.UserData) || types.includes(ChunkType.NextUserData)) kinds.add('data');
    else if (types.every((t) => t === ChunkType.AckRanges || t === ChunkType.AckBitmap)) kinds.add('acks');
    if (types.includes(ChunkType.Ping)) kinds.add('ping');
    if (types.includes(ChunkType.PingReply)) kinds.add('pingReply');
    if (types.includes(ChunkType.SessionCloseRequest)) kinds.add('closeRequest');
    if (types.includes(ChunkType.SessionCloseAck)) kinds.add('closeAck');
  }
  assert.equal([...kinds].sort(), ['acks', 'closeAck', 'closeRequest', 'data', 'ping', 'pingReply']);
  // Packets sent within the same tick as the one before them were the ones without TS.
  const sameTick = pair.a.sent.filter((p, i) => i > 0 && Math.floor((p.at - 1000) / 4) === Math.floor((pair.a.sent[i - 1]!.at - 1000) / 4));
  assert.ok(sameTick.length >= 5, `${sameTick.length} packets shared a tick with the one before`);
  for (const p of all) {
    assert.is(p.bytes[0]! & PacketFlag.Timestamp, PacketFlag.Timestamp, `packet at ${p.at} with ${p.packet.chunks.map((c) => c.type).join(',')}`);
    assert.ok(p.packet.header.timestamp !== undefined);
  }
  assert.ok(b.rtt.samples > 0 && a.rtt.samples > 0, 'echoes still give RTT samples both ways');
  assert.ok(a.rtt.srtt! >= 4 && a.rtt.srtt! <= 12, `SRTT ${a.rtt.srtt} for 6 ms of path`);
});

// A guard: the endpoint's startup packets already carried it.
test('every startup packet carries a timestamp: IHello, RHello, IIKeying, RIKeying', async () => {
  const clock = new ManualClock(1000, 5);
  const net = new VirtualNetwork({ clock, seed: 2, defaultPath: { latencyMs: 7 } });
  const startup: { timestamp: number | undefined; chunk: number | string }[] = [];
  const tap = (port: VirtualPort): VirtualPort => {
    const send = port.send.bind(port);
    port.send = (d, to) => {
      try {
        // Only startup packets open with the default key (session ones fail the checksum).
        const p = decodePacket(openDatagram(d, startupEnvelope()).packet);
        if (p.header.mode === PacketMode.Startup) startup.push({ timestamp: p.header.timestamp, chunk: p.chunks[0]!.type });
      } catch {
        // a session packet
      }
      send(d, to);
    };
    return port;
  };
  const server = await Endpoint.listen({ transport: tap(net.bind({ host: '20.0.0.1', port: 1935 })), clock, identity: createServerIdentity() });
  const client = await Endpoint.listen({ transport: tap(net.bind()), clock });
  try {
    await settle(clock, client.connect({ uri: 'rtmfp://20.0.0.1/app', addresses: [{ address: '20.0.0.1', port: 1935 }] }), { maxMs: 30_000 });
    assert.equal(startup.map((x) => x.chunk), [ChunkType.IHello, ChunkType.RHello, ChunkType.IIKeying, ChunkType.RIKeying]);
    for (const x of startup) assert.ok(x.timestamp !== undefined, `${x.chunk} without a timestamp`);
  } finally {
    await client.close();
    await server.close();
    net.close();
  }
});

test.run();
