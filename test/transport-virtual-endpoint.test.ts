// Two Endpoints on the virtual network under a ManualClock only: handshake, then a ~100 KB
// reliable flow message through 5% loss each way (and once with the client behind a NAT). No
// wall clock, no sockets; the same seeds give the same run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { ManualClock } from '../src/time/clock.js';
import { runUntil, settle } from '../src/time/run-until.js';
import { SeededRandom } from '../src/time/seeded-random.js';
import { VirtualNetwork, type VirtualNetworkCounters } from '../src/transport/virtual-network.js';
import { NatBehavior } from '../src/transport/virtual-nat.js';

const META = new TextEncoder().encode('vnet-flow');

async function transfer(seed: number, natted: boolean): Promise<{ elapsed: number; counters: VirtualNetworkCounters }> {
  const clock = new ManualClock(1000, 42);
  const net = new VirtualNetwork({ clock, seed, defaultPath: { latencyMs: 20, jitterMs: 2, loss: 0.05 } });
  const clientHost = natted
    ? net.addHost({ behind: net.addNat({ mapping: NatBehavior.EndpointIndependent, filtering: NatBehavior.AddressAndPortDependent }) })
    : net.addHost();
  const server = await Endpoint.listen({ transport: net.bind({ host: '20.1.1.1', port: 1935 }), clock, identity: createServerIdentity() });
  const client = await Endpoint.listen({ transport: net.bind({ host: clientHost }), clock });
  try {
    let far: Session | undefined;
    server.on('session', (s) => (far = s));
    const session = await settle(clock, client.connect({ uri: 'rtmfp://20.1.1.1/app', addresses: [{ address: '20.1.1.1', port: 1935 }] }), { maxMs: 30_000 });
    await runUntil(clock, () => far !== undefined);
    assert.equal(Buffer.from(session.farPeerId), Buffer.from(server.peerId));
    // Behind a NAT the server sees the NAT's public address.
    if (natted) assert.is(far!.farAddress.ip.join('.'), clientHost.nat!.publicIp);

    const payload = new SeededRandom(9).bytes(100_000);
    let got: Uint8Array | undefined;
    far!.on('message', (_f, m) => (got = m.slice()));
    const t0 = clock.now();
    session.openFlow(META).write(payload);
    await runUntil(clock, () => got !== undefined, { maxMs: 120_000 });
    assert.ok(Buffer.from(got!).equals(Buffer.from(payload)), 'payload intact');
    const c = net.counters;
    assert.ok(c.droppedLoss > 0, `losses happened and were repaired: ${JSON.stringify(c)}`);
    assert.is(c.datagramsSent + c.duplicated, c.datagramsDelivered + c.droppedLoss + c.droppedQueue + c.droppedNatFilter + c.droppedNoListener + c.droppedNoRoute + c.droppedClosed + net.inFlight);
    return { elapsed: clock.now() - t0, counters: { ...c } };
  } finally {
    await client.close();
    await server.close();
    net.close();
  }
}

test('handshake and a 100 KB message through 5% loss, 20 ms paths, on virtual time; same seed, same run', async () => {
  const a = await transfer(5, false);
  const b = await transfer(5, false);
  console.log(`    100 KB in ${a.elapsed.toFixed(0)} virtual ms, ${a.counters.datagramsSent} datagrams, ${a.counters.droppedLoss} lost`);
  assert.equal(b, a);
});

test('the same with the client behind a port-restricted NAT', async () => {
  const r = await transfer(6, true);
  assert.is(r.counters.droppedNatFilter, 0);
});

test.run();
