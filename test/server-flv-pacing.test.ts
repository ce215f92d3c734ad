// FlvFilePublisher pacing: tags go out when their timestamps are due (wall clock, and exactly
// on a ManualClock), speed scales that, loop keeps timestamps rising, stop() ends it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlvTagType } from '../src/media/index.js';
import { AppInstance } from '../src/server/app-instance.js';
import { FlvFilePublisher } from '../src/server/flv-file-publisher.js';
import { LiveStream } from '../src/stream/live-stream.js';
import { createRelayCounters } from '../src/stream/relay-counters.js';
import { ManualClock } from '../src/time/clock.js';
import { Collector, driveClock, sameBytes, syntheticTags, writeFlv } from './server-flv-support.js';

const dir = mkdtempSync(join(tmpdir(), 'server-flv-pacing-'));
const twoSeconds = join(dir, 'two-seconds.flv');
const tags = syntheticTags(2000);
writeFlv(twoSeconds, tags);
const media = tags.filter((t) => t.type !== FlvTagType.ScriptData);
const lastTs = media[media.length - 1]!.timestamp;

const wall = suite('pacing against the wall clock');

for (const speed of [1, 4]) {
  wall(`a 2 s file at speed ${speed} takes about ${2 / speed} s, no tag early`, async () => {
    const stream = new LiveStream('paced', createRelayCounters());
    const collector = new Collector();
    stream.subscribe(collector);
    const t0 = performance.now();
    const publisher = await FlvFilePublisher.start(stream, twoSeconds, { speed });
    const result = await publisher.done;
    const elapsed = performance.now() - t0;
    assert.is(result.end, 'eof');
    assert.is(result.tags, tags.length);
    const expected = lastTs / speed;
    assert.ok(elapsed >= expected - 100, `finished after ${elapsed.toFixed(0)} ms; the file lasts ${expected} ms`);
    // Generous: timers run late on a loaded machine (never early, which is what the lower bound checks).
    assert.ok(elapsed <= expected + 5000, `finished after ${elapsed.toFixed(0)} ms; the file lasts ${expected} ms`);
    const got = collector.media();
    assert.is(got.length, media.length);
    for (let i = 0; i < got.length; i++) {
      assert.is(got[i]!.timestamp, media[i]!.timestamp);
      // Never before its time (the publisher's origin is after t0).
      assert.ok(got[i]!.at - t0 >= got[i]!.timestamp / speed, `tag ${i} at ${(got[i]!.at - t0).toFixed(1)} ms, due ${got[i]!.timestamp / speed}`);
    }
  });
}

const manual = suite('pacing on a ManualClock');
// The last suite to run removes the files.
manual.after(() => rmSync(dir, { recursive: true, force: true }));

manual('each tag is relayed exactly when due: timestamp / speed after the start', async () => {
  const clock = new ManualClock(1000);
  const stream = new LiveStream('m', createRelayCounters());
  const collector = new Collector(() => clock.now());
  stream.subscribe(collector);
  const publisher = await FlvFilePublisher.start(stream, twoSeconds, { speed: 2, clock });
  let finished = false;
  void publisher.done.then(() => (finished = true));
  await driveClock(clock, () => finished);
  const result = await publisher.done;
  assert.is(result.end, 'eof');
  assert.is(collector.messages.length, tags.length);
  for (const m of collector.messages) assert.is(m.at, 1000 + m.timestamp / 2, `ts ${m.timestamp}`);
});

manual('realtime:false relays everything without waiting on the clock', async () => {
  const clock = new ManualClock();
  const stream = new LiveStream('fast', createRelayCounters());
  const collector = new Collector(() => clock.now());
  stream.subscribe(collector);
  const publisher = await FlvFilePublisher.start(stream, twoSeconds, { realtime: false, clock });
  const result = await publisher.done; // would hang if it waited on the never-advanced clock
  assert.is(result.tags, tags.length);
  assert.is(clock.pending, 0);
  assert.ok(collector.messages.every((m) => m.at === 0));
});

manual('loop: passes follow each other with rising timestamps; metadata once; stop() ends it', async () => {
  const clock = new ManualClock();
  const stream = new LiveStream('loop', createRelayCounters());
  const collector = new Collector(() => clock.now());
  stream.subscribe(collector);
  const publisher = await FlvFilePublisher.start(stream, twoSeconds, { loop: true, clock });
  let finished = false;
  void publisher.done.then(() => (finished = true));
  // Run two and a half passes, then stop.
  await driveClock(clock, () => finished, () => collector.messages.length >= tags.length * 2.5);
  publisher.stop('enough');
  const result = await publisher.done;
  assert.is(result.end, 'stopped');
  assert.is(result.reason, 'enough');
  assert.is(result.passes, 2);
  assert.is(stream.publisher, undefined);
  assert.is(collector.unpublishes, 1);
  const count = collector.messages.length;
  assert.ok(count >= tags.length * 2.5 && count < tags.length * 3);

  assert.is(collector.messages.filter((m) => m.type === FlvTagType.ScriptData).length, 1, 'onMetaData once');
  const got = collector.media();
  // The second pass is the first shifted by the file's length plus one frame interval.
  const shift = got[media.length]!.timestamp - media[0]!.timestamp;
  assert.ok(shift > lastTs && shift <= lastTs + 40, `second pass starts ${shift} ms later`);
  for (let i = 0; i < media.length; i++) {
    assert.is(got[media.length + i]!.timestamp, media[i]!.timestamp + shift);
    assert.ok(sameBytes(got[media.length + i]!.data, media[i]!.data));
  }
  for (let i = 1; i < got.length; i++) if (got[i]!.type === FlvTagType.Video && got[i - 1]!.type === FlvTagType.Video) assert.ok(got[i]!.timestamp > got[i - 1]!.timestamp);
  // Still paced: delivery time is the (rising) timestamp.
  for (const m of collector.messages) assert.is(m.at, m.timestamp);
  // Nothing more after stop().
  clock.advance(10_000);
  await new Promise((r) => setTimeout(r, 20));
  assert.is(collector.messages.length, count);
});

manual('loop over a file whose timestamps start at 1000: the seam is one frame interval', async () => {
  const clock = new ManualClock();
  const path = join(dir, 'offset.flv');
  const body = new Uint8Array([0x12, 1, 2, 3]);
  writeFlv(path, [1000, 1040, 1080].map((timestamp) => ({ type: FlvTagType.Video, timestamp, data: body })));
  const stream = new LiveStream('offset', createRelayCounters());
  const collector = new Collector(() => clock.now());
  stream.subscribe(collector);
  const publisher = await FlvFilePublisher.start(stream, path, { clock, loop: true });
  let finished = false;
  void publisher.done.then(() => (finished = true));
  await driveClock(clock, () => finished, () => collector.messages.length >= 9);
  publisher.stop();
  const result = await publisher.done;
  assert.ok(result.passes >= 2, `${result.passes} passes`);
  assert.equal(collector.messages.slice(0, 9).map((m) => m.timestamp), [1000, 1040, 1080, 1120, 1160, 1200, 1240, 1280, 1320]);
  assert.equal(collector.messages.slice(0, 9).map((m) => m.at), [0, 40, 80, 120, 160, 200, 240, 280, 320]);
});

manual('a timestamp jump is a discontinuity, not a 16-minute wait', async () => {
  const clock = new ManualClock();
  const path = join(dir, 'jump.flv');
  const body = new Uint8Array([0x12, 1, 2, 3]);
  const stamps = [0, 40, 80, 1_000_000, 1_000_040, 1_000_080];
  writeFlv(path, stamps.map((timestamp) => ({ type: FlvTagType.Video, timestamp, data: body })));
  const stream = new LiveStream('jump', createRelayCounters());
  const collector = new Collector(() => clock.now());
  stream.subscribe(collector);
  const publisher = await FlvFilePublisher.start(stream, path, { clock });
  let finished = false;
  void publisher.done.then(() => (finished = true));
  await driveClock(clock, () => finished);
  assert.equal(collector.messages.map((m) => m.timestamp), stamps, 'timestamps relayed as in the file');
  assert.equal(collector.messages.map((m) => m.at), [0, 40, 80, 80, 120, 160]);
});

manual('an instance unloading stops its file publisher (stopPublishing) and the member leaves', async () => {
  const clock = new ManualClock();
  const instance = new AppInstance('app', 'inst', createRelayCounters(), { idleUnloadMs: 60_000 });
  const stream = instance.stream('movie');
  const publisher = await FlvFilePublisher.start(stream, twoSeconds, { clock, instance });
  assert.ok(instance.members.has(publisher));
  assert.is(stream.publisher, publisher);
  instance.unload();
  const result = await publisher.done;
  assert.is(result.end, 'stopped');
  assert.is(result.reason, 'instance unloaded');
  assert.not.ok(instance.members.has(publisher));
  assert.is(stream.publisher, undefined);
});

manual('speed must be a positive number (typed error, slot untouched)', async () => {
  const stream = new LiveStream('s', createRelayCounters());
  for (const speed of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    try {
      await FlvFilePublisher.start(stream, twoSeconds, { speed });
      assert.unreachable(`speed ${speed} accepted`);
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_FLV_PUBLISH_OPTIONS');
    }
  }
  assert.is(stream.publisher, undefined);
});

wall.run();
manual.run();
