// UdpTransport on IPv6 loopback (::1), port 0. Skipped with a printed reason when this machine
// has no IPv6 loopback.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { formatIp } from '../src/transport/socket-address.js';
import { UdpTransport, type ReceivedBatch } from '../src/transport/udp-transport.js';
import { TransportError } from '../src/transport/transport-error.js';

const LOOP6 = '::1';

async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

test('IPv6 loopback: batches in order with IPv6 sources, replies go back', async () => {
  const batches: ReceivedBatch[] = [];
  let t: UdpTransport;
  try {
    t = await UdpTransport.open({ host: LOOP6, ipv6Only: true, onBatch: (b) => batches.push(b) });
  } catch (e) {
    if (e instanceof TransportError && e.code === 'ERR_TRANSPORT_BIND') {
      console.log(`  SKIPPED: IPv6 loopback not available (${e.message})`);
      return;
    }
    throw e;
  }
  const client = dgram.createSocket('udp6');
  await new Promise<void>((r) => client.bind(0, LOOP6, () => r()));
  const replies: Buffer[] = [];
  client.on('message', (m) => replies.push(m));
  try {
    assert.is(t.local.family, 6);
    assert.is(t.local.address, LOOP6);
    const N = 200;
    let done = 0;
    await new Promise<void>((resolve) => {
      for (let i = 0; i < N; i++) {
        const b = Buffer.alloc(100);
        b.writeUInt32BE(i, 0);
        client.send(b, t.local.port, LOOP6, () => ++done === N && resolve());
      }
    });
    assert.ok(await until(() => t.counters.datagramsIn === N));
    await new Promise((r) => setImmediate(r));
    const order: number[] = [];
    for (const b of batches) {
      for (let k = 0; k < b.datagrams.length; k++) {
        const d = b.datagrams[k]!;
        order.push(new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0));
        assert.is(b.sources[k]!.family, 6);
        assert.is(formatIp(b.sources[k]!), LOOP6);
        assert.is(b.sources[k]!.port, client.address().port);
      }
    }
    assert.equal(order, Array.from({ length: N }, (_, i) => i));
    // Reply to the source exactly as node reported it.
    const src = batches[0]!.sources[0]!;
    t.sendBatch(batches[0]!.datagrams, src);
    const expected = batches[0]!.datagrams.length;
    assert.ok(await until(() => replies.length === expected));
    assert.is(replies[0]!.readUInt32BE(0), 0);
    assert.is(t.counters.datagramsOut, expected);
  } finally {
    await new Promise<void>((r) => client.close(() => r()));
    await t.close();
  }
});

test.run();
