// Live relay through RtmfpServer on the virtual network under a ManualClock: one publisher, many
// players, every message intact and in order, a throttled player that slows nobody, hooks, late
// joiners. Deterministic: the publisher's pace and every wait are virtual time. One short
// real-UDP relay is in server-relay-udp.test.ts; 20 players over UDP is a soak run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetStream } from '../src/flash/net-stream.js';
import { byKind, Collector, digest, makeFrames, Rng } from './support/relay-frames.js';
import { VnetFlash } from './support/vnet-flash.js';

const test = suite('live relay (virtual network)');


const PLAYERS = 20;

test(`one publisher, ${PLAYERS} players: every audio and video message intact and in order; metadata first; a stalled player slows nobody`, async () => {
  const v = new VnetFlash(7, { defaultPath: { latencyMs: 5, jitterMs: 1 } });
  const { clock } = v;
  try {
    const server = await v.server();
    const frames = makeFrames(new Rng(7), 4);
    // The players; one more plays over a 40 KB/s access link (the stream is ~1.3 Mbit/s).
    const players: { ns: NetStream; c: Collector }[] = [];
    for (let i = 0; i < PLAYERS; i++) {
      const nc = await v.connect();
      const ns = new NetStream(nc);
      const start = v.status(ns, 'NetStream.Play.Start');
      ns.play('cam');
      await start.wait();
      players.push({ ns, c: new Collector(ns, () => clock.now()) });
    }
    const slowHost = v.net.addHost({ down: { bandwidth: 40_000, queueBytes: 64 * 1260 } });
    const slowNc = await v.connect('live', {}, slowHost);
    const slow = new NetStream(slowNc);
    const slowStart = v.status(slow, 'NetStream.Play.Start');
    slow.play('cam');
    await slowStart.wait();
    const slowC = new Collector(slow, () => clock.now());

    const pubNc = await v.connect();
    const pub = new NetStream(pubNc);
    const started = v.status(pub, 'NetStream.Publish.Start');
    const notified = v.status(players[0]!.ns, 'NetStream.Play.PublishNotify');
    pub.publish('cam');
    await started.wait();
    await notified.wait();
    pub.send('@setDataFrame', 'onMetaData', { width: 320, height: 240, framerate: 25 });
    // Virtual real time: one 40 ms tick of frames at a time.
    const t0 = clock.now();
    let i = 0;
    let accepted = true;
    const tick = (): void => {
      const at = frames[i]!.timestamp;
      while (i < frames.length && frames[i]!.timestamp < at + 40) {
        const f = frames[i++]!;
        accepted &&= f.kind === 'audio' ? pub.sendAudio(f.timestamp, f.payload) : pub.sendVideo(f.timestamp, f.payload);
      }
      if (i < frames.length) clock.setTimer(t0 + frames[i]!.timestamp, tick);
    };
    tick();
    await v.until(() => i >= frames.length, { maxMs: 10_000 });
    assert.ok(accepted, 'publisher flow accepted every frame');
    const publishEnd = clock.now();
    const total = frames.length;
    await v.until(() => players.every((p) => p.c.got.length >= total), { maxMs: 10_000 });
    const lastFast = Math.max(...players.map((p) => p.c.lastAt));
    for (const [k, p] of players.entries()) {
      for (const kind of ['audio', 'video']) {
        assert.equal(byKind(p.c.got, frames, kind), byKind(frames.map((f) => digest(f.kind, f.timestamp, f.payload)), frames, kind), `player ${k} ${kind} in order and intact`);
      }
      assert.is(p.c.got.length, total, `player ${k} got nothing extra`);
      assert.equal(p.c.metadata, [{ width: 320, height: 240, framerate: 25 }], `player ${k} got onMetaData once`);
    }
    console.log(`  ${total} messages to ${PLAYERS} players; the last fast player done ${lastFast - publishEnd} virtual ms after the publisher; the throttled one got ${slowC.got.length}`);
    // The stalled player lags far behind, yet the others finished within a second of the publisher.
    assert.ok(lastFast - publishEnd < 1000, `fast players done ${lastFast - publishEnd} ms after the publisher`);
    assert.ok(slowC.got.length < total, `the throttled player cannot have everything (${slowC.got.length}/${total})`);
    const stats = server.stats();
    assert.is(stats.publishers, 1);
    assert.is(stats.players, PLAYERS + 1);
    assert.ok(stats.relay.dropped + stats.relay.abandoned > 0, 'the slow player lost frames to drops or lifetimes, counted');
    assert.ok(stats.relay.messagesOut >= total * PLAYERS, 'every fast player counted');
    // Unpublish reaches the players.
    const unpub = v.status(players[0]!.ns, 'NetStream.Play.UnpublishNotify');
    pub.close();
    await unpub.wait();
  } finally {
    await v.close();
  }
});

test('publish BadName when the name is taken; onPublish / onPlay hooks refuse; streams are per instance', async () => {
  const v = new VnetFlash(8, { defaultPath: { latencyMs: 5 } });
  try {
    const server = await v.server({ onPublish: (_c, name) => name !== 'forbidden', onPlay: (_c, name) => name !== 'secret' });
    const a = await v.connect('live/room1');
    const b = await v.connect('live/room1');
    const c = await v.connect('live/room2');
    const pa = new NetStream(a);
    const ok = v.status(pa, 'NetStream.Publish.Start');
    pa.publish('x');
    await ok.wait();
    const pb = new NetStream(b);
    const bad = v.status(pb, 'NetStream.Publish.BadName');
    pb.publish('x');
    await bad.wait();
    const pb2 = new NetStream(b);
    const bad2 = v.status(pb2, 'NetStream.Publish.BadName');
    pb2.publish('forbidden');
    await bad2.wait();
    const pc = new NetStream(c);
    const okOther = v.status(pc, 'NetStream.Publish.Start');
    pc.publish('x'); // another instance: a different stream
    await okOther.wait();
    const player = new NetStream(b);
    const refused = v.status(player, 'NetStream.Play.Failed');
    player.play('secret');
    await refused.wait();
    assert.equal([...server.instances.keys()].sort(), ['live/room1', 'live/room2']);
    assert.is(server.stats().publishers, 2);
  } finally {
    await v.close();
  }
});

test('a late player gets metadata and decoder configuration first, then starts at a keyframe', async () => {
  const v = new VnetFlash(9, { defaultPath: { latencyMs: 5 } });
  try {
    const server = await v.server();
    const pubNc = await v.connect();
    const pub = new NetStream(pubNc);
    const started = v.status(pub, 'NetStream.Publish.Start');
    pub.publish('late');
    await started.wait();
    pub.send('@setDataFrame', 'onMetaData', { duration: 0 });
    const avcConfig = Uint8Array.of(0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f);
    const aacConfig = Uint8Array.of(0xaf, 0, 0x12, 0x10);
    pub.sendVideo(0, avcConfig);
    pub.sendAudio(0, aacConfig);
    pub.sendVideo(0, Uint8Array.of(0x17, 1, 0, 0, 0, 9));
    pub.sendVideo(40, Uint8Array.of(0x27, 1, 0, 0, 0, 8));
    await v.until(() => server.stats().relay.messagesIn >= 5);
    const nc = await v.connect();
    const ns = new NetStream(nc);
    const seen: string[] = [];
    ns.client.onMetaData = () => void seen.push('meta');
    ns.on('audio', (_t, p) => seen.push(`a${p[1]}`));
    ns.on('video', (t, p) => seen.push(`v${p[0]!.toString(16)}.${p[1]}@${t}`));
    const start = v.status(ns, 'NetStream.Play.Start');
    ns.play('late');
    await start.wait();
    pub.sendVideo(80, Uint8Array.of(0x27, 1, 0, 0, 0, 7)); // not decodable without a keyframe: skipped
    pub.sendVideo(1000, Uint8Array.of(0x17, 1, 0, 0, 0, 6));
    await v.until(() => seen.includes('v17.1@1000'));
    assert.is(seen[0], 'meta');
    assert.ok(seen.indexOf('v17.0@0') >= 0 && seen.indexOf('v17.0@0') < seen.indexOf('v17.1@1000'), 'AVC config before the first frame');
    assert.ok(seen.includes('a0'), 'AAC config delivered');
    assert.not.ok(seen.includes('v27.1@80'), 'no inter frame before the keyframe');
  } finally {
    await v.close();
  }
});

test.run();
