// Smoke test over real UDP on 127.0.0.1 (issue 9 item 1): one startup datagram packing 16
// IHellos with 1-byte tags gets at most one RHello back, within the amplification factor, and one
// packing 16 empty-EPD IHellos gets nothing. The rules themselves are unit-tested in
// handshake-hardening.test.ts; this checks the endpoint hands the datagram over whole.
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

test.run();
