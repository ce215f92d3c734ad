// Two Endpoints on the virtual network under a ManualClock only: handshake, then a ~100 KB
// reliable flow message through 5% loss each way. No wall clock, no sockets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { ManualClock } from '../src/time/clock.js';
import { runUntil, settle } from '../src/time/run-until.js';
import { SeededRandom } from '../src/time/seeded-random.js';
import { VirtualNetwork } from '../src/transport/virtual-network.js';

const META = new TextEncoder().encode('vnet-flow');

test('handshake and a 100 KB message through 5% loss, 20 ms paths, on virtual time', async () => {
  const clock = new ManualClock(1000, 42);
  const net = new VirtualNetwork({ clock, seed: 5, defaultPath: { latencyMs: 20, jitterMs: 2, loss: 0.05 } });
  const server = await Endpoint.listen({ transport: net.bind({ host: '20.1.1.1', port: 1935 }), clock, identity: createServerIdentity() });
  const client = await Endpoint.listen({ transport: net.bind(), clock });
  try {
    let far: Session | undefined;
    server.on('session', (s) => (far = s));
    const session = await settle(clock, client.connect({ uri: 'rtmfp://20.1.1.1/app', addresses: [{ address: '20.1.1.1', port: 1935 }] }), { maxMs: 30_000 });
    await runUntil(clock, () => far !== undefined);
    assert.equal(Buffer.from(session.farPeerId), Buffer.from(server.peerId));

    const payload = new SeededRandom(9).bytes(100_000);
    let got: Uint8Array | undefined;
    far!.on('message', (_f, m) => (got = m.slice()));
    const t0 = clock.now();
    session.openFlow(META).write(payload);
    await runUntil(clock, () => got !== undefined, { maxMs: 120_000 });
    assert.ok(Buffer.from(got!).equals(Buffer.from(payload)), 'payload intact');
    const elapsed = clock.now() - t0;
    // Losses happened and were repaired.
    assert.ok(net.counters.droppedLoss > 0, JSON.stringify(net.counters));
    const c = net.counters;
    assert.is(c.datagramsSent + c.duplicated, c.datagramsDelivered + c.droppedLoss + c.droppedQueue + c.droppedNatFilter + c.droppedNoListener + c.droppedNoRoute + c.droppedClosed + net.inFlight);
    console.log(`    100 KB in ${elapsed.toFixed(0)} virtual ms; network ${JSON.stringify(c)}`);
  } finally {
    await client.close();
    await server.close();
  }
  net.close();
});

test.run();
