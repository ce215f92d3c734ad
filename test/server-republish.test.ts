// Server-side republishing over real UDP on 127.0.0.1: a stream published on server A is
// published again on server B by a StreamRepublisher (a NetConnection / NetStream of A's own).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { NetConnection } from '../src/flash/net-connection.js';
import { NetStream } from '../src/flash/net-stream.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { StreamRepublisher, RepublisherError } from '../src/server/republisher.js';
import { RtmfpError } from '../src/errors.js';
import type { AmfValue } from '../src/wire/amf/types.js';
import { mulberry32 } from './support/prng.js';
import { LOOP, until, statusOf, connectLocal as connect } from './support/flash-client.js';
import { VnetFlash } from './support/vnet-flash.js';

const test = suite('republish');
/**
 * The republisher's own endpoint binds loopback, as the servers do. Its handshake timeout is a
 * generous bound for a loaded machine; the dead-server case uses a short one (it waits for it).
 */
const NC_OPTIONS = { endpointOptions: { host: LOOP }, handshakeTimeoutMs: 5000, closeWaitMs: 1000 };
const DEAD_NC_OPTIONS = { ...NC_OPTIONS, handshakeTimeoutMs: 400 };

async function publisher(nc: NetConnection, name: string): Promise<NetStream> {
  const ns = new NetStream(nc);
  const started = statusOf(ns, 'NetStream.Publish.Start');
  ns.publish(name);
  await started;
  return ns;
}

async function player(nc: NetConnection, name: string): Promise<{ ns: NetStream; c: Collector }> {
  const ns = new NetStream(nc);
  // Listening before play: the catch-up (metadata, configs) can come in the Play.Start packet.
  const c = new Collector(ns);
  const started = statusOf(ns, 'NetStream.Play.Start');
  ns.play(name);
  await started;
  return { ns, c };
}

interface Frame {
  kind: 'audio' | 'video';
  timestamp: number;
  payload: Uint8Array;
}

/** A synthetic A/V stream: AVC keyframe every 25 frames, 40 ms apart, two AAC frames per video frame. */
function makeFrames(seed: number, seconds: number, t0 = 0, videoScale = 1): Frame[] {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const fill = (b: Uint8Array) => {
    for (let i = 0; i < b.length; i++) b[i] = int(256);
  };
  const frames: Frame[] = [];
  for (let i = 0; i < seconds * 25; i++) {
    const t = t0 + i * 40;
    const key = i % 25 === 0;
    const v = new Uint8Array(videoScale * (key ? 8000 + int(4000) : 1000 + int(2000)));
    fill(v);
    v[0] = key ? 0x17 : 0x27;
    v[1] = 1; // AVC NALU, not a sequence header
    frames.push({ kind: 'video', timestamp: t, payload: v });
    for (const at of [t, t + 20]) {
      const a = new Uint8Array(150 + int(100));
      fill(a);
      a[0] = 0xaf;
      a[1] = 1; // AAC raw
      frames.push({ kind: 'audio', timestamp: at, payload: a });
    }
  }
  return frames;
}

/** publisher() and player() on the virtual network: their waits are virtual time. */
async function vPublisher(v: VnetFlash, nc: NetConnection, name: string): Promise<NetStream> {
  const ns = new NetStream(nc);
  const started = v.status(ns, 'NetStream.Publish.Start');
  ns.publish(name);
  await started.wait();
  return ns;
}

async function vPlayer(v: VnetFlash, nc: NetConnection, name: string): Promise<{ ns: NetStream; c: Collector }> {
  const ns = new NetStream(nc);
  const c = new Collector(ns);
  const started = v.status(ns, 'NetStream.Play.Start');
  ns.play(name);
  await started.wait();
  return { ns, c };
}

const AVC_CONFIG = Uint8Array.of(0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff);
const AAC_CONFIG = Uint8Array.of(0xaf, 0, 0x12, 0x10);

const digest = (kind: string, ts: number, p: Uint8Array) => createHash('sha256').update(kind).update(String(ts)).update(p).digest('hex');

class Collector {
  readonly audio: string[] = [];
  readonly video: string[] = [];
  /** Every message in arrival order, short form, to check what came first. */
  readonly order: string[] = [];
  readonly metadata: AmfValue[] = [];
  constructor(ns: NetStream) {
    ns.on('audio', (t, p) => {
      this.audio.push(digest('audio', t, p));
      this.order.push(p[1] === 0 ? 'aac-config' : 'a');
    });
    ns.on('video', (t, p) => {
      this.video.push(digest('video', t, p));
      this.order.push(p[1] === 0 ? 'avc-config' : 'v');
    });
    ns.client.onMetaData = (md: AmfValue) => {
      this.metadata.push(md);
      this.order.push('meta');
    };
  }
  get media(): number {
    return this.audio.length + this.video.length;
  }
}

/** Sends frames in real time (one 40 ms tick at a time), asserting the publisher's flows take each. */
async function sendRealTime(pub: NetStream, frames: Frame[]): Promise<void> {
  const start = Date.now();
  const t0 = frames[0]!.timestamp;
  let i = 0;
  while (i < frames.length) {
    const tick = frames[i]!.timestamp;
    while (i < frames.length && frames[i]!.timestamp < tick + 40) {
      const f = frames[i++]!;
      assert.ok(f.kind === 'audio' ? pub.sendAudio(f.timestamp, f.payload) : pub.sendVideo(f.timestamp, f.payload), 'publisher flow took the frame');
    }
    const wait = start + (tick - t0) + 40 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

const expected = (frames: Frame[], kind: 'audio' | 'video') => frames.filter((f) => f.kind === kind).map((f) => digest(f.kind, f.timestamp, f.payload));

/** A UDP port nobody answers on: a server's, after it closed. */
async function deadPort(): Promise<number> {
  const s = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const port = s.port;
  await s.close();
  return port;
}

test('A republishes "cam" to B as "cam-copy": metadata, decoder config, every frame intact and in order; B has one publisher; stop -> UnpublishNotify', async () => {
  const a = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const b = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const ncs: NetConnection[] = [];
  let rep: StreamRepublisher | undefined;
  try {
    const pubNc = await connect(a.port);
    ncs.push(pubNc);
    const pub = await publisher(pubNc, 'cam');
    // Metadata and decoder configuration before the republisher exists: it must send them first.
    pub.send('@setDataFrame', 'onMetaData', { width: 320, height: 240, framerate: 25, title: 'cam' });
    assert.ok(pub.sendVideo(0, AVC_CONFIG));
    assert.ok(pub.sendAudio(0, AAC_CONFIG));
    await until(() => a.stats().relay.messagesIn >= 3, 3000, 'A to relay metadata and configs');
    const localNc = await connect(a.port);
    ncs.push(localNc);
    const local = await player(localNc, 'cam');

    const statuses: string[] = [];
    rep = await StreamRepublisher.start(a.instance('live').stream('cam'), { uri: `rtmfp://${LOOP}:${b.port}/live`, name: 'cam-copy' }, { netConnection: NC_OPTIONS });
    rep.on('status', (i) => statuses.push(i.code));
    assert.is(rep.state, 'publishing');
    assert.is(rep.lastStatus?.code, 'NetStream.Publish.Start');
    assert.is(rep.remoteName, 'cam-copy');

    const remoteNc = await connect(b.port);
    ncs.push(remoteNc);
    const remote = await player(remoteNc, 'cam-copy');
    const frames = makeFrames(11, 2, 40);
    await sendRealTime(pub, frames);
    await until(() => remote.c.media >= frames.length + 2 && local.c.media >= frames.length + 2, 8000, 'both players to get every frame');
    for (const who of [remote, local]) {
      assert.equal(who.c.audio.slice(1), expected(frames, 'audio'), 'audio in order and intact');
      assert.equal(who.c.video.slice(1), expected(frames, 'video'), 'video in order and intact');
      assert.is(who.c.audio[0], digest('audio', 0, AAC_CONFIG));
      assert.is(who.c.video[0], digest('video', 0, AVC_CONFIG));
      assert.equal(who.c.metadata, [{ width: 320, height: 240, framerate: 25, title: 'cam' }], 'onMetaData once');
      assert.is(who.c.order[0], 'meta');
      assert.ok(who.c.order.indexOf('avc-config') < who.c.order.indexOf('v'), 'AVC config before the first frame');
    }
    assert.equal(rep.counters, { forwarded: frames.length + 3, dropped: 0, reconnects: 0 });
    const bStats = b.stats();
    assert.is(bStats.publishers, 1);
    assert.is(bStats.players, 1);
    assert.is(bStats.clients, 2, 'the remote player and the republisher');
    assert.is(bStats.relay.messagesIn, frames.length + 3);
    assert.is(a.stats().players, 2, 'A: the local player and the republisher');

    const unpublished = statusOf(remote.ns, 'NetStream.Play.UnpublishNotify');
    let closed = false;
    rep.once('close', () => (closed = true));
    await rep.stop();
    await unpublished;
    assert.ok(closed, "'close' emitted");
    assert.is(rep.state, 'closed');
    assert.is(a.stats().players, 1, 'the republisher left the local stream');
    await until(() => b.stats().clients === 1, 3000, "the republisher's session to close on B");
    assert.is(b.stats().publishers, 0);
    assert.equal(statuses, [], 'no status while all went well');
    await rep.stop(); // idempotent
  } finally {
    await rep?.stop();
    await Promise.all(ncs.map((nc) => nc.close()));
    await Promise.all([a.close(), b.close()]);
  }
});

test('the remote stream follows the local one: unpublish -> UnpublishNotify on B, a new publisher -> PublishNotify and media again', async () => {
  const a = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const b = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const ncs: NetConnection[] = [];
  let rep: StreamRepublisher | undefined;
  try {
    const inst = a.instance('live', 'room', { keepLoaded: true });
    // Started before anyone publishes: connected, nothing published on B yet.
    rep = await StreamRepublisher.start(inst.stream('cam'), { uri: `rtmfp://${LOOP}:${b.port}/live/room` }, { netConnection: NC_OPTIONS, instance: inst });
    assert.is(rep.state, 'connected');
    assert.is(b.stats().publishers, 0);
    assert.ok(inst.members.has(rep), 'joined the instance');
    const remoteNc = await connect(b.port, 'live/room');
    ncs.push(remoteNc);
    const remote = await player(remoteNc, 'cam');

    for (let round = 0; round < 2; round++) {
      const pubNc = await connect(a.port, 'live/room');
      ncs.push(pubNc);
      const notify = statusOf(remote.ns, 'NetStream.Play.PublishNotify');
      const pub = await publisher(pubNc, 'cam');
      await notify;
      await until(() => rep!.state === 'publishing', 2000, 'Publish.Start on B');
      const before = remote.c.video.length;
      const frames = makeFrames(20 + round, 1, 1000 * round);
      await sendRealTime(pub, frames);
      await until(() => remote.c.video.length >= before + 25, 5000, `round ${round} video on B`);
      assert.equal(remote.c.video.slice(before), expected(frames, 'video'), `round ${round}: video intact and in order`);
      const gone = statusOf(remote.ns, 'NetStream.Play.UnpublishNotify');
      pub.close();
      await gone;
      await until(() => rep!.state === 'connected', 2000, 'the republisher to go back to connected');
      assert.is(b.stats().publishers, 0);
    }
    assert.is(rep.counters.dropped, 0);
    assert.is(rep.counters.reconnects, 0);
  } finally {
    await rep?.stop();
    await Promise.all(ncs.map((nc) => nc.close()));
    await Promise.all([a.close(), b.close()]);
  }
});

test('remote server down: failure status, no throw into the relay, local players keep playing; bounded retries, then close', async () => {
  const a = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const ncs: NetConnection[] = [];
  const reps: StreamRepublisher[] = [];
  try {
    const port = await deadPort();
    const pubNc = await connect(a.port);
    const localNc = await connect(a.port);
    ncs.push(pubNc, localNc);
    const pub = await publisher(pubNc, 'cam');
    const local = await player(localNc, 'cam');
    const stream = a.instance('live').stream('cam');

    // No reconnect: the first failure stops it.
    const once = await StreamRepublisher.start(stream, { uri: `rtmfp://${LOOP}:${port}/live` }, { netConnection: DEAD_NC_OPTIONS });
    reps.push(once);
    assert.is(once.state, 'closed');
    assert.is(once.lastStatus?.code, 'NetConnection.Connect.Failed');
    assert.instance(once.error, RepublisherError);
    assert.is(once.error?.code, 'ERR_REPUBLISH_FAILED');
    assert.not.ok(stream.subscribers.has(once), 'left the stream');

    // With reconnect: retries with a growing delay, reports each failure, gives up after 2 attempts.
    const statuses: { code: string; at: number }[] = [];
    const errors: RepublisherError[] = [];
    const t0 = Date.now();
    const rep = await StreamRepublisher.start(stream, { uri: `rtmfp://${LOOP}:${port}/live` }, { netConnection: DEAD_NC_OPTIONS, reconnectMs: 150, maxReconnectAttempts: 2 });
    reps.push(rep);
    rep.on('status', (i) => statuses.push({ code: i.code, at: Date.now() - t0 }));
    rep.on('error', (e) => errors.push(e));
    const closed = new Promise<void>((r) => rep.once('close', () => r()));
    assert.is(rep.state, 'waiting');
    assert.is(rep.lastStatus?.code, 'NetConnection.Connect.Failed');

    // Meanwhile the relay goes on: nothing throws out of deliver() and the local player gets every frame.
    const frames = makeFrames(5, 1, 40);
    await sendRealTime(pub, frames);
    await until(() => local.c.media >= frames.length, 5000, 'the local player to get every frame');
    assert.equal(local.c.video, expected(frames, 'video'));
    assert.equal(local.c.audio, expected(frames, 'audio'));
    await closed;
    assert.is(rep.state, 'closed');
    assert.equal(statuses.map((s) => s.code), ['NetConnection.Connect.Failed', 'NetConnection.Connect.Failed'], 'one failure per retry');
    assert.ok(statuses[1]!.at - statuses[0]!.at >= 300 - 20, `the second retry waited twice as long (${statuses[1]!.at - statuses[0]!.at} ms)`);
    assert.equal(errors.map((e) => e.code), ['ERR_REPUBLISH_FAILED', 'ERR_REPUBLISH_FAILED']);
    assert.is(rep.counters.forwarded, 0);
    assert.ok(rep.counters.dropped >= frames.length, 'media relayed while not connected counted as dropped');
    assert.is(stream.subscribers.size, 1, 'only the local player is left');
    assert.is(a.stats().publishers, 1);
  } finally {
    await Promise.all(reps.map((r) => r.stop()));
    await Promise.all(ncs.map((nc) => nc.close()));
    await a.close();
  }
});

test('remote server restarts: the loss is reported, the republisher reconnects and publishes again', async () => {
  const a = await RtmfpServer.listen({ host: LOOP, port: 0 });
  let b = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const bPort = b.port;
  const ncs: NetConnection[] = [];
  let rep: StreamRepublisher | undefined;
  try {
    const pubNc = await connect(a.port);
    ncs.push(pubNc);
    const pub = await publisher(pubNc, 'cam');
    rep = await StreamRepublisher.start(a.instance('live').stream('cam'), { uri: `rtmfp://${LOOP}:${bPort}/live` }, { netConnection: NC_OPTIONS, reconnectMs: 100 });
    const statuses: string[] = [];
    rep.on('status', (i) => statuses.push(i.code));
    rep.on('error', () => undefined);
    assert.is(rep.state, 'publishing');
    await b.close();
    await until(() => statuses.includes('NetConnection.Connect.Closed'), 3000, 'the lost connection to be reported');
    b = await RtmfpServer.listen({ host: LOOP, port: bPort });
    await until(() => rep!.state === 'publishing', 8000, 'the republisher to publish on the restarted B');
    assert.ok(rep.counters.reconnects >= 1);
    assert.is(b.stats().publishers, 1);
    const remoteNc = await connect(bPort);
    ncs.push(remoteNc);
    const remote = await player(remoteNc, 'cam');
    const frames = makeFrames(9, 1, 5000);
    await sendRealTime(pub, frames);
    await until(() => remote.c.media >= frames.length, 5000, 'the remote player to get every frame');
    assert.equal(remote.c.video, expected(frames, 'video'));
    assert.equal(remote.c.audio, expected(frames, 'audio'));
  } finally {
    await rep?.stop();
    await Promise.all(ncs.map((nc) => nc.close()));
    await Promise.all([a.close(), b.close()]);
  }
});

test('a slow link to B: what the remote flow will not take is dropped and counted, video resumes at a keyframe, audio and local players unharmed', async () => {
  // On the virtual network under a ManualClock: the pace of the publisher and the link are
  // virtual time, so how much the bottleneck refuses does not depend on the machine's load.
  const v = new VnetFlash(3, { defaultPath: { latencyMs: 2 } });
  // A -> B through a 400 KB/s bottleneck (B's access link); the publisher below pushes ~3 MB of
  // video in two seconds, more than the republisher's video flow buffer (1 MiB) and the link
  // together take.
  const bHost = v.net.addHost({ ipv4: '20.2.2.2', down: { bandwidth: 400_000, queueBytes: 256 * 1260 } });
  let rep: StreamRepublisher | undefined;
  try {
    const a = await v.server();
    await v.server({}, bHost.ipv4); // B
    const pubNc = await v.connect();
    const localNc = await v.connect();
    const remoteNc = await v.connect('live', {}, undefined, bHost.ipv4);
    const pub = await vPublisher(v, pubNc, 'cam');
    const local = await vPlayer(v, localNc, 'cam');
    // Frames never expire on the republisher's flows here: every loss is a counted drop.
    rep = await v.settle(
      StreamRepublisher.start(a.instance('live').stream('cam'), { uri: `rtmfp://${bHost.ipv4}:1935/live` }, { netConnection: v.netConnectionOptions(), mediaLifetimeMs: 60_000 }),
    );
    assert.is(rep.state, 'publishing');
    const remote = await vPlayer(v, remoteNc, 'cam');
    const frames = makeFrames(13, 4, 40, 12);
    const timestamps: number[] = [];
    const keyAt = new Set<number>();
    for (const f of frames) {
      if (f.kind !== 'video') continue;
      timestamps.push(f.timestamp);
      if (f.payload[0] === 0x17) keyAt.add(f.timestamp);
    }
    const remoteVideo: number[] = [];
    remote.ns.on('video', (t) => remoteVideo.push(t));
    // Four seconds of media in two: 50 ms per 100 ms of stream time.
    for (let i = 0; i < frames.length; i += 15) {
      for (const f of frames.slice(i, i + 15)) assert.ok(f.kind === 'audio' ? pub.sendAudio(f.timestamp, f.payload) : pub.sendVideo(f.timestamp, f.payload));
      await v.wait(50);
    }
    await v.until(() => local.c.media >= frames.length, { maxMs: 5000 });
    assert.equal(local.c.video, expected(frames, 'video'), 'the local player lost nothing');
    const total = frames.length;
    await v.until(() => rep!.counters.forwarded + rep!.counters.dropped >= total, { maxMs: 5000 });
    assert.is(rep.counters.forwarded + rep.counters.dropped, total, 'every message forwarded or counted as dropped');
    assert.ok(rep.counters.dropped > 0, 'the bottleneck forced drops');
    assert.ok(rep.counters.forwarded > 0);
    // Let B receive what the republisher queued: until its video stops growing for a second.
    for (let seen = -1, end = v.clock.now() + 30_000; seen !== remoteVideo.length && v.clock.now() < end; ) {
      seen = remoteVideo.length;
      await v.wait(1000);
    }
    // What B relays is an in-order subsequence of what was sent, and after any gap it resumes at a keyframe.
    let last = -1;
    for (const t of remoteVideo) {
      const at = timestamps.indexOf(t);
      assert.ok(at > last, `video ${t} in order`);
      if (at !== last + 1) assert.ok(keyAt.has(t), `video resumed at ${t} after a gap: must be a keyframe`);
      last = at;
    }
    assert.ok(remoteVideo.length < timestamps.length, 'B got less video than was sent');
    assert.equal(remote.c.audio, expected(frames, 'audio'), 'audio (its own flow, far from full) all forwarded, in order');
  } finally {
    if (rep) await v.settle(rep.stop());
    await v.close();
  }
});

test('the name is taken on B: Publish.BadName reported; without reconnect it stops, with reconnect it publishes once the name is free', async () => {
  const a = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const b = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const ncs: NetConnection[] = [];
  const reps: StreamRepublisher[] = [];
  try {
    const pubNc = await connect(a.port);
    const squatterNc = await connect(b.port);
    ncs.push(pubNc, squatterNc);
    await publisher(pubNc, 'cam');
    const squatter = await publisher(squatterNc, 'cam');
    const stream = a.instance('live').stream('cam');
    const uri = `rtmfp://${LOOP}:${b.port}/live`;

    const once = await StreamRepublisher.start(stream, { uri }, { netConnection: NC_OPTIONS });
    reps.push(once);
    assert.is(once.state, 'closed');
    assert.is(once.lastStatus?.code, 'NetStream.Publish.BadName');
    assert.is(once.error?.code, 'ERR_REPUBLISH_BAD_NAME');
    await until(() => b.stats().clients === 1, 3000, "the stopped republisher's session to close on B");

    const rep = await StreamRepublisher.start(stream, { uri }, { netConnection: NC_OPTIONS, reconnectMs: 100, maxReconnectDelayMs: 200 });
    reps.push(rep);
    const errors: string[] = [];
    rep.on('error', (e) => errors.push(e.code));
    assert.is(rep.state, 'waiting');
    assert.is(rep.lastStatus?.code, 'NetStream.Publish.BadName');
    await until(() => errors.length >= 2, 3000, 'retries refused while the name is taken');
    assert.ok(errors.every((c) => c === 'ERR_REPUBLISH_BAD_NAME'));
    assert.is(b.stats().clients, 2, 'retries reuse the one connection');
    squatter.close();
    await until(() => rep.state === 'publishing', 3000, 'the republisher to take the freed name');
    assert.is(rep.counters.reconnects, 0);
    assert.is(b.stats().publishers, 1);
  } finally {
    await Promise.all(reps.map((r) => r.stop()));
    await Promise.all(ncs.map((nc) => nc.close()));
    await Promise.all([a.close(), b.close()]);
  }
});

test('B refuses the connection (InvalidApp): reported, stopped, nothing thrown', async () => {
  const a = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const b = await RtmfpServer.listen({ host: LOOP, port: 0, applications: ['vod'] });
  try {
    const rep = await StreamRepublisher.start(a.instance('live').stream('cam'), { uri: `rtmfp://${LOOP}:${b.port}/live` }, { netConnection: NC_OPTIONS });
    assert.is(rep.state, 'closed');
    assert.is(rep.lastStatus?.code, 'NetConnection.Connect.InvalidApp');
    assert.is(rep.error?.code, 'ERR_REPUBLISH_REJECTED');
    await until(() => b.stats().clients === 0, 3000, "the refused session to close on B");
    assert.is(a.stats().streams, 1, 'the local stream exists (nobody released it: no instance was given)');
    assert.is(a.instance('live').stream('cam').subscribers.size, 0);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('B never answers publish: the attempt ends after publishTimeoutMs and, without reconnect, the republisher stops', async () => {
  const a = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const b = await RtmfpServer.listen({ host: LOOP, port: 0, onPublish: () => new Promise<boolean>(() => undefined) });
  try {
    const t0 = Date.now();
    const rep = await StreamRepublisher.start(a.instance('live').stream('cam'), { uri: `rtmfp://${LOOP}:${b.port}/live` }, { netConnection: NC_OPTIONS, publishTimeoutMs: 300 });
    assert.is(rep.state, 'connected');
    assert.ok(a.instance('live').stream('cam').publish({ kind: 'test', stopPublishing: () => undefined }));
    assert.is(rep.state, 'starting', 'publish sent once the local stream is published');
    await new Promise<void>((r) => rep.once('close', () => r()));
    assert.ok(Date.now() - t0 >= 300);
    assert.is(rep.error?.code, 'ERR_REPUBLISH_FAILED');
    assert.match(rep.error!.message, /did not answer publish/);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('bad arguments throw before anything is subscribed', async () => {
  const a = await RtmfpServer.listen({ host: LOOP, port: 0 });
  try {
    const stream = a.instance('live').stream('cam');
    for (const [target, options] of [
      [{ uri: 'http://x/live' }, {}],
      [{ uri: 'not a uri' }, {}],
      [{ uri: `rtmfp://${LOOP}:1/live`, name: '' }, {}],
      [{ uri: `rtmfp://${LOOP}:1/live` }, { reconnectMs: -1 }],
      [{ uri: `rtmfp://${LOOP}:1/live` }, { maxReconnectAttempts: Number.NaN }],
    ] as const) {
      try {
        await StreamRepublisher.start(stream, target, options);
        assert.unreachable(`accepted ${JSON.stringify(target)} ${JSON.stringify(options)}`);
      } catch (e) {
        assert.instance(e, RtmfpError, String(e));
      }
    }
    assert.is(stream.subscribers.size, 0);
  } finally {
    await a.close();
  }
});

test.run();
