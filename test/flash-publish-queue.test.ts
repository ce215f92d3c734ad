// Media and data sent right after publish(), before NetStream.Publish.Start (issue 9 item 9): held
// by the NetStream (bounded) and written on Publish.Start, so the README's order works; dropped
// and counted when the publish fails. Real server on 127.0.0.1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { NetConnection } from '../src/flash/net-connection.js';
import { MAX_PENDING_PUBLISH_BYTES, MAX_PENDING_PUBLISH_MESSAGES, NetStream } from '../src/flash/net-stream.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import type { AmfValue } from '../src/wire/amf/types.js';
import { LOOP, until, statusOf, connectLocal as connect } from './support/flash-client.js';

const test = suite('publish queue');

const AVC_CONFIG = Uint8Array.of(0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f);
const keyframe = (n: number): Uint8Array => Uint8Array.of(0x17, 1, 0, 0, 0, n);
const inter = (n: number): Uint8Array => Uint8Array.of(0x27, 1, 0, 0, 0, n);

function watch(ns: NetStream): string[] {
  const seen: string[] = [];
  ns.client.onMetaData = (md: AmfValue) => void seen.push(`meta:${JSON.stringify(md)}`);
  ns.on('video', (t, p) => seen.push(`v${p[0]!.toString(16)}.${p[1]}.${p[5]}@${t}`));
  return seen;
}

test('publish() then at once metadata and video: accepted, written on Publish.Start; an early player and a late joiner get the metadata and the frames', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const ncs: NetConnection[] = [];
  try {
    const early = await connect(server.port);
    ncs.push(early);
    const player = new NetStream(early);
    const playing = statusOf(player, 'NetStream.Play.Start');
    player.play('cam');
    await playing;
    const seenEarly = watch(player);

    const pubNc = await connect(server.port);
    ncs.push(pubNc);
    // The README's order: no await between publish() and the first frames (the stream is not
    // even created yet).
    const pub = new NetStream(pubNc);
    const started = statusOf(pub, 'NetStream.Publish.Start');
    pub.publish('cam');
    pub.send('@setDataFrame', 'onMetaData', { width: 640, height: 360 });
    assert.ok(pub.sendVideo(0, AVC_CONFIG), 'sequence header accepted before Publish.Start');
    assert.ok(pub.sendVideo(0, keyframe(1)), 'keyframe accepted before Publish.Start');
    assert.ok(pub.sendVideo(40, inter(2)), 'inter frame accepted before Publish.Start');
    await started;
    assert.is(pub.counters.videoOut, 3);
    assert.is(pub.counters.mediaDropped, 0);
    assert.is(pub.counters.queuedDropped, 0);
    await until(() => seenEarly.length >= 4, 3000, 'the early player to get metadata and three frames');
    assert.equal(seenEarly, ['meta:{"width":640,"height":360}', 'v17.0.1@0', 'v17.1.1@0', 'v27.1.2@40']);

    const lateNc = await connect(server.port);
    ncs.push(lateNc);
    const late = new NetStream(lateNc);
    const seenLate = watch(late);
    const lateStart = statusOf(late, 'NetStream.Play.Start');
    late.play('cam');
    await lateStart;
    pub.sendVideo(1000, keyframe(3));
    await until(() => seenLate.includes('v17.1.3@1000'), 3000, 'the late joiner to get the next keyframe');
    assert.is(seenLate[0], 'meta:{"width":640,"height":360}', 'the late joiner got the metadata sent before Publish.Start, first');
    assert.ok(seenLate.indexOf('v17.0.1@0') >= 0 && seenLate.indexOf('v17.0.1@0') < seenLate.indexOf('v17.1.3@1000'), 'then the AVC sequence header');
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test('the queue is bounded (counted refusals beyond it); Publish.BadName drops what was held, counted, and nothing reaches the server', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const ncs: NetConnection[] = [];
  try {
    const a = await connect(server.port);
    const b = await connect(server.port);
    ncs.push(a, b);
    const owner = new NetStream(a);
    const ok = statusOf(owner, 'NetStream.Publish.Start');
    owner.publish('taken');
    await ok;
    const relayedBefore = server.stats().relay.messagesIn;

    const pub = new NetStream(b);
    const bad = statusOf(pub, 'NetStream.Publish.BadName');
    pub.publish('taken');
    pub.send('@setDataFrame', 'onMetaData', { width: 1 });
    const extra = 10;
    let accepted = 0;
    for (let i = 0; i < MAX_PENDING_PUBLISH_MESSAGES - 1 + extra; i++) if (pub.sendVideo(i, inter(i & 0xff))) accepted++;
    assert.is(accepted, MAX_PENDING_PUBLISH_MESSAGES - 1, 'the data message and 255 frames fit, the rest are refused');
    assert.is(pub.counters.queuedDropped, extra);
    assert.is(pub.counters.mediaDropped, extra);
    // The byte bound: a 1 MiB message fills the queue; the next frame is refused.
    const pub2 = new NetStream(b);
    const bad2 = statusOf(pub2, 'NetStream.Publish.BadName');
    pub2.publish('taken');
    assert.ok(pub2.sendVideo(0, new Uint8Array(MAX_PENDING_PUBLISH_BYTES - 5)));
    assert.not.ok(pub2.sendVideo(40, keyframe(1)));
    assert.is(pub2.counters.queuedDropped, 1);
    await bad;
    await bad2;
    assert.is(pub2.counters.queuedDropped, 2);
    assert.is(pub.counters.queuedDropped, MAX_PENDING_PUBLISH_MESSAGES + extra, 'everything held was dropped on BadName');
    assert.is(pub.counters.videoOut, 0);
    // After BadName the stream is not publishing: media is refused as before.
    assert.not.ok(pub.sendVideo(0, keyframe(1)));
    await new Promise((r) => setTimeout(r, 200));
    assert.is(server.stats().relay.messagesIn, relayedBefore, 'nothing of the refused publisher was relayed');
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test.run();
