// Soak: live relay through RtmfpServer over real UDP on 127.0.0.1, one publisher, 20 players and a
// throttled one, in real time. The same scenario runs deterministically on the virtual network in
// test/server-relay.test.ts; this run adds the kernel, real timers and the machine's load.
// Run it alone on an idle machine: npm run soak (or: npx uvu dist/soak "relay\.soak\.js$").
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetConnection } from '../src/flash/net-connection.js';
import { NetStream } from '../src/flash/net-stream.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { ImpairmentRelay } from '../test/support/impairment-relay.js';
import { byKind, Collector, digest, makeFrames, Rng } from '../test/support/relay-frames.js';
import { LOOP, until, statusOf, connectLocal as connect } from '../test/support/flash-client.js';

const test = suite('live relay');


test('one publisher, 20 players: every audio and video message intact and in order; metadata first; a stalled player slows nobody', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const ncs: NetConnection[] = [];
  let slowRelay: ImpairmentRelay | undefined;
  try {
    const frames = makeFrames(new Rng(7), 4);
    // 20 players; the 21st plays through a 40 KB/s bottleneck (the stream is ~1.3 Mbit/s).
    const players: { ns: NetStream; c: Collector }[] = [];
    for (let i = 0; i < 20; i++) {
      const nc = await connect(server.port);
      ncs.push(nc);
      const ns = new NetStream(nc);
      const start = statusOf(ns, 'NetStream.Play.Start');
      ns.play('cam');
      await start;
      players.push({ ns, c: new Collector(ns, Date.now) });
    }
    slowRelay = await ImpairmentRelay.open({ server: { address: LOOP, port: server.port }, seed: 1, toClient: { rateBytesPerSec: 40_000, queuePackets: 64 } });
    const slowNc = await connect(slowRelay.address.port);
    ncs.push(slowNc);
    const slow = new NetStream(slowNc);
    const slowStart = statusOf(slow, 'NetStream.Play.Start', 10_000);
    slow.play('cam');
    await slowStart;
    const slowC = new Collector(slow, Date.now);

    const pubNc = await connect(server.port);
    ncs.push(pubNc);
    const pub = new NetStream(pubNc);
    const started = statusOf(pub, 'NetStream.Publish.Start');
    const notified = statusOf(players[0]!.ns, 'NetStream.Play.PublishNotify');
    pub.publish('cam');
    await started;
    await notified;
    pub.send('@setDataFrame', 'onMetaData', { width: 320, height: 240, framerate: 25 });
    // Real time: one 40 ms tick of frames at a time.
    const t0 = Date.now();
    let i = 0;
    while (i < frames.length) {
      const tick = frames[i]!.timestamp;
      while (i < frames.length && frames[i]!.timestamp < tick + 40) {
        const f = frames[i++]!;
        assert.ok(f.kind === 'audio' ? pub.sendAudio(f.timestamp, f.payload) : pub.sendVideo(f.timestamp, f.payload), 'publisher flow accepted the frame');
      }
      const wait = t0 + tick + 40 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const publishEnd = Date.now();
    const total = frames.length;
    await until(() => players.every((p) => p.c.got.length >= total), 10_000, 'every fast player to get every frame');
    const lastFast = Math.max(...players.map((p) => p.c.lastAt));
    for (const [k, p] of players.entries()) {
      for (const kind of ['audio', 'video']) {
        assert.equal(byKind(p.c.got, frames, kind), byKind(frames.map((f) => digest(f.kind, f.timestamp, f.payload)), frames, kind), `player ${k} ${kind} in order and intact`);
      }
      assert.is(p.c.got.length, total, `player ${k} got nothing extra`);
      assert.equal(p.c.metadata, [{ width: 320, height: 240, framerate: 25 }], `player ${k} got onMetaData once`);
    }
    // The stalled player lags far behind, yet the others finished within a second of the publisher.
    assert.ok(lastFast - publishEnd < 1000, `fast players done ${lastFast - publishEnd} ms after the publisher`);
    assert.ok(slowC.got.length < total, `the throttled player cannot have everything (${slowC.got.length}/${total})`);
    const stats = server.stats();
    assert.is(stats.publishers, 1);
    assert.is(stats.players, 21);
    assert.ok(stats.relay.dropped + stats.relay.abandoned > 0, 'the slow player lost frames to drops or lifetimes, counted');
    assert.ok(stats.relay.messagesOut >= total * 20, 'every fast player counted');
    // Unpublish reaches the players.
    const unpub = statusOf(players[0]!.ns, 'NetStream.Play.UnpublishNotify');
    pub.close();
    await unpub;
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await slowRelay?.close();
    await server.close();
  }
});

test.run();
