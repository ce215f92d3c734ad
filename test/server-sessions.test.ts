// Slots held by sessions (issue 9 item 5), over real UDP on 127.0.0.1: a session that never sends
// `connect` is closed at the deadline (the server's ManualClock jumped past it), one address gets
// at most maxSessionsPerAddress sessions, a full server answers Connect.Rejected with a reason, and
// an endpoint with no room left does not answer the IHello (the client's handshake fails; no
// session is established only to be ignored).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { NetConnection } from '../src/flash/net-connection.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../src/server/server-client.js';
import { LOOP, until, connectLocal } from './support/flash-client.js';
import { PumpedClock } from './support/pumped-clock.js';

const test = suite('server sessions');

test('a session that never sends connect is closed after connectTimeoutMs (10 s by default), counted', async () => {
  const clock = new PumpedClock();
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, clock });
  const client = await Endpoint.listen({ host: LOOP });
  try {
    const session = await client.connect({ addresses: [{ address: LOOP, port: server.port }], uri: `rtmfp://${LOOP}/live` });
    await until(() => server.clients.size === 1, 2000, 'the server to see the session');
    const [sc] = [...server.clients];
    assert.is(sc!.state, 'connecting');
    clock.jump(DEFAULT_CONNECT_TIMEOUT_MS - 1000);
    assert.is(server.clients.size, 1, 'not before the deadline');
    clock.jump(1001);
    await until(() => server.clients.size === 0, 2000, 'the silent session to be closed');
    await until(() => session.state !== 'open', 2000, 'the client to see its session close');
    assert.is(server.stats().refusals.connectTimeout, 1);
  } finally {
    await client.close();
    clock.stop();
    await server.close();
  }
});

test('a connected client is not closed by the deadline', async () => {
  const clock = new PumpedClock();
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, clock, connectTimeoutMs: 500 });
  let nc: NetConnection | undefined;
  try {
    nc = await connectLocal(server.port);
    clock.jump(5000);
    await new Promise((r) => setTimeout(r, 50));
    assert.is(nc.state, 'connected');
    assert.is(server.clients.size, 1);
    assert.is(server.stats().refusals.connectTimeout, 0);
  } finally {
    await nc?.close();
    clock.stop();
    await server.close();
  }
});

async function connectInfo(port: number, options = {}) {
  const nc = new NetConnection({ endpointOptions: { host: LOOP }, connectTimeoutMs: 5000, ...options });
  const info = await nc.connect(`rtmfp://${LOOP}:${port}/live`);
  return { nc, info };
}

test('maxSessionsPerAddress: the session over the cap gets Connect.Rejected with the reason', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, maxSessionsPerAddress: 2 });
  const open: NetConnection[] = [];
  try {
    for (let i = 0; i < 2; i++) open.push(await connectLocal(server.port));
    const third = await connectInfo(server.port);
    open.push(third.nc);
    assert.is(third.info.code, 'NetConnection.Connect.Rejected');
    assert.match(String(third.info.description), /Too many sessions from 127\.0\.0\.1/);
    assert.is(server.stats().refusals.perAddress, 1);
    // A slot given back is usable again.
    await open[0]!.close();
    await until(() => server.clients.size <= 2, 3000, 'the first client to leave');
    await until(() => [...server.clients].every((c) => c.state === 'connected'), 3000, 'the refused session to close');
    open.push(await connectLocal(server.port));
  } finally {
    await Promise.all(open.map((nc) => nc.close()));
    await server.close();
  }
});

test('maxSessions: a full server answers Connect.Rejected ("Server full") at once, not silence', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, maxSessions: 1 });
  const open: NetConnection[] = [];
  try {
    open.push(await connectLocal(server.port));
    const t0 = Date.now();
    const second = await connectInfo(server.port);
    open.push(second.nc);
    assert.is(second.info.code, 'NetConnection.Connect.Rejected');
    assert.match(String(second.info.description), /Server full/);
    assert.ok(Date.now() - t0 < 3000, `answered after ${Date.now() - t0} ms`);
    assert.is(server.stats().refusals.serverFull, 1);
  } finally {
    await Promise.all(open.map((nc) => nc.close()));
    await server.close();
  }
});

test('an endpoint with no room left does not answer the IHello: no session is established for nothing', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, endpoint: { maxSessions: 1 } });
  const open: NetConnection[] = [];
  const ep = await Endpoint.listen({ host: LOOP, handshake: { attemptTimeoutMs: 1500 } });
  try {
    open.push(await connectLocal(server.port));
    const nc = new NetConnection({ endpoint: ep, connectTimeoutMs: 5000 });
    open.push(nc);
    const info = await nc.connect(`rtmfp://${LOOP}:${server.port}/live`);
    assert.is(info.code, 'NetConnection.Connect.Failed');
    assert.is(ep.counters.sessionsOpened, 0, 'the handshake was not completed');
    assert.ok(server.stats().refusals.handshakes >= 1, 'counted');
  } finally {
    await Promise.all(open.map((nc) => nc.close()));
    await ep.close();
    await server.close();
  }
});

test.run();
