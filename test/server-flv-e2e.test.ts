// End to end over UDP on 127.0.0.1: a NetStream client publishes an ffmpeg-made FLV's tags and
// the server records them; a server-side FlvFilePublisher is played by a NetStream client.
// Frame-exact both ways, and the recording decodes (ffprobe) to the source's frame counts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetConnection } from '../src/flash/net-connection.js';
import { NetStream } from '../src/flash/net-stream.js';
import { decodeFlvScriptData, FlvReader, FlvTagType, type FlvTag } from '../src/media/index.js';
import { FlvFilePublisher } from '../src/server/flv-file-publisher.js';
import { FlvRecorder, recordFilePath } from '../src/server/flv-recorder.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { AmfEcmaArray, type AmfValue } from '../src/wire/amf/index.js';
import { frameCount, haveFfmpeg, makeTestFlv, probe } from './support/ffmpeg.js';
import { sameBytes } from './server-flv-support.js';
import { LOOP, until, statusOf, connectLocal as connect } from './support/flash-client.js';


async function readTags(path: string): Promise<FlvTag[]> {
  const out: FlvTag[] = [];
  for await (const t of FlvReader.open(path)) out.push({ type: t.type, timestamp: t.timestamp, data: new Uint8Array(t.data) });
  return out;
}

/** Audio and video travel on separate flows: each kind must match the source in order. */
function assertSameKind(got: FlvTag[], source: FlvTag[], type: number, what: string): void {
  const a = got.filter((t) => t.type === type);
  const b = source.filter((t) => t.type === type);
  assert.is(a.length, b.length, `${what}: ${type === 8 ? 'audio' : 'video'} count`);
  for (let i = 0; i < a.length; i++) {
    assert.is(a[i]!.timestamp, b[i]!.timestamp, `${what}: tag ${i} timestamp`);
    assert.ok(sameBytes(a[i]!.data, b[i]!.data), `${what}: tag ${i} body`);
  }
}

const ready = haveFfmpeg();
if (!ready) console.log('server-flv-e2e: ffmpeg/ffprobe not on PATH (run scripts/install-test-deps.sh as root); tests skipped');
const dir = mkdtempSync(join(tmpdir(), 'server-flv-e2e-'));
const source = join(dir, 'source.flv');
const made = ready && makeTestFlv(source, { seconds: 2, rate: 25, gop: 25 });
if (ready && !made) console.log('server-flv-e2e: this ffmpeg lacks libx264 or aac; tests skipped');

const e2e = suite('FLV end to end through RtmfpServer');
e2e.after(() => rmSync(dir, { recursive: true, force: true }));

e2e('a client publishes the file with publish(name, "record"); the server records it frame-exact and ffprobe decodes it', async () => {
  if (!made) return;
  const sourceTags = await readTags(source);
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, recordDirectory: join(dir, 'records') });
  const ncs: NetConnection[] = [];
  try {
    const nc = await connect(server.port);
    ncs.push(nc);
    const pub = new NetStream(nc);
    const started = statusOf(pub, 'NetStream.Publish.Start');
    const recording = statusOf(pub, 'NetStream.Record.Start');
    pub.publish('cam', 'record');
    await started;
    await recording;
    const instance = server.instance('live');
    const path = recordFilePath(join(dir, 'records'), 'live', instance.name, 'cam');
    const recorder = [...instance.stream('cam').subscribers].find((s): s is FlvRecorder => s instanceof FlvRecorder);
    assert.ok(recorder, 'the server subscribed a recorder to the stream');

    // The file, in 40 ms ticks at 4x real time: metadata via @setDataFrame, then audio/video.
    const t0 = Date.now();
    let i = 0;
    while (i < sourceTags.length) {
      const tick = sourceTags[i]!.timestamp;
      while (i < sourceTags.length && sourceTags[i]!.timestamp < tick + 40) {
        const t = sourceTags[i++]!;
        if (t.type === FlvTagType.ScriptData) {
          const { name, values } = decodeFlvScriptData(t.data);
          pub.send('@setDataFrame', name, ...values);
        } else {
          const ok = t.type === FlvTagType.Audio ? pub.sendAudio(t.timestamp, t.data) : pub.sendVideo(t.timestamp, t.data);
          assert.ok(ok, 'publisher flow accepted the tag');
        }
      }
      const wait = t0 + (tick + 40) / 4 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const media = sourceTags.filter((t) => t.type !== FlvTagType.ScriptData);
    await until(() => recorder.counters.tagsWritten >= sourceTags.length, 5000, 'the recorder to write every tag');
    pub.close(); // unpublish ends the recording
    await recorder.closed;
    assert.is(recorder.error, undefined);
    assert.is(recorder.counters.dropped, 0);

    const recorded = await readTags(path);
    assert.is(recorded[0]!.type, FlvTagType.ScriptData, 'onMetaData first');
    const meta = decodeFlvScriptData(recorded[0]!.data);
    assert.is(meta.name, 'onMetaData');
    const sourceMeta = decodeFlvScriptData(sourceTags[0]!.data).values[0] as AmfEcmaArray;
    const recordedMeta = meta.values[0] as AmfValue;
    const props = recordedMeta instanceof AmfEcmaArray ? recordedMeta.properties : (recordedMeta as Record<string, AmfValue>);
    assert.is(props.width, sourceMeta.properties.width);
    assert.is(props.height, sourceMeta.properties.height);
    assertSameKind(recorded, media, FlvTagType.Video, 'recorded');
    assertSameKind(recorded, media, FlvTagType.Audio, 'recorded');

    const p = probe(path);
    const s = probe(source);
    assert.is(p.length, 2);
    assert.is(frameCount(p, 'video'), frameCount(s, 'video'));
    assert.is(frameCount(p, 'video'), 50);
    assert.is(frameCount(p, 'audio'), frameCount(s, 'audio'));
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

e2e('a server-side FlvFilePublisher is played by a NetStream client frame-exact', async () => {
  if (!made) return;
  const sourceTags = await readTags(source);
  const server = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const ncs: NetConnection[] = [];
  try {
    const nc = await connect(server.port);
    ncs.push(nc);
    const player = new NetStream(nc);
    const got: FlvTag[] = [];
    const metadata: AmfValue[] = [];
    player.on('audio', (timestamp, payload) => got.push({ type: FlvTagType.Audio, timestamp, data: payload.slice() }));
    player.on('video', (timestamp, payload) => got.push({ type: FlvTagType.Video, timestamp, data: payload.slice() }));
    player.client.onMetaData = (md: AmfValue) => void metadata.push(md);
    const playing = statusOf(player, 'NetStream.Play.Start');
    player.play('movie');
    await playing;

    const instance = server.instance('live');
    const publisher = await FlvFilePublisher.start(instance.stream('movie'), source, { instance, speed: 2 });
    const unpublished = statusOf(player, 'NetStream.Play.UnpublishNotify', 10_000);
    const result = await publisher.done;
    assert.is(result.end, 'eof');
    assert.is(result.tags, sourceTags.length);
    await unpublished;
    const media = sourceTags.filter((t) => t.type !== FlvTagType.ScriptData);
    await until(() => got.length >= media.length, 5000, 'the player to get every tag');
    assertSameKind(got, media, FlvTagType.Video, 'played');
    assertSameKind(got, media, FlvTagType.Audio, 'played');
    assert.is(got.length, media.length, 'nothing extra');
    assert.is(metadata.length, 1, 'onMetaData once');
    const sourceMeta = decodeFlvScriptData(sourceTags[0]!.data).values[0] as AmfEcmaArray;
    const md = metadata[0]!;
    const props = md instanceof AmfEcmaArray ? md.properties : (md as Record<string, AmfValue>);
    assert.is(props.framerate, sourceMeta.properties.framerate);
    assert.not.ok(instance.members.has(publisher), 'the file publisher left the instance');
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

e2e('recordFilePath keeps client-chosen names inside the record directory', () => {
  assert.is(recordFilePath('/rec', 'live', '_definst_', 'cam'), join('/rec', 'live', '_definst_', 'cam.flv'));
  assert.is(recordFilePath('/rec', 'live', 'room', 'shows/day1'), join('/rec', 'live', 'room', 'shows', 'day1.flv'));
  for (const bad of ['../x', 'a/../../x', '/abs', 'a//b', '.', 'a\\b', 'nul\0']) {
    try {
      recordFilePath('/rec', 'live', '_definst_', bad);
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_FLV_RECORD_OPTIONS', JSON.stringify(bad));
    }
  }
});

e2e.run();
