// NetConnection over real RTMFP sessions on 127.0.0.1 against the minimal RtmfpServer:
// connect accepted / rejected / failed / closed by the server, call() results and errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSocket } from 'node:dgram';
import { NetConnection } from '../src/flash/net-connection.js';
import { NetCallError } from '../src/flash/errors.js';
import { parseRtmfpUri } from '../src/flash/rtmfp-uri.js';
import type { NetStatusInfo } from '../src/flash/net-status.js';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { parseHostPort, type ServerClient } from '../src/server/server-client.js';
import { socketAddressToEndpoint } from '../src/wire/address.js';
import type { AmfValue } from '../src/wire/amf/types.js';

const test = suite('NetConnection over loopback');
const LOOP = '127.0.0.1';
const CLIENT_EP = { endpointOptions: { host: LOOP } };

function statuses(nc: NetConnection): string[] {
  const codes: string[] = [];
  nc.on('netStatus', (i: NetStatusInfo) => codes.push(i.code));
  return codes;
}

async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('rtmfp URIs: default port 1935, app and instance, IPv6 brackets; other schemes refused', () => {
  assert.equal(parseRtmfpUri('rtmfp://example.com/live'), { host: 'example.com', port: 1935, app: 'live', instance: '', tcUrl: 'rtmfp://example.com/live' });
  const u = parseRtmfpUri('rtmfp://[::1]:10000/app/room/7');
  assert.is(u.host, '::1');
  assert.is(u.port, 10000);
  assert.is(u.app, 'app');
  assert.is(u.instance, 'room/7');
  assert.throws(() => parseRtmfpUri('rtmp://example.com/live'), (e: Error & { code?: string }) => e.code === 'ERR_NETCONNECTION_URI');
  assert.throws(() => parseRtmfpUri('not a uri'), (e: Error & { code?: string }) => e.code === 'ERR_NETCONNECTION_URI');
  assert.throws(() => new NetConnection().connect('http://x/y'), (e: Error & { code?: string }) => e.code === 'ERR_NETCONNECTION_URI');
});

test('connect accepted: Success with objectEncoding, peer IDs agree, app/instance/args reach the hook; Closed on close()', async () => {
  let seenArgs: AmfValue[] = [];
  const server = await RtmfpServer.listen({
    host: LOOP,
    port: 0,
    onConnect: (_c, args) => {
      seenArgs = args;
      return true;
    },
  });
  const nc = new NetConnection(CLIENT_EP);
  const codes = statuses(nc);
  try {
    const accepted = new Promise<ServerClient>((r) => server.once('client', r));
    const info = await nc.connect(`rtmfp://localhost:${server.port}/live/room1`, 'token', 42);
    assert.is(info.code, 'NetConnection.Connect.Success');
    assert.is(info.level, 'status');
    assert.is(info.objectEncoding, 3);
    assert.is(nc.connected, true);
    assert.is(nc.objectEncoding, 3);
    const client = await accepted;
    assert.is(client.state, 'connected');
    assert.is(client.app, 'live');
    assert.is(client.instance, 'room1');
    assert.is(client.tcUrl, `rtmfp://localhost:${server.port}/live/room1`);
    assert.is(client.commandObject.objectEncoding, 3);
    assert.equal(seenArgs, ['token', 42]);
    // nearID / farID: 64 hex digits, each side's near is the other's far, far is the server's peer ID.
    assert.match(nc.nearID, /^[0-9a-f]{64}$/);
    assert.is(nc.farID, server.peerID);
    assert.is(nc.farID, client.nearID);
    assert.is(nc.nearID, client.farID);
    assert.is.not(nc.nearID, nc.farID);

    const serverSawClose = new Promise<void>((r) => server.once('clientClose', () => r()));
    await nc.close();
    await serverSawClose;
    assert.equal(codes, ['NetConnection.Connect.Success', 'NetConnection.Connect.Closed']);
    assert.is(nc.state, 'closed');
    assert.is(server.clients.size, 0);
  } finally {
    await nc.close();
    await server.close();
  }
});

test('connect rejected by the application hook: Rejected with the description, then Closed', async () => {
  const server = await RtmfpServer.listen({
    host: LOOP,
    port: 0,
    onConnect: async (c) => {
      await new Promise((r) => setTimeout(r, 5));
      return c.app === 'allowed' ? true : { accept: false, description: `no app ${c.app}` };
    },
  });
  const nc = new NetConnection(CLIENT_EP);
  const codes = statuses(nc);
  try {
    const info = await nc.connect(`rtmfp://${LOOP}:${server.port}/forbidden`);
    assert.is(info.code, 'NetConnection.Connect.Rejected');
    assert.is(info.level, 'error');
    assert.is(info.description, 'no app forbidden');
    assert.is(nc.connected, false);
    await until(() => codes.length === 2, 5000, 'Closed after Rejected');
    assert.equal(codes, ['NetConnection.Connect.Rejected', 'NetConnection.Connect.Closed']);
    await until(() => server.clients.size === 0, 5000, 'server forgets the client');

    // The same NetConnection object can connect again, to an app the hook accepts.
    const again = await nc.connect(`rtmfp://${LOOP}:${server.port}/allowed`);
    assert.is(again.code, 'NetConnection.Connect.Success');
  } finally {
    await nc.close();
    await server.close();
  }
});

test('connect failed: nobody answers on the port (short handshake timeout)', async () => {
  // A bound socket that never answers, so the port is surely not an RTMFP server.
  const sink = createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, LOOP, () => r()));
  const port = sink.address().port;
  const nc = new NetConnection({ ...CLIENT_EP, handshakeTimeoutMs: 400 });
  const codes = statuses(nc);
  try {
    const started = Date.now();
    const info = await nc.connect(`rtmfp://${LOOP}:${port}/app`);
    const took = Date.now() - started;
    assert.is(info.code, 'NetConnection.Connect.Failed');
    assert.is(info.level, 'error');
    assert.ok(took >= 300 && took < 4000, `failed after ${took} ms`);
    assert.equal(codes, ['NetConnection.Connect.Failed']);
    assert.is(nc.state, 'closed');
    assert.is(nc.nearID, '');
  } finally {
    await nc.close();
    sink.close();
  }
});

test('closed by the server: server.close() gives Closed on every client; calls in flight reject', async () => {
  const server = await RtmfpServer.listen({
    host: LOOP,
    port: 0,
    methods: { slow: () => new Promise<AmfValue>(() => undefined) },
  });
  const a = new NetConnection(CLIENT_EP);
  const b = new NetConnection(CLIENT_EP);
  const codesA = statuses(a);
  const codesB = statuses(b);
  try {
    assert.is((await a.connect(`rtmfp://${LOOP}:${server.port}/app`)).code, 'NetConnection.Connect.Success');
    assert.is((await b.connect(`rtmfp://${LOOP}:${server.port}/app`)).code, 'NetConnection.Connect.Success');
    assert.is(server.clients.size, 2);
    const inFlight = a.call('slow', {}).then(
      () => null,
      (e: unknown) => e,
    );
    await server.close();
    await until(() => codesA.length === 2 && codesB.length === 2, 5000, 'Closed on both clients');
    assert.equal(codesA, ['NetConnection.Connect.Success', 'NetConnection.Connect.Closed']);
    assert.equal(codesB, ['NetConnection.Connect.Success', 'NetConnection.Connect.Closed']);
    const e = await inFlight;
    assert.instance(e, NetCallError);
    assert.is((e as NetCallError).code, 'ERR_NETCONNECTION_CLOSED');
    // A closed NetConnection refuses calls.
    await a.call('slow').then(
      () => assert.unreachable('call on a closed connection'),
      (e: NetCallError) => assert.is(e.code, 'ERR_NETCONNECTION_CLOSED'),
    );
  } finally {
    await a.close();
    await b.close();
    await server.close();
  }
});

test('one client closed by the server (ServerClient.close) gets Closed; the other stays connected', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, methods: { echo: (_c, v) => v ?? null } });
  const a = new NetConnection(CLIENT_EP);
  const b = new NetConnection(CLIENT_EP);
  const codesA = statuses(a);
  try {
    await a.connect(`rtmfp://${LOOP}:${server.port}/app`);
    await b.connect(`rtmfp://${LOOP}:${server.port}/app`);
    const ca = [...server.clients].find((c) => c.farID === a.nearID)!;
    assert.ok(ca, 'server knows client a by its peer ID');
    ca.close();
    await until(() => codesA.length === 2, 5000, 'Closed on a');
    assert.is(codesA[1], 'NetConnection.Connect.Closed');
    assert.is(await b.call('echo', {}, 'still here'), 'still here');
  } finally {
    await a.close();
    await b.close();
    await server.close();
  }
});

test('call(): _result values (AMF3 and AMF0 encodings), _error from the method, unknown method, responder callbacks', async () => {
  const server = await RtmfpServer.listen({
    host: LOOP,
    port: 0,
    methods: {
      add: (_c, x, y) => (x as number) + (y as number),
      describe: async (c, o) => ({ app: c.app, got: o ?? null, list: [1, 'two', true], when: new Date(0) }),
      fail: () => {
        throw new Error('nope');
      },
    },
  });
  for (const objectEncoding of [3, 0] as const) {
    const nc = new NetConnection({ ...CLIENT_EP, objectEncoding });
    try {
      const info = await nc.connect(`rtmfp://${LOOP}:${server.port}/calc`);
      assert.is(info.objectEncoding, objectEncoding);
      assert.is(nc.objectEncoding, objectEncoding);
      assert.is(await nc.call('add', {}, 2, 40), 42);
      // Several calls in flight; answers match their transaction IDs.
      const [r1, r2, r3] = await Promise.all([nc.call('add', {}, 1, 1), nc.call('describe', {}, { k: 'v' }), nc.call('add', {}, -5, 0.5)]);
      assert.is(r1, 2);
      assert.equal(r2, { app: 'calc', got: { k: 'v' }, list: [1, 'two', true], when: new Date(0) });
      assert.is(r3, -4.5);

      let statusSeen: NetStatusInfo | undefined;
      const failing = nc.call('fail', { status: (i) => (statusSeen = i) });
      const err = await failing.then(
        () => assert.unreachable('fail() should reject'),
        (e: unknown) => e as NetCallError,
      );
      assert.instance(err, NetCallError);
      assert.is(err!.code, 'ERR_NETCONNECTION_CALL_ERROR');
      assert.is(err!.info?.code, 'NetConnection.Call.Failed');
      assert.is(err!.info?.description, 'nope');
      assert.is(statusSeen?.code, 'NetConnection.Call.Failed');

      const unknown = await nc.call('noSuchMethod', {}).then(
        () => undefined,
        (e: NetCallError) => e,
      );
      assert.is(unknown?.info?.code, 'NetConnection.Call.Failed');
      assert.is(unknown?.info?.level, 'error');

      let resultSeen: AmfValue = null;
      assert.is(await nc.call('add', { result: (v) => (resultSeen = v) }, 3, 4), 7);
      assert.is(resultSeen, 7);
      assert.is(nc.counters.unmatchedReplies, 0);
      assert.is(nc.counters.malformedMessages, 0);
    } finally {
      await nc.close();
    }
  }
  await server.close();
});

test('setPeerInfo records the reported addresses on the session (no reply); odd forms are skipped', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, methods: { ping: () => 'pong' } });
  const nc = new NetConnection(CLIENT_EP);
  try {
    const accepted = new Promise<ServerClient>((r) => server.once('client', r));
    await nc.connect(`rtmfp://${LOOP}:${server.port}/app`);
    const client = await accepted;
    // librtmfp form: no null, then "ip:port" strings (wire-reference E.4).
    await nc.call('setPeerInfo', null, '192.168.1.20:5000', '[fe80::1]:6000', 'garbage', '10.0.0.1:99999', 7);
    // A later call's answer proves setPeerInfo was processed first (one ordered flow) and got no reply.
    assert.is(await nc.call('ping', {}), 'pong');
    const got = client.reportedAddresses.map((a) => `${socketAddressToEndpoint(a).address}:${a.port}:${a.origin}`);
    assert.equal(got, ['192.168.1.20:5000:1', 'fe80::1:6000:1']);
    assert.is(nc.counters.unmatchedReplies, 0);
  } finally {
    await nc.close();
    await server.close();
  }
  assert.is(parseHostPort('1.2.3.4'), null);
  assert.is(parseHostPort(':80'), null);
  assert.is(parseHostPort('1.2.3.4:80')?.port, 80);
});

test('wire form against a bare Endpoint: flow 2 with TC 04 00, AMF0 connect with transaction 1; garbage dropped; no answer -> Failed', async () => {
  const raw = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const nc = new NetConnection({ ...CLIENT_EP, connectTimeoutMs: 400 });
  const codes = statuses(nc);
  try {
    const got = new Promise<{ flowId: number; meta: number[]; assoc: number | undefined; msg: Uint8Array; session: Session }>((resolve) =>
      raw.once('session', (session) =>
        session.once('message', (f, m) => resolve({ flowId: f.flowId, meta: [...f.metadata], assoc: f.associatedFlowId, msg: m.slice(), session })),
      ),
    );
    const done = nc.connect(`rtmfp://${LOOP}:${raw.address.port}/app`);
    const first = await got;
    assert.is(first.flowId, 2);
    assert.equal(first.meta, [0x54, 0x43, 0x04, 0x00]);
    assert.is(first.assoc, undefined);
    // 14 | timestamp 0 | AMF0 "connect" | number 1.0 | object {app: "app", ...
    const head = [0x14, 0, 0, 0, 0, 0x02, 0x00, 0x07, ...new TextEncoder().encode('connect'), 0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x03, 0x00, 0x03, ...new TextEncoder().encode('app'), 0x02, 0x00, 0x03];
    assert.equal([...first.msg.subarray(0, head.length)], head);
    // A malformed message and an RTMP-only type on a return flow are dropped, not thrown.
    const back = first.session.openFlow(Uint8Array.of(0x54, 0x43, 0x04, 0x00), { returnFlowAssociation: first.flowId });
    back.write(Uint8Array.of(0x14, 0, 0, 0, 0, 0x02, 0x00, 0x40, 0x41));
    back.write(Uint8Array.of(0x01, 0, 0, 0, 0, 0, 0, 0x10, 0));
    const info = await done;
    assert.is(info.code, 'NetConnection.Connect.Failed');
    assert.match(info.description ?? '', /no answer to connect/);
    assert.is(nc.counters.malformedMessages, 2);
    assert.equal(codes, ['NetConnection.Connect.Failed']);
  } finally {
    await nc.close();
    await raw.close();
  }
});

test.run();
