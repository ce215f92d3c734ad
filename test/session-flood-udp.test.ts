// Real-UDP smoke test of hostile input (127.0.0.1, port 0): 2,000 random datagrams at a live
// endpoint while a real session's flow runs. Nothing throws in the receive path, the flow stays
// intact and in order, and a new client still gets in. The exact accounting of every hostile
// datagram is checked on the virtual network (session-flood.test.ts), where no kernel buffer
// drops any; the 20,000-datagram flood over UDP is a soak run (soak/flood.soak.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { udpFlood } from './support/udp-flood.js';
import { waitFor } from './support/wait.js';

const LOOP = '127.0.0.1';
const META = new TextEncoder().encode('flood-smoke');

function message(i: number): Uint8Array {
  const m = new Uint8Array(5 + ((i * 7919) % 3000));
  new DataView(m.buffer).setUint32(0, i);
  for (let k = 4; k < m.length; k++) m[k] = (i * 131 + k * 7) & 0xff;
  return m;
}

test('2,000 random datagrams at a live endpoint over UDP: the session flow stays intact, new sessions open', async () => {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const client = await Endpoint.listen({ host: LOOP });
  try {
    const accepted = new Promise<Session>((r) => server.once('session', r));
    const session = await client.connect({ uri: 'rtmfp://localhost/app', addresses: [{ address: LOOP, port: server.address.port }] });
    const far = await accepted;
    let received = 0;
    let bad = 0;
    far.on('message', (_f, m) => {
      if (!Buffer.from(m).equals(Buffer.from(message(received)))) bad++;
      received++;
    });
    const flow = session.openFlow(META);
    let sent = 0;
    const writer = setInterval(() => {
      for (let k = 0; k < 2 && flow.writable; k++) flow.write(message(sent++));
    }, 4);
    const before = server.counters.datagramsIn;
    let report;
    try {
      report = await udpFlood({ count: 2000, seed: 0xf100d, ratePerSec: 20_000, target: { address: LOOP, port: server.address.port } });
    } finally {
      clearInterval(writer);
    }
    await waitFor(() => received === sent, 30_000, () => `delivery after the flood: ${received}/${sent}`);
    assert.is(report.sent, 2000);
    assert.ok(server.counters.datagramsIn - before > 0, 'the flood reached the endpoint');
    assert.is(server.transport.counters.ownerErrors, 0, 'nothing threw in the receive path');
    assert.is(bad, 0, 'flow corrupted');
    assert.ok(session.open && far.open, 'session still open');

    const fresh = await Endpoint.listen({ host: LOOP });
    try {
      const s = await fresh.connect({ uri: 'rtmfp://localhost/app', addresses: [{ address: LOOP, port: server.address.port }] });
      assert.ok(s.open);
    } finally {
      await fresh.close();
    }
  } finally {
    await client.close();
    await server.close();
  }
});

test.run();
