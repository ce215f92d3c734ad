// Load balancer registration (issue 8, bug found against real peers): only servers that register
// (a session opened to the balancer, from a peer ID the balancer lists or accepts) are redirect
// targets. Before the fix every session the balancer had accepted counted, so a plain client it
// had served itself was handed the next clients. Virtual network, ManualClock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import type { SocketAddress } from '../src/transport/socket-address.js';
import { ManualClock } from '../src/time/clock.js';
import { runUntil, settle } from '../src/time/run-until.js';
import { VirtualNetwork } from '../src/transport/virtual-network.js';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

test('plain clients, and unlisted peers opening by peer ID, are never redirect targets; registered servers are', async () => {
  const clock = new ManualClock(1000, 7);
  const net = new VirtualNetwork({ clock, seed: 3, defaultPath: { latencyMs: 10 } });
  const serverIdentity = createServerIdentity();
  const asked: { peerId: Uint8Array; certificate: Uint8Array; address: SocketAddress }[] = [];
  const balancer = await Endpoint.listen({
    transport: net.bind({ host: '20.0.0.1', port: 1935 }),
    clock,
    identity: createServerIdentity(),
    loadBalance: {
      k: 1,
      acceptServer: (peerId, certificate, address) => {
        asked.push({ peerId, certificate, address });
        return same(peerId, serverIdentity.peerId);
      },
    },
  });
  const at = [{ address: '20.0.0.1', port: 1935 }];
  const endpoints: Endpoint[] = [];
  const endpoint = async (identity = createServerIdentity()): Promise<Endpoint> => {
    const e = await Endpoint.listen({ transport: net.bind(), clock, identity });
    endpoints.push(e);
    return e;
  };
  const client = async (): Promise<Session> => settle(clock, (await endpoint()).connect({ uri: 'rtmfp://balancer/app', addresses: at }), { maxMs: 30_000 });
  try {
    // No server yet: a plain client is served by the balancer itself...
    const first = await client();
    assert.ok(same(first.farPeerId, balancer.peerId));
    // ...and so is the next one: the first client's session is not a server.
    const second = await client();
    assert.ok(same(second.farPeerId, balancer.peerId), 'the second client was redirected to the first');
    // A peer that opens by the balancer's peer ID but is neither listed nor accepted: no server.
    const stranger = await endpoint();
    await settle(clock, stranger.connect({ peerId: balancer.peerId, addresses: at }), { maxMs: 30_000 });
    const third = await client();
    assert.ok(same(third.farPeerId, balancer.peerId));
    assert.is(balancer.handshake.counters.loadBalanced, 0);

    // The accepted server registers; the next client goes to it, directly.
    const server = await endpoint(serverIdentity);
    const registration = await settle(clock, server.connect({ peerId: balancer.peerId, addresses: at }), { maxMs: 30_000 });
    const fourth = await client();
    assert.ok(same(fourth.farPeerId, serverIdentity.peerId), 'redirected to the registered server');
    assert.is(fourth.farAddress.port, server.address.port);
    assert.is(balancer.handshake.counters.loadBalanced, 1);
    // The hook was asked about every session opened to the balancer, with the far end's identity.
    assert.is(asked.length, 5);
    const last = asked.at(-1)!;
    assert.ok(same(last.peerId, serverIdentity.peerId) && same(last.certificate, serverIdentity.certificate));
    assert.is(last.address.port, server.address.port);

    // The server's session closes: it is no longer a target.
    registration.close();
    await runUntil(clock, () => registration.state === 'closed', { maxMs: 30_000 });
    const fifth = await client();
    assert.ok(same(fifth.farPeerId, balancer.peerId));
    assert.is(balancer.handshake.counters.loadBalanced, 1);
  } finally {
    for (const e of endpoints) await e.close();
    await balancer.close();
    net.close();
  }
});

test('without servers or acceptServer no session registers, whoever opened it', async () => {
  const clock = new ManualClock(1000, 8);
  const net = new VirtualNetwork({ clock, seed: 4, defaultPath: { latencyMs: 5 } });
  const balancer = await Endpoint.listen({ transport: net.bind({ host: '20.0.0.1', port: 1935 }), clock, identity: createServerIdentity(), loadBalance: {} });
  const at = [{ address: '20.0.0.1', port: 1935 }];
  const a = await Endpoint.listen({ transport: net.bind(), clock, identity: createServerIdentity() });
  const b = await Endpoint.listen({ transport: net.bind(), clock });
  try {
    await settle(clock, a.connect({ peerId: balancer.peerId, addresses: at }), { maxMs: 30_000 });
    const s = await settle(clock, b.connect({ uri: 'rtmfp://balancer/app', addresses: at }), { maxMs: 30_000 });
    assert.ok(same(s.farPeerId, balancer.peerId));
    assert.is(balancer.handshake.counters.loadBalanced, 0);
  } finally {
    await a.close();
    await b.close();
    await balancer.close();
    net.close();
  }
});

test.run();
