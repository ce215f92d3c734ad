// Two real endpoints on 127.0.0.1 (port 0): handshake both ways, peer IDs, flows, echo, close
// (the close timing case runs on the virtual network, in virtual time).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { vnetPair } from './support/vnet-rig.js';

const test = suite('endpoint over loopback');
const LOOP = '127.0.0.1';
const META = new TextEncoder().encode('test-flow');

function waitFor<T>(fn: (resolve: (v: T) => void) => void, ms = 5000, what = 'event'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    fn((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

test('a client opens a session to a server; peer IDs agree on both sides; a message goes each way', async () => {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const client = await Endpoint.listen({ host: LOOP });
  try {
    const accepted = waitFor<Session>((r) => server.once('session', r), 5000, 'server session');
    const session = await client.connect({ uri: `rtmfp://${LOOP}:${server.address.port}/app`, addresses: [{ address: LOOP, port: server.address.port }] });
    const far = await accepted;
    assert.equal(Buffer.from(session.farPeerId), Buffer.from(server.peerId));
    assert.equal(Buffer.from(far.farPeerId), Buffer.from(client.peerId));
    // The peer ID each side reports is SHA-256 of the certificate the other presented.
    assert.equal(Buffer.from(far.farPeerId), createHash('sha256').update(client.identity.certificate).digest());
    assert.equal(Buffer.from(session.nonces.near), Buffer.from(far.nonces.far));

    const got = waitFor<Uint8Array>((r) => far.on('message', (_f, m) => r(m.slice())), 5000, 'server message');
    const flow = session.openFlow(META);
    const payload = randomBytes(5000);
    flow.write(payload);
    assert.equal(Buffer.from(await got), payload);

    // The server answers on a return flow associated with the client's flow (C.5).
    const back = waitFor<[number | undefined, Uint8Array]>((r) => session.on('message', (f, m) => r([f.associatedFlowId, m.slice()])), 5000, 'reply');
    const reply = far.openFlow(META, { returnFlowAssociation: flow.flowId });
    reply.write(Uint8Array.of(1, 2, 3));
    const [assoc, m] = await back;
    assert.is(assoc, flow.flowId);
    assert.equal([...m], [1, 2, 3]);

    const rtt = await session.ping();
    assert.ok(rtt >= 0 && rtt < 1000, `rtt ${rtt}`);
    // Observability: the snapshot reflects what just happened.
    const st = session.stats();
    assert.is(st.state, 'open');
    assert.ok(st.packetsOut >= 6 && st.packetsIn >= 3, JSON.stringify(st));
    assert.ok(st.srttMs !== undefined && st.srttMs >= 0 && st.srttMs < 1000);
    assert.ok(st.cwndBytes >= 2 * 1153 && st.pingRepliesReceived >= 1 && st.sendFlows === 1 && st.receiveFlows === 1);
    assert.ok(client.counters.datagramsOut > 0 && server.counters.datagramsIn > 0);

    // Orderly close: Close Request, Close Ack, both sides forget the session.
    const serverClosed = waitFor<string>((r) => far.once('close', r), 5000, 'server close');
    const clientClosed = waitFor<string>((r) => session.once('close', r), 5000, 'client close');
    session.close();
    assert.is(await serverClosed, 'remote');
    assert.is(await clientClosed, 'local');
    assert.is(client.sessionCount, 0);
  } finally {
    await client.close();
    await server.close();
  }
});

test("'flow' comes before the flow's first message, even when one packet opens the flow and completes it", async () => {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const client = await Endpoint.listen({ host: LOOP });
  try {
    const accepted = waitFor<Session>((r) => server.once('session', r), 5000, 'server session');
    const session = await client.connect({ uri: 'rtmfp://x/app', addresses: [{ address: LOOP, port: server.address.port }] });
    const far = await accepted;
    const order: string[] = [];
    far.on('flow', () => order.push('flow'));
    far.on('message', () => order.push('message'));
    const complete = waitFor<void>((r) => far.on('flowComplete', () => r()), 5000, 'flow complete');
    const flow = session.openFlow(META);
    flow.write(Uint8Array.of(7)); // one fragment, and FIN right behind it: a single packet
    flow.close();
    await complete;
    assert.ok(order.length >= 2, order.join(','));
    assert.is(order[0], 'flow');
    assert.is(order.filter((e) => e === 'flow').length, 1);
  } finally {
    await client.close();
    await server.close();
  }
});

test("an application that closes its endpoint on 'close' still sends the Close Ack (virtual network)", async () => {
  // Virtual time, so "at once" is exact: well under the 5 s Close Request retry, whatever the load.
  const p = await vnetPair({ seed: 0xc1, network: { defaultPath: { latencyMs: 10 } } });
  try {
    let serverClosed: Promise<void> | undefined;
    p.far.once('close', () => void (serverClosed = p.server.close())); // synchronously, inside the handler
    let reason: string | undefined;
    p.session.once('close', (r) => (reason = r));
    p.session.close();
    const took = await p.until(() => reason !== undefined, { maxMs: 3000 });
    assert.is(reason, 'local');
    assert.ok(serverClosed, 'the server closed its endpoint inside the handler');
    assert.ok(took < 1000, `the Close Ack came after ${took} virtual ms, not at once`);
  } finally {
    await p.close();
  }
});

test('peer to peer: two Flash-style endpoints connect by peer ID', async () => {
  const a = await Endpoint.listen({ host: LOOP });
  const b = await Endpoint.listen({ host: LOOP });
  try {
    const s = await a.connect({ peerId: b.peerId, addresses: [{ address: LOOP, port: b.address.port }] });
    assert.equal(Buffer.from(s.farPeerId), Buffer.from(b.peerId));
  } finally {
    await a.close();
    await b.close();
  }
});

test('IPv6: a session over ::1 (skipped with a reason where IPv6 loopback is unavailable)', async () => {
  let server: Endpoint;
  try {
    server = await Endpoint.listen({ host: '::1', family: 6, identity: createServerIdentity() });
  } catch (e) {
    console.log(`  skipped: no IPv6 loopback here (${(e as Error).message})`);
    return;
  }
  const client = await Endpoint.listen({ host: '::1', family: 6 });
  try {
    const accepted = waitFor<Session>((r) => server.once('session', r), 5000, 'server session');
    const session = await client.connect({ uri: 'rtmfp://[::1]/app', addresses: [{ address: '::1', port: server.address.port }] });
    const far = await accepted;
    assert.is(session.farAddress.family, 6);
    assert.is(far.farAddress.family, 6);
    const got = waitFor<Uint8Array>((r) => far.on('message', (_f, m) => r(m.slice())), 5000, 'message');
    session.openFlow(META).write(Uint8Array.of(6, 6, 6));
    assert.equal([...(await got)], [6, 6, 6]);
  } finally {
    await client.close();
    await server.close();
  }
});

test('connect to nothing fails with a typed error', async () => {
  const silent = await Endpoint.listen({ host: LOOP });
  const port = silent.address.port;
  await silent.close();
  const client = await Endpoint.listen({ host: LOOP, handshake: { attemptTimeoutMs: 1500 } });
  try {
    await client.connect({ uri: 'rtmfp://x/app', addresses: [{ address: LOOP, port }] });
    assert.unreachable('connected to nothing');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_SESSION_OPEN_FAILED');
  } finally {
    await client.close();
  }
});

test.run();
