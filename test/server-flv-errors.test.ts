// Bad input and bad disks: FlvFilePublisher on garbage / truncated / damaged files, FlvRecorder
// on unwritable paths, a full disk and a full queue. Typed errors or reports, never a crash,
// and the relay to other subscribers carries on.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtmfpError } from '../src/errors.js';
import { FlvError, FlvErrorCode, FlvReader, FlvTagType, type FlvTag } from '../src/media/index.js';
import { FlvFilePublisher, FlvFilePublisherError, FlvFilePublisherErrorCode } from '../src/server/flv-file-publisher.js';
import { FlvRecorder, FlvRecorderError, FlvRecorderErrorCode } from '../src/server/flv-recorder.js';
import { LiveStream, relayedMessageOf, type StreamPublisher } from '../src/stream/live-stream.js';
import { createRelayCounters } from '../src/stream/relay-counters.js';
import { Collector, flvBytes, sameBytes, syntheticTags, writeFlv } from './server-flv-support.js';

const dir = mkdtempSync(join(tmpdir(), 'server-flv-errors-'));
const tags = syntheticTags(1000);
const good = join(dir, 'good.flv');
const goodBytes = writeFlv(good, tags);

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

/** Byte offset of the start of tag `index` (13-byte file header first). */
function tagOffset(index: number): number {
  let o = 13;
  for (let i = 0; i < index; i++) o += 11 + tags[i]!.data.length + 4;
  return o;
}

const publisher = suite('FlvFilePublisher on bad input');

publisher('garbage and empty files: typed FlvError from start(), the slot stays free', async () => {
  const garbage = join(dir, 'garbage.flv');
  writeFileSync(garbage, new TextEncoder().encode('this is not a video file at all, just text\n'));
  const empty = join(dir, 'empty.flv');
  writeFileSync(empty, new Uint8Array(0));
  const stream = new LiveStream('x', createRelayCounters());
  for (const path of [garbage, empty]) {
    const e = await rejects(FlvFilePublisher.start(stream, path, { realtime: false }));
    assert.instance(e, FlvError, path);
    assert.is((e as FlvError).code, FlvErrorCode.Header);
    assert.is(stream.publisher, undefined);
  }
});

publisher('a missing file: FlvFilePublisherError Open', async () => {
  const stream = new LiveStream('x', createRelayCounters());
  const e = await rejects(FlvFilePublisher.start(stream, join(dir, 'nope.flv'), { realtime: false }));
  assert.instance(e, FlvFilePublisherError);
  assert.is((e as FlvFilePublisherError).code, FlvFilePublisherErrorCode.Open);
  assert.is(stream.publisher, undefined);
});

publisher('a stream that already has a publisher: StreamBusy, the holder keeps it', async () => {
  const stream = new LiveStream('x', createRelayCounters());
  const holder: StreamPublisher = { kind: 'client', stopPublishing: () => undefined };
  assert.ok(stream.publish(holder));
  const e = await rejects(FlvFilePublisher.start(stream, good, { realtime: false }));
  assert.instance(e, FlvFilePublisherError);
  assert.is((e as FlvFilePublisherError).code, FlvFilePublisherErrorCode.StreamBusy);
  assert.is(stream.publisher, holder);
  // Two files racing for one name: exactly one wins.
  const free = new LiveStream('y', createRelayCounters());
  const results = await Promise.allSettled([FlvFilePublisher.start(free, good, { realtime: false }), FlvFilePublisher.start(free, good, { realtime: false })]);
  assert.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.is((lost.reason as FlvFilePublisherError).code, FlvFilePublisherErrorCode.StreamBusy);
  await (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<FlvFilePublisher>).value.done;
});

publisher('a truncated file: what is readable is published, the truncation reported', async () => {
  const cutAt = tagOffset(20) + 7; // inside tag 20's header
  const path = join(dir, 'truncated.flv');
  writeFileSync(path, goodBytes.subarray(0, cutAt));
  const stream = new LiveStream('t', createRelayCounters());
  const collector = new Collector();
  stream.subscribe(collector);
  const p = await FlvFilePublisher.start(stream, path, { realtime: false });
  const result = await p.done;
  assert.is(result.end, 'eof');
  assert.is(result.tags, 20);
  assert.ok(result.truncation, 'truncation reported');
  assert.is(result.truncation!.offset, tagOffset(20));
  assert.is(result.truncation!.part, 'tag');
  assert.is(collector.messages.length, 20);
  for (let i = 0; i < 20; i++) assert.ok(sameBytes(collector.messages[i]!.data, tags[i]!.data));
  assert.is(stream.publisher, undefined);
});

publisher('damage in the middle: tags before it are published, done reports the FlvError', async () => {
  const bytes = goodBytes.slice();
  bytes[tagOffset(10)] = 7; // tag 10's type: not 8, 9 or 18
  const path = join(dir, 'damaged.flv');
  writeFileSync(path, bytes);
  const stream = new LiveStream('d', createRelayCounters());
  const collector = new Collector();
  stream.subscribe(collector);
  const p = await FlvFilePublisher.start(stream, path, { realtime: false });
  const result = await p.done;
  assert.is(result.end, 'error');
  assert.instance(result.error, FlvError);
  assert.is((result.error as FlvError).code, FlvErrorCode.Malformed);
  assert.is(result.tags, 10);
  assert.is(collector.messages.length, 10);
  assert.is(collector.unpublishes, 1);
  assert.is(stream.publisher, undefined);
});

publisher('random damage (300 mutated files): typed errors or a result, never a crash or a hang', async () => {
  let x = 0x9e3779b9;
  const rand = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
  const path = join(dir, 'fuzz.flv');
  const outcomes = { rejected: 0, eof: 0, error: 0 };
  for (let round = 0; round < 300; round++) {
    const bytes = goodBytes.slice(0, rand() < 0.3 ? Math.floor(rand() * goodBytes.length) : goodBytes.length);
    const flips = 1 + Math.floor(rand() * 8);
    for (let i = 0; i < flips && bytes.length > 0; i++) {
      // Mostly near the start, where the header and tag headers are.
      const at = Math.floor((rand() < 0.5 ? rand() * 64 : rand() * bytes.length)) % bytes.length;
      bytes[at] = Math.floor(rand() * 256);
    }
    writeFileSync(path, bytes);
    const stream = new LiveStream('f', createRelayCounters());
    let p: FlvFilePublisher;
    try {
      p = await FlvFilePublisher.start(stream, path, { realtime: false, reader: { maxTagSize: 64 * 1024 } });
    } catch (e) {
      assert.instance(e, RtmfpError, `round ${round}: ${String(e)}`);
      outcomes.rejected++;
      continue;
    }
    const result = await p.done;
    if (result.end === 'error') {
      assert.instance(result.error, RtmfpError, `round ${round}: ${String(result.error)}`);
      outcomes.error++;
    } else outcomes.eof++;
    assert.is(stream.publisher, undefined);
  }
  assert.ok(outcomes.rejected > 0 && outcomes.error > 0 && outcomes.eof > 0, JSON.stringify(outcomes));
});

// ---------------------------------------------------------------------------------------------
const recorder = suite('FlvRecorder on bad disks');
recorder.after(() => rmSync(dir, { recursive: true, force: true }));

recorder('a path under a regular file: open() rejects with FlvRecorderError Open', async () => {
  const file = join(dir, 'plain-file');
  writeFileSync(file, 'x');
  const e = await rejects(FlvRecorder.open(join(file, 'sub', 'rec.flv')));
  assert.instance(e, FlvRecorderError);
  assert.is((e as FlvRecorderError).code, FlvRecorderErrorCode.Open);
  assert.ok((e as FlvRecorderError).cause, 'the fs error is kept as the cause');
});

const haveDevFull = existsSync('/dev/full');
if (!haveDevFull) console.log('server-flv-errors: no /dev/full on this system; the disk-full tests are skipped');

recorder('disk full: an error event ends the recording; the relay and other subscribers are unaffected', async () => {
  if (!haveDevFull) return;
  const stream = new LiveStream('full', createRelayCounters());
  const collector = new Collector();
  const rec = await FlvRecorder.open('/dev/full');
  const errors: FlvRecorderError[] = [];
  rec.on('error', (e) => errors.push(e));
  rec.record(stream);
  stream.subscribe(collector);
  const p = await FlvFilePublisher.start(stream, good, { realtime: false });
  const result = await p.done;
  await rec.closed;
  assert.is(result.end, 'eof');
  assert.is(result.tags, tags.length);
  assert.is(collector.messages.length, tags.length, 'the other subscriber got everything');
  assert.is(errors.length, 1);
  assert.is(errors[0]!.code, FlvRecorderErrorCode.Write);
  assert.is((errors[0]!.cause as NodeJS.ErrnoException).code, 'ENOSPC');
  assert.is(rec.error, errors[0]);
  assert.not.ok(stream.subscribers.has(rec), 'the failed recorder left the stream');
  assert.not.ok(rec.recording);
});

recorder('disk full with no error listener: no crash; the error is kept on the recorder', async () => {
  if (!haveDevFull) return;
  const stream = new LiveStream('full2', createRelayCounters());
  const rec = (await FlvRecorder.open('/dev/full')).record(stream);
  let closed = false;
  rec.on('close', () => (closed = true));
  const p = await FlvFilePublisher.start(stream, good, { realtime: false });
  await p.done;
  await rec.closed;
  assert.ok(closed);
  assert.instance(rec.error, FlvRecorderError);
});

recorder('a full queue drops and counts; video resumes at the next keyframe', async () => {
  const path = join(dir, 'overflow.flv');
  const rec = await FlvRecorder.open(path, { maxQueueBytes: 1000 });
  const stream = new LiveStream('q', createRelayCounters());
  const holder: StreamPublisher = { kind: 'test', stopPublishing: () => undefined };
  stream.publish(holder);
  rec.record(stream);
  const frame = (ts: number, key: boolean): FlvTag => ({ type: FlvTagType.Video, timestamp: ts, data: new Uint8Array(300).fill(ts & 0xff).fill(key ? 0x12 : 0x22, 0, 1) });
  const relay = (t: FlvTag): void => stream.relay(relayedMessageOf(t.type, t.timestamp, t.data));
  // A burst faster than any disk: all in one synchronous run, so the writer cannot drain.
  const burst = [frame(0, true), ...Array.from({ length: 9 }, (_, i) => frame(40 * (i + 1), false))];
  const t0 = performance.now();
  burst.forEach(relay);
  const burstMs = performance.now() - t0;
  // 3 frames of 300 bytes fit under 1000; the other 7 are dropped.
  assert.is(rec.counters.dropped, 7);
  await new Promise((r) => setTimeout(r, 50)); // the queue drains
  // After the drop: inter frames are dropped too (they cannot decode), until a keyframe.
  relay(frame(400, false));
  relay(frame(440, false));
  assert.is(rec.counters.dropped, 9);
  relay(frame(480, true));
  relay(frame(520, false));
  await rec.stop();
  assert.is(rec.counters.dropped, 9);
  assert.is(rec.counters.tagsWritten, 5);
  const written: FlvTag[] = [];
  for await (const t of FlvReader.open(path)) written.push({ ...t, data: new Uint8Array(t.data) });
  assert.equal(written.map((t) => t.timestamp), [0, 40, 80, 480, 520]);
  assert.equal(written.map((t) => t.data[0]), [0x12, 0x22, 0x22, 0x12, 0x22]);
  assert.is(rec.counters.bytesWritten, readFileSync(path).length);
  assert.ok(burstMs < 50, `the relay was not held up (${burstMs.toFixed(2)} ms for 10 messages)`);
});

recorder('a recording stopped before any message is a valid empty FLV file', async () => {
  const path = join(dir, 'empty-recording.flv');
  const rec = (await FlvRecorder.open(path)).record(new LiveStream('e', createRelayCounters()));
  await rec.stop();
  assert.ok(sameBytes(readFileSync(path), flvBytes([])), 'the 13-byte header and PreviousTagSize0');
  assert.is(rec.counters.bytesWritten, 13);
  assert.is(rec.counters.tagsWritten, 0);
});

recorder('stop() is idempotent and the recorder ignores messages after it', async () => {
  const path = join(dir, 'stopped.flv');
  const stream = new LiveStream('s', createRelayCounters());
  const rec = (await FlvRecorder.open(path)).record(stream);
  const p = await FlvFilePublisher.start(stream, good, { realtime: false });
  await p.done; // unpublish stopped the recorder (untilUnpublish defaults to true)
  await Promise.all([rec.stop(), rec.stop()]);
  rec.deliver(relayedMessageOf(9, 5000, new Uint8Array([0x12, 0])));
  assert.is(rec.counters.tagsWritten, tags.length);
  assert.ok(sameBytes(readFileSync(path), flvBytes(tags)), 'the recording of a synthetic file is that file');
});

publisher.run();
recorder.run();
