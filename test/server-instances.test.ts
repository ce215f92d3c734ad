// Application instances of RtmfpServer with real clients over UDP on 127.0.0.1: loading on first
// connect, idle unload, keepLoaded, 'unload', InvalidApp, server-side close, per-instance streams.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetConnection } from '../src/flash/net-connection.js';
import { NetStream } from '../src/flash/net-stream.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import type { ServerClient } from '../src/server/server-client.js';
import { StreamRepublisher } from '../src/server/republisher.js';
import { LOOP, until, statusOf as nextStatus, connectLocal as connect } from './support/flash-client.js';

const test = suite('instances');
const IDLE_MS = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(extra: Parameters<typeof RtmfpServer.listen>[0] = {}): Promise<RtmfpServer> {
  return RtmfpServer.listen({ host: LOOP, port: 0, instanceIdleUnloadMs: IDLE_MS, ...extra });
}

const keys = (server: RtmfpServer) => [...server.instances.keys()].sort();

test('an instance loads on first connect, stays while a client is connected, unloads IDLE_MS after the last one left', async () => {
  const server = await listen();
  const ncs: NetConnection[] = [];
  try {
    assert.equal(keys(server), []);
    const a = await connect(server.port, 'live');
    const b = await connect(server.port, 'live/room');
    const c = await connect(server.port, 'live/room');
    ncs.push(a, b, c);
    assert.equal(keys(server), ['live/_definst_', 'live/room']);
    const room = server.instances.get('live/room')!;
    assert.is(room.members.size, 2);
    let unloadedAt = 0;
    room.once('unload', () => (unloadedAt = Date.now()));
    await sleep(IDLE_MS * 2);
    assert.equal(keys(server), ['live/_definst_', 'live/room'], 'connected clients keep both loaded');
    await b.close();
    await until(() => room.members.size === 1, 2000, 'the server to see b leave');
    await sleep(IDLE_MS * 2);
    assert.ok(room.loaded, 'one client left is enough');
    // Real timers (the idle unload is not on the injectable clock yet): the lower bound counts
    // from before the close, so a late poll on a loaded machine cannot break it; the upper bound
    // is generous (5 ms: node timers may fire a millisecond early by Date.now()).
    const closingAt = Date.now();
    await c.close();
    await until(() => room.members.size === 0, 5000, 'the server to see c leave');
    const leftAt = Date.now();
    await until(() => unloadedAt > 0, 5000, "'unload'");
    assert.ok(unloadedAt - closingAt >= IDLE_MS - 5, `unloaded ${unloadedAt - closingAt} ms after the last client's close, not before ${IDLE_MS}`);
    assert.ok(unloadedAt - leftAt < IDLE_MS + 3000, `unloaded ${unloadedAt - leftAt} ms after the last client left`);
    assert.not.ok(room.loaded);
    assert.equal(keys(server), ['live/_definst_'], 'the other instance is untouched');
    // Connecting again loads a new instance.
    const d = await connect(server.port, 'live/room');
    ncs.push(d);
    const again = server.instances.get('live/room');
    assert.ok(again && again !== room && again.loaded, 'a fresh instance');
    assert.is(server.stats().instances, 2);
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test('a publishing client keeps its instance; its stream is released on unpublish, and the instance unloads once the client leaves', async () => {
  const server = await listen();
  const ncs: NetConnection[] = [];
  try {
    const pubNc = await connect(server.port, 'live/show');
    ncs.push(pubNc);
    const inst = server.instances.get('live/show')!;
    const pub = new NetStream(pubNc);
    const started = nextStatus(pub, 'NetStream.Publish.Start');
    pub.publish('feed');
    await started;
    assert.ok(inst.stream('feed').published);
    await sleep(IDLE_MS * 2);
    assert.ok(inst.loaded && inst.stream('feed').published, 'loaded while publishing');
    let unloaded = false;
    inst.once('unload', () => (unloaded = true));
    pub.close();
    await until(() => !inst.streams.has('feed'), 2000, 'the stream to be released after unpublish');
    await pubNc.close();
    await until(() => unloaded, IDLE_MS + 2000, 'unload once nothing is left');
    assert.equal(keys(server), []);
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test('a member that is not a client (a republisher joined to the instance) keeps it loaded until it stops', async () => {
  const server = await listen();
  const remote = await RtmfpServer.listen({ host: LOOP, port: 0 });
  let rep: StreamRepublisher | undefined;
  try {
    const inst = server.instance('live', 'relay');
    rep = await StreamRepublisher.start(inst.stream('feed'), { uri: `rtmfp://${LOOP}:${remote.port}/live` }, { instance: inst, netConnection: { endpointOptions: { host: LOOP } } });
    assert.is(rep.state, 'connected');
    await sleep(IDLE_MS * 2);
    assert.ok(inst.loaded, 'the republisher is a member');
    assert.equal(keys(server), ['live/relay']);
    const unloaded = new Promise<number>((r) => inst.once('unload', () => r(Date.now())));
    // Counted from before stop(), so a late continuation on a loaded machine cannot break it.
    const stoppingAt = Date.now();
    await rep.stop();
    assert.ok((await unloaded) - stoppingAt >= IDLE_MS - 5, 'unloaded after the idle time');
    assert.equal(keys(server), []);
  } finally {
    await rep?.stop();
    await Promise.all([server.close(), remote.close()]);
  }
});

test('keepLoaded instances never unload when idle; clearing keepLoaded lets them', async () => {
  const server = await listen();
  const ncs: NetConnection[] = [];
  try {
    const kept = server.instance('live', 'kept', { keepLoaded: true });
    const plain = server.instance('live', 'plain');
    let plainUnloaded = false;
    plain.once('unload', () => (plainUnloaded = true));
    let keptUnloaded = false;
    kept.once('unload', () => (keptUnloaded = true));
    await sleep(IDLE_MS * 3);
    assert.ok(plainUnloaded, 'an instance loaded by the application and never used unloads');
    assert.not.ok(keptUnloaded);
    assert.equal(keys(server), ['live/kept']);
    // A client comes and goes: still kept; the client shares the same instance object.
    const nc = await connect(server.port, 'live/kept');
    ncs.push(nc);
    assert.ok(kept.members.size === 1 && server.instances.get('live/kept') === kept);
    await nc.close();
    await until(() => kept.members.size === 0, 2000, 'the client to leave');
    await sleep(IDLE_MS * 2);
    assert.not.ok(keptUnloaded, 'still loaded after its last client left');
    assert.is(server.instance('live', 'kept'), kept, 'server.instance() returns the loaded one');
    server.instance('live', 'kept', { keepLoaded: false });
    await until(() => keptUnloaded, IDLE_MS + 2000, 'unload after keepLoaded was cleared');
    assert.equal(keys(server), []);
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test('connecting to an application that is not served is refused with NetConnection.Connect.InvalidApp', async () => {
  const server = await listen({ applications: ['live', 'vod'] });
  const ncs: NetConnection[] = [];
  try {
    for (const app of ['other', 'other/room', 'Live']) {
      const nc = new NetConnection({ endpointOptions: { host: LOOP } });
      ncs.push(nc);
      const info = await nc.connect(`rtmfp://${LOOP}:${server.port}/${app}`);
      assert.is(info.code, 'NetConnection.Connect.InvalidApp', app);
      assert.is(info.level, 'error');
      assert.is(nc.state, 'rejected');
    }
    const ok = await connect(server.port, 'vod');
    ncs.push(ok);
    assert.equal(keys(server), ['vod/_definst_'], 'refused connects load nothing');
    // Without an application list, a URI without an application is still refused.
    const open = await listen();
    try {
      const nc = new NetConnection({ endpointOptions: { host: LOOP } });
      ncs.push(nc);
      const info = await nc.connect(`rtmfp://${LOOP}:${open.port}/`);
      assert.is(info.code, 'NetConnection.Connect.InvalidApp');
      assert.equal(keys(open), []);
    } finally {
      await Promise.all(ncs.map((nc) => nc.close()));
      await open.close();
    }
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test('the server closing a client: NetConnection.Connect.Closed on the client, its streams fail, its publish ends for players', async () => {
  const disconnected: ServerClient[] = [];
  const server = await listen({ onDisconnect: (c) => void disconnected.push(c) });
  const ncs: NetConnection[] = [];
  try {
    const pubNc = await connect(server.port, 'live');
    const playNc = await connect(server.port, 'live');
    ncs.push(pubNc, playNc);
    const pub = new NetStream(pubNc);
    const started = nextStatus(pub, 'NetStream.Publish.Start');
    pub.publish('cam');
    await started;
    const play = new NetStream(playNc);
    const playing = nextStatus(play, 'NetStream.Play.Start');
    play.play('cam');
    await playing;

    const client = [...server.clients].find((c) => c.farID === pubNc.nearID)!;
    assert.ok(client, 'the server knows the publisher by its peer ID');
    const closed = nextStatus(pubNc, 'NetConnection.Connect.Closed');
    const streamClosed = nextStatus(pub, 'NetStream.Connect.Closed');
    const unpublished = nextStatus(play, 'NetStream.Play.UnpublishNotify');
    client.close();
    await closed;
    await streamClosed;
    await unpublished;
    assert.is(pubNc.state, 'closed');
    assert.is(pub.state, 'closed');
    assert.equal(disconnected, [client], 'onDisconnect once');
    await until(() => server.clients.size === 1, 2000, 'the server to forget the client');
    assert.is(server.stats().publishers, 0);
    assert.is(server.stats().players, 1);
    assert.is(playNc.state, 'connected', 'the other client is untouched');
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test('a stream published by something that is not a member (a file, a feed) keeps an instance loaded past its idle time', async () => {
  const server = await listen();
  try {
    const inst = server.instance('live', 'feed');
    let stopped = '';
    const feed = { kind: 'test-feed', stopPublishing: (reason: string) => void (stopped = reason) };
    assert.ok(inst.stream('x').publish(feed));
    await sleep(IDLE_MS * 3);
    assert.ok(inst.loaded, 'still loaded while x is published');
    assert.is(stopped, '');
    inst.stream('x').unpublish(feed);
    inst.releaseStream(inst.stream('x'));
    await until(() => !inst.loaded, IDLE_MS * 5, 'the unload once x is released');
  } finally {
    await server.close();
  }
});

test('NetConnection.close() from inside a netStatus handler (the ActionScript habit) closes cleanly', async () => {
  const server = await listen({ onPublish: () => false });
  try {
    const nc = await connect(server.port, 'live');
    const ns = new NetStream(nc);
    const closed = nextStatus(nc, 'NetConnection.Connect.Closed');
    ns.on('netStatus', (i) => {
      if (i.code === 'NetStream.Publish.BadName') void nc.close();
    });
    ns.publish('x');
    await closed;
    await until(() => server.clients.size === 0, 5000, 'the server to see the close');
  } finally {
    await server.close();
  }
});

test("clients of different instances do not see each other's streams", async () => {
  const server = await listen();
  const ncs: NetConnection[] = [];
  try {
    const pubNc = await connect(server.port, 'live/room1');
    const sameNc = await connect(server.port, 'live/room1');
    const otherNc = await connect(server.port, 'live/room2');
    const defNc = await connect(server.port, 'live');
    ncs.push(pubNc, sameNc, otherNc, defNc);
    const players = [sameNc, otherNc, defNc].map((nc) => {
      const ns = new NetStream(nc);
      const got: string[] = [];
      ns.on('video', (t) => got.push(`v${t}`));
      ns.on('audio', (t) => got.push(`a${t}`));
      ns.on('netStatus', (i) => got.push(i.code));
      ns.client.onMetaData = () => void got.push('meta');
      return { ns, got, start: nextStatus(ns, 'NetStream.Play.Start') };
    });
    for (const p of players) p.ns.play('cam');
    await Promise.all(players.map((p) => p.start));
    const pub = new NetStream(pubNc);
    const started = nextStatus(pub, 'NetStream.Publish.Start');
    pub.publish('cam');
    await started;
    pub.send('@setDataFrame', 'onMetaData', { room: 1 });
    pub.sendVideo(0, Uint8Array.of(0x17, 1, 0, 0, 0, 1));
    pub.sendAudio(0, Uint8Array.of(0xaf, 1, 2));
    pub.sendVideo(40, Uint8Array.of(0x27, 1, 0, 0, 0, 2));
    const [same, other, def] = players;
    await until(() => same!.got.includes('v40') && same!.got.includes('a0'), 3000, 'the same-instance player to get the media');
    // Same packets went out for everyone in one relay pass: give the others time to show a leak.
    await sleep(200);
    assert.ok(same!.got.includes('NetStream.Play.PublishNotify') && same!.got.includes('meta'));
    for (const [name, p] of [['room2', other!], ['_definst_', def!]] as const) {
      assert.equal(p.got.filter((g) => g !== 'NetStream.Play.Reset' && g !== 'NetStream.Play.Start'), [], `${name} saw nothing of room1's stream`);
    }
    assert.equal(keys(server), ['live/_definst_', 'live/room1', 'live/room2']);
    assert.ok(server.instances.get('live/room1')!.stream('cam').published);
    assert.not.ok(server.instances.get('live/room2')!.stream('cam').published);
    assert.is(server.stats().publishers, 1);
    assert.is(server.stats().players, 3);
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test.run();
