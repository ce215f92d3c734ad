// Soak: live relay through RtmfpServer over real UDP on 127.0.0.1, one publisher, 20 players and a
// throttled one, in real time. The same scenario runs deterministically on the virtual network in
// test/server-relay.test.ts; this run adds the kernel, real timers and the machine's load.
// Run it alone on an idle machine: npm run soak (or: npx uvu dist/soak "relay\.soak\.js$").
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { NetConnection } from '../src/flash/net-connection.js';
import { NetStream } from '../src/flash/net-stream.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import type { AmfValue } from '../src/wire/amf/types.js';
import { ImpairmentRelay } from '../test/support/impairment-relay.js';
import { mulberry32 } from '../test/support/prng.js';
import { LOOP, until, statusOf, connectLocal as connect } from '../test/support/flash-client.js';

const test = suite('live relay');

interface Frame {
  kind: 'audio' | 'video';
  timestamp: number;
  payload: Uint8Array;
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  fill(b: Uint8Array): void {
    for (let i = 0; i < b.length; i++) b[i] = this.int(256);
  }
}

/** A synthetic A/V stream: a keyframe every 25 video frames (H.264-style first bytes), 40 ms apart. */
function makeFrames(rng: Rng, seconds: number): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < seconds * 25; i++) {
    const t = i * 40;
    const key = i % 25 === 0;
    const v = new Uint8Array(key ? 12_000 + rng.int(4000) : 1500 + rng.int(3000));
    rng.fill(v);
    v[0] = key ? 0x17 : 0x27; // frame type | codec 7 (AVC)
    v[1] = 1; // AVC NALU (not a sequence header)
    frames.push({ kind: 'video', timestamp: t, payload: v });
    for (const at of [t, t + 20]) {
      const a = new Uint8Array(200 + rng.int(100));
      rng.fill(a);
      a[0] = 0xaf; // AAC
      a[1] = 1; // raw
      frames.push({ kind: 'audio', timestamp: at, payload: a });
    }
  }
  return frames;
}

const digest = (kind: string, ts: number, p: Uint8Array) => createHash('sha256').update(kind).update(String(ts)).update(p).digest('hex');

class Collector {
  readonly got: string[] = [];
  readonly metadata: AmfValue[] = [];
  lastAt = 0;
  constructor(ns: NetStream) {
    ns.on('audio', (t, p) => this.add('audio', t, p));
    ns.on('video', (t, p) => this.add('video', t, p));
    ns.client.onMetaData = (md: AmfValue) => void this.metadata.push(md);
  }
  private add(kind: string, t: number, p: Uint8Array): void {
    this.got.push(digest(kind, t, p));
    this.lastAt = Date.now();
  }
}

/** Audio and video travel on separate flows: compare each kind's sequence on its own. */
function byKind(list: string[], frames: Frame[], kind: string): string[] {
  const wanted = new Set(frames.filter((f) => f.kind === kind).map((f) => digest(f.kind, f.timestamp, f.payload)));
  return list.filter((d) => wanted.has(d));
}

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
      players.push({ ns, c: new Collector(ns) });
    }
    slowRelay = await ImpairmentRelay.open({ server: { address: LOOP, port: server.port }, seed: 1, toClient: { rateBytesPerSec: 40_000, queuePackets: 64 } });
    const slowNc = await connect(slowRelay.address.port);
    ncs.push(slowNc);
    const slow = new NetStream(slowNc);
    const slowStart = statusOf(slow, 'NetStream.Play.Start', 10_000);
    slow.play('cam');
    await slowStart;
    const slowC = new Collector(slow);

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
