// An ffmpeg-made FLV file published into a LiveStream by FlvFilePublisher and recorded back by
// FlvRecorder: what subscribers get is the file's tags, byte for byte; what the recorder writes
// decodes (ffprobe) to the same frames.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFlvScriptData, FlvReader, FlvTagType, isAacSequenceHeader, isAvcSequenceHeader, isVideoKeyframe, type FlvTag } from '../src/media/index.js';
import { FlvFilePublisher } from '../src/server/flv-file-publisher.js';
import { FlvRecorder } from '../src/server/flv-recorder.js';
import { LiveStream, relayedMessageOf, type RelayedMessage, type StreamPublisher, type StreamSubscriber } from '../src/stream/live-stream.js';
import { createRelayCounters } from '../src/stream/relay-counters.js';
import { frameCount, haveFfmpeg, makeTestFlv, probe } from './support/ffmpeg.js';

interface Collected {
  type: number;
  timestamp: number;
  data: Uint8Array;
}

/** A subscriber that keeps everything it is given. */
class Collector implements StreamSubscriber {
  readonly messages: Collected[] = [];
  publishes = 0;
  unpublishes = 0;
  onPublish(): void {
    this.publishes++;
  }
  onUnpublish(): void {
    this.unpublishes++;
  }
  deliver(m: RelayedMessage): void {
    this.messages.push({ type: m.type, timestamp: m.timestamp, data: m.payload });
  }
}

async function readTags(path: string): Promise<FlvTag[]> {
  const out: FlvTag[] = [];
  const reader = FlvReader.open(path);
  for await (const t of reader) out.push({ type: t.type, timestamp: t.timestamp, data: new Uint8Array(t.data) });
  assert.is(reader.truncation, undefined, `${path} is complete`);
  return out;
}

/** Byte equality without uvu's per-byte diff of megabyte arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array, message: string): void {
  assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), message);
}

const isMedia = (t: { type: number }): boolean => t.type === FlvTagType.Audio || t.type === FlvTagType.Video;
/** A video frame ffprobe counts: not the AVC sequence header (0) or end of sequence (2). */
const isVideoFrame = (t: { type: number; data: Uint8Array }): boolean => t.type === FlvTagType.Video && (t.data[0]! & 0x0f) === 7 && t.data[1] === 1;
const isAudioFrame = (t: { type: number; data: Uint8Array }): boolean => t.type === FlvTagType.Audio && !isAacSequenceHeader(t.data);

const ready = haveFfmpeg();
if (!ready) console.log('server-flv-roundtrip: ffmpeg/ffprobe not on PATH (run scripts/install-test-deps.sh as root); tests skipped');

const dir = mkdtempSync(join(tmpdir(), 'server-flv-'));
const source = join(dir, 'source.flv');
let made = false;
if (ready) {
  made = makeTestFlv(source, { seconds: 2, rate: 25, gop: 25 });
  if (!made) console.log('server-flv-roundtrip: this ffmpeg lacks libx264 or aac; tests skipped');
}

const roundtrip = suite('FLV file -> LiveStream -> FlvRecorder');

roundtrip.after(() => { if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });

roundtrip('published tags reach a subscriber byte for byte; the recording decodes to the same frames', async () => {
  if (!made) return;
  const sourceTags = await readTags(source);
  const sourceProbe = probe(source);
  assert.is(sourceProbe.length, 2);
  assert.is(frameCount(sourceProbe, 'video'), 50, 'ffprobe: 2 s at 25 fps');
  assert.is(frameCount(sourceProbe, 'video'), sourceTags.filter(isVideoFrame).length, 'one video tag per decoded frame');

  const stream = new LiveStream('movie', createRelayCounters());
  const collector = new Collector();
  const recordPath = join(dir, 'nested', 'dirs', 'recorded.flv');
  const recorder = await FlvRecorder.open(recordPath);
  recorder.record(stream);
  stream.subscribe(collector);

  const publisher = await FlvFilePublisher.start(stream, source, { realtime: false });
  assert.is(stream.publisher, publisher, 'start() took the publisher slot');
  const result = await publisher.done;
  assert.is(result.end, 'eof');
  assert.is(result.tags, sourceTags.length);
  assert.is(result.truncation, undefined);
  assert.is(stream.publisher, undefined, 'unpublished at the end of the file');
  assert.is(collector.publishes, 1);
  assert.is(collector.unpublishes, 1);

  // Frame-exact: the same audio/video bodies with the same timestamps, in file order.
  const sourceMedia = sourceTags.filter(isMedia);
  const got = collector.messages.filter(isMedia);
  assert.is(got.length, sourceMedia.length);
  for (let i = 0; i < got.length; i++) {
    assert.is(got[i]!.type, sourceMedia[i]!.type, `tag ${i} type`);
    assert.is(got[i]!.timestamp, sourceMedia[i]!.timestamp, `tag ${i} timestamp`);
    sameBytes(got[i]!.data, sourceMedia[i]!.data, `tag ${i} body`);
  }
  // onMetaData went out as the stream's metadata, first.
  assert.is(collector.messages[0]!.type, 0x12);
  assert.is(decodeFlvScriptData(collector.messages[0]!.data).name, 'onMetaData');

  // The recorder stopped with the unpublish and wrote everything.
  await recorder.closed;
  assert.not.ok(recorder.recording);
  assert.is(recorder.error, undefined);
  assert.is(recorder.counters.dropped, 0);
  assert.is(recorder.counters.tagsWritten, sourceTags.length);
  const recordedTags = await readTags(recordPath);
  assert.is(recordedTags.length, sourceTags.length);
  assert.is(recorder.counters.bytesWritten, readFileSync(recordPath).length);
  // Recorded from the first message on, the file is ffmpeg's file again, byte for byte.
  assert.ok(readFileSync(recordPath).equals(readFileSync(source)), 'recording is byte-identical to the source');

  const recordedProbe = probe(recordPath);
  assert.is(recordedProbe.length, 2);
  assert.is(frameCount(recordedProbe, 'video'), frameCount(sourceProbe, 'video'));
  assert.is(frameCount(recordedProbe, 'audio'), frameCount(sourceProbe, 'audio'));
});

/** Relays a file's tags into a stream by hand, calling `between(i)` before tag i. */
async function relayByHand(stream: LiveStream, tags: FlvTag[], between: (index: number, tag: FlvTag) => void): Promise<StreamPublisher> {
  const publisher: StreamPublisher = { kind: 'test', stopPublishing: () => undefined };
  assert.ok(stream.publish(publisher));
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i]!;
    between(i, t);
    const m = relayedMessageOf(t.type === FlvTagType.ScriptData ? 0x12 : t.type, t.timestamp, t.data);
    if (t.type === FlvTagType.ScriptData) stream.setMetadata(m);
    else stream.relay(m);
  }
  return publisher;
}

roundtrip('a recorder joining mid-stream starts with metadata and decoder config, then a keyframe at time 0', async () => {
  if (!made) return;
  const sourceTags = await readTags(source);
  const stream = new LiveStream('live', createRelayCounters());
  const path = join(dir, 'midstream.flv');
  const recorder = await FlvRecorder.open(path);
  // Join three frames before the second keyframe: past the first, not on a keyframe.
  const videoFrameTags = sourceTags.filter(isVideoFrame);
  const secondKey = videoFrameTags.findIndex((t, i) => i > 0 && isVideoKeyframe(t.data));
  assert.ok(secondKey > 3, `second keyframe at frame ${secondKey}`);
  let videoFrames = 0;
  let joinedAt = -1;
  const publisher = await relayByHand(stream, sourceTags, (i, t) => {
    if (isVideoFrame(t) && videoFrames++ === secondKey - 3) {
      assert.not.ok(isVideoKeyframe(t.data), 'joining on an inter frame');
      joinedAt = i;
      recorder.record(stream);
      stream.catchUp(recorder); // a server replaying the cache as well must not duplicate it
    }
  });
  stream.unpublish(publisher);
  await recorder.closed;
  assert.ok(joinedAt > 0);
  assert.is(recorder.error, undefined);

  const recorded = await readTags(path);
  assert.is(recorded[0]!.type, FlvTagType.ScriptData);
  assert.is(decodeFlvScriptData(recorded[0]!.data).name, 'onMetaData');
  sameBytes(recorded[0]!.data, sourceTags.find((t) => t.type === FlvTagType.ScriptData)!.data, 'body');
  assert.ok(isAacSequenceHeader(recorded[1]!.data), 'then the AAC config');
  assert.ok(isAvcSequenceHeader(recorded[2]!.data), 'then the AVC config');
  assert.ok(isVideoKeyframe(recorded[3]!.data) && isVideoFrame(recorded[3]!), 'then a keyframe');
  assert.is(recorded.filter((t) => t.type === FlvTagType.ScriptData).length, 1, 'metadata once');
  assert.is(recorded.filter((t) => isAvcSequenceHeader(t.data)).length, 1, 'AVC config once');
  for (const t of recorded.slice(0, 4)) assert.is(t.timestamp, 0, 'the file starts at 0');

  // What follows the keyframe is the source from its next keyframe on, rebased to 0.
  const keyIndex = sourceTags.findIndex((t, i) => i > joinedAt && isVideoKeyframe(t.data) && isVideoFrame(t));
  assert.ok(keyIndex > joinedAt);
  const base = sourceTags[keyIndex]!.timestamp;
  const expected = sourceTags.slice(keyIndex).filter(isMedia);
  const media = recorded.slice(3);
  assert.is(media.length, expected.length);
  for (let i = 0; i < media.length; i++) {
    assert.is(media[i]!.timestamp, expected[i]!.timestamp - base < 0 ? 0 : expected[i]!.timestamp - base);
    sameBytes(media[i]!.data, expected[i]!.data, 'body');
  }

  const p = probe(path);
  assert.is(p.length, 2);
  assert.is(frameCount(p, 'video'), media.filter(isVideoFrame).length, 'every recorded video frame decodes');
  assert.is(frameCount(p, 'video'), videoFrameTags.length - secondKey, 'from the second keyframe to the end');
  assert.is(frameCount(p, 'audio'), media.filter(isAudioFrame).length);
});

roundtrip('append mode continues a recording after its last timestamp; untilUnpublish:false spans republishes', async () => {
  if (!made) return;
  const sourceTags = await readTags(source);
  const lastSourceTs = Math.max(...sourceTags.map((t) => t.timestamp));
  const sourceVideo = frameCount(probe(source), 'video');

  // First recording: one publish. Then append a second publish to the same file.
  const path = join(dir, 'appended.flv');
  for (let round = 0; round < 2; round++) {
    const stream = new LiveStream('a', createRelayCounters());
    const recorder = await FlvRecorder.open(path, { append: true });
    if (round === 0) assert.is(recorder.appendedTo, undefined, 'no file yet: a new one');
    else {
      assert.is(recorder.appendedTo?.tags, sourceTags.length);
      assert.is(recorder.appendedTo?.lastTimestamp, lastSourceTs);
    }
    recorder.record(stream);
    const publisher = await FlvFilePublisher.start(stream, source, { realtime: false });
    await publisher.done;
    await recorder.closed;
    assert.is(recorder.error, undefined);
  }
  // Across republishes with one recorder.
  const spanPath = join(dir, 'span.flv');
  const stream = new LiveStream('b', createRelayCounters());
  const recorder = await FlvRecorder.open(spanPath, { untilUnpublish: false });
  recorder.record(stream);
  for (let round = 0; round < 2; round++) {
    const publisher = await FlvFilePublisher.start(stream, source, { realtime: false });
    await publisher.done;
  }
  assert.ok(recorder.recording, 'still recording after the unpublish');
  await recorder.stop();

  const sourceAfterMetadata = sourceTags.filter((t) => t.type !== FlvTagType.ScriptData);
  for (const file of [path, spanPath]) {
    const tags = await readTags(file);
    // One onMetaData per file (ffmpeg 5.1 crashes on a second one mid-file).
    assert.is(tags.filter((t) => t.type === FlvTagType.ScriptData).length, 1, `${file}: one onMetaData`);
    assert.is(tags.length, 2 * sourceTags.length - 1, file);
    // The second half is the source shifted to after the first half's last timestamp.
    const second = tags.slice(sourceTags.length);
    for (let i = 0; i < second.length; i++) {
      assert.is(second[i]!.timestamp, sourceAfterMetadata[i]!.timestamp + lastSourceTs + 1, `${file} tag ${i}`);
      sameBytes(second[i]!.data, sourceAfterMetadata[i]!.data, 'body');
    }
    const p = probe(file);
    assert.is(p.length, 2);
    assert.is(frameCount(p, 'video'), 2 * sourceVideo, `${file}: both halves decode`);
    assert.is(frameCount(p, 'audio'), 2 * frameCount(probe(source), 'audio'), `${file}: both halves decode`);
  }
});

roundtrip('append after a crash: an incomplete final tag is cut off, the rest is kept', async () => {
  if (!made) return;
  const sourceBytes = readFileSync(source);
  const sourceTags = await readTags(source);
  const path = join(dir, 'crashed.flv');
  // The file as a crash might leave it: ffmpeg's last tag (AVC end of sequence) gone and the
  // one before it missing its last 5 bytes.
  const last = sourceTags[sourceTags.length - 1]!;
  const penultimate = sourceTags[sourceTags.length - 2]!;
  const cut = 11 + last.data.length + 4 + 5;
  writeFileSync(path, sourceBytes.subarray(0, sourceBytes.length - cut));
  const recorder = await FlvRecorder.open(path, { append: true });
  assert.is(recorder.appendedTo?.tags, sourceTags.length - 2);
  assert.is(recorder.appendedTo?.keptBytes, sourceBytes.length - (11 + last.data.length + 4) - (11 + penultimate.data.length + 4));
  const stream = new LiveStream('c', createRelayCounters());
  recorder.record(stream);
  const publisher = await FlvFilePublisher.start(stream, source, { realtime: false });
  await publisher.done;
  await recorder.closed;
  const tags = await readTags(path); // fails if the cut left a broken tag behind
  assert.is(tags.length, 2 * sourceTags.length - 3, 'kept tags, then the source without its onMetaData');
  sameBytes(tags[sourceTags.length - 2]!.data, sourceTags[1]!.data, 'the appended recording follows the kept tags');
});

roundtrip.run();
