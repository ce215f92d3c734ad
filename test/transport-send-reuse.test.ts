// UdpTransport sends to an IP literal at once (no dns.lookup tick), so a caller that reuses its
// send buffers (the endpoint's batch arena) may overwrite them as soon as holdsSentBuffers() is
// false. One real-UDP smoke test on 127.0.0.1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UdpTransport } from '../src/transport/udp-transport.js';
import { AddressOrigin } from '../src/transport/socket-address.js';
import { until } from './support/flash-client.js';

test('a datagram sent to an IP literal is on its way when send returns: the buffer may be reused', async () => {
  const got: Uint8Array[] = [];
  const rx = await UdpTransport.open({ host: '127.0.0.1', onBatch: (b) => got.push(...b.datagrams.map((d) => d.slice())) });
  const tx = await UdpTransport.open({ host: '127.0.0.1' });
  try {
    const to = tx.addresses.intern('127.0.0.1', rx.local.port, AddressOrigin.Unknown);
    const buf = new Uint8Array(64);
    for (let i = 0; i < 20; i++) {
      buf.fill(i);
      tx.send(buf, to);
      assert.not.ok(tx.holdsSentBuffers(), 'nothing queued after an immediate send');
    }
    buf.fill(0xee); // overwritten after the last send: must not be what arrives
    await until(() => got.length === 20, 3000, 'all 20 datagrams');
    got.forEach((d, i) => assert.ok(d.every((b) => b === i), `datagram ${i} arrived as sent`));
  } finally {
    await tx.close();
    await rx.close();
  }
});

test.run();
