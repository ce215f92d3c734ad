// Long operations take an AbortSignal: Endpoint.connect, Session.ping and a NetConnection's
// lifetime. On the virtual network under a ManualClock: deterministic, no sleeping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import { NetConnection } from '../src/flash/net-connection.js';
import { RtmfpError } from '../src/errors.js';
import { ManualClock } from '../src/time/clock.js';
import { runUntil, settle } from '../src/time/run-until.js';
import { VirtualNetwork } from '../src/transport/virtual-network.js';

function isAborted(e: unknown): boolean {
  return e instanceof RtmfpError && e.code === 'ERR_ABORTED';
}

test('Endpoint.connect: abort rejects with ERR_ABORTED and stops the IHello retransmissions', async () => {
  const clock = new ManualClock(0, 7);
  const net = new VirtualNetwork({ clock, seed: 1, defaultPath: { latencyMs: 10 } });
  const port = net.bind();
  const client = await Endpoint.listen({ transport: port, clock });
  try {
    const ac = new AbortController();
    // Nobody listens at 20.9.9.9: the attempt would retransmit IHellos until its timeout.
    const p = client.connect({ uri: 'rtmfp://20.9.9.9/app', addresses: [{ address: '20.9.9.9', port: 1935 }] }, { signal: ac.signal });
    let error: unknown;
    p.catch((e) => (error = e));
    await runUntil(clock, () => port.counters.sendsSubmitted >= 2, { maxMs: 10_000 });
    ac.abort(new Error('user gave up'));
    await runUntil(clock, () => error !== undefined, { maxMs: 1000 });
    assert.ok(isAborted(error), String(error));
    assert.is(((error as RtmfpError).cause as Error).message, 'user gave up');
    const sent = port.counters.sendsSubmitted;
    clock.advance(30_000);
    await runUntil(clock, () => true);
    assert.is(port.counters.sendsSubmitted, sent, 'no IHello after the abort');
    // An already aborted signal rejects at once.
    await client.connect({ uri: 'rtmfp://20.9.9.9/app', addresses: [{ address: '20.9.9.9', port: 1935 }] }, { signal: AbortSignal.abort() }).then(
      () => assert.unreachable('resolved'),
      (e) => assert.ok(isAborted(e)),
    );
  } finally {
    await client.close();
    net.close();
  }
});

test('Session.ping: abort rejects with ERR_ABORTED; the session stays open', async () => {
  const clock = new ManualClock(0, 8);
  const net = new VirtualNetwork({ clock, seed: 2, defaultPath: { latencyMs: 50 } });
  const server = await Endpoint.listen({ transport: net.bind({ host: '20.1.1.1', port: 1935 }), clock, identity: createServerIdentity() });
  const client = await Endpoint.listen({ transport: net.bind(), clock });
  try {
    const session = await settle(clock, client.connect({ uri: 'rtmfp://20.1.1.1/app', addresses: [{ address: '20.1.1.1', port: 1935 }] }));
    const ac = new AbortController();
    const p = session.ping(5000, { signal: ac.signal });
    ac.abort();
    await p.then(
      () => assert.unreachable('resolved'),
      (e) => assert.ok(isAborted(e)),
    );
    const rtt = await settle(clock, session.ping(5000));
    assert.ok(rtt >= 100 && rtt < 200, `rtt ${rtt}`);
    assert.is(session.state, 'open');
  } finally {
    await client.close();
    await server.close();
    net.close();
  }
});

test('NetConnection signal: aborting during connect ends it with Connect.Failed', async () => {
  const clock = new ManualClock(0, 9);
  const net = new VirtualNetwork({ clock, seed: 3, defaultPath: { latencyMs: 10 } });
  const ac = new AbortController();
  const nc = new NetConnection({
    clock,
    signal: ac.signal,
    transport: () => net.bind(),
    resolver: async () => ({ address: '20.9.9.9', family: 4 }),
  });
  const statuses: string[] = [];
  nc.on('netStatus', (i) => statuses.push(i.code));
  const done = nc.connect('rtmfp://nowhere.example/app');
  await runUntil(clock, () => nc.state === 'connecting' && clock.now() > 100, { maxMs: 5000 });
  ac.abort();
  const info = await settle(clock, done, { maxMs: 5000 });
  assert.is(info.code, 'NetConnection.Connect.Failed');
  assert.equal(statuses, ['NetConnection.Connect.Failed']);
  assert.is(nc.state, 'closed');
  // Aborted before connect(): fails at once, touching no network.
  const nc2 = new NetConnection({ clock, signal: AbortSignal.abort(), transport: () => net.bind() });
  assert.is((await nc2.connect('rtmfp://20.9.9.9/app')).code, 'NetConnection.Connect.Failed');
  assert.is(net.portCount, 0);
  net.close();
});

test.run();
