import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  INITIAL_ERTO_MS,
  MAX_ERTO_MS,
  MINIMUM_ERTO_MS,
  PacketTimestamps,
  RttEstimator,
} from '../src/flow/rtt.js';

const close = (a: number, b: number, msg?: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} != ${b}`);

const est = suite('RttEstimator');

est('starts at ERTO 3 s with no SRTT', () => {
  const r = new RttEstimator();
  assert.is(r.erto, INITIAL_ERTO_MS);
  assert.is(r.srtt, undefined);
  assert.is(r.samples, 0);
});

est('hand-computed SRTT / RTTVAR / MRTO / ERTO sequence', () => {
  const r = new RttEstimator();
  r.addSample(100, 0);
  // first: SRTT = R, RTTVAR = R/2, MRTO = 100 + 4*50 + 200
  assert.is(r.srtt, 100);
  assert.is(r.rttvar, 50);
  assert.is(r.mrto, 500);
  assert.is(r.erto, 500);
  r.addSample(200, 10);
  // RTTVAR = (3*50 + |100-200|)/4 = 62.5; SRTT = (7*100 + 200)/8 = 112.5
  assert.is(r.rttvar, 62.5);
  assert.is(r.srtt, 112.5);
  assert.is(r.mrto, 112.5 + 250 + 200);
  r.addSample(40, 20);
  // RTTVAR = (3*62.5 + 72.5)/4 = 65; SRTT = (7*112.5 + 40)/8 = 103.4375
  assert.is(r.rttvar, 65);
  assert.is(r.srtt, 103.4375);
  assert.is(r.erto, 103.4375 + 260 + 200);
  assert.is(r.lastRtt, 40);
  assert.is(r.lastSampleAt, 20);
  assert.is(r.echoSamples, 3);
  r.addSample(40, 30, 'ack');
  assert.is(r.ackSamples, 1);
});

est('ERTO floor of 250 ms', () => {
  const r = new RttEstimator();
  r.addSample(4, 0);
  assert.is(r.mrto, 4 + 8 + 200);
  assert.is(r.erto, MINIMUM_ERTO_MS);
});

est('bad samples are ignored', () => {
  const r = new RttEstimator();
  r.addSample(-1, 0);
  r.addSample(NaN, 0);
  r.addSample(Infinity, 0);
  assert.is(r.samples, 0);
  assert.is(r.erto, INITIAL_ERTO_MS);
});

est('backoff doubles, capped at 10 s', () => {
  const r = new RttEstimator();
  r.addSample(50, 0); // ERTO = 50 + 100 + 200 = 350
  const seen = [r.erto];
  for (let i = 0; i < 7; i++) seen.push(r.backoff());
  assert.equal(seen, [350, 700, 1400, 2800, 5600, MAX_ERTO_MS, MAX_ERTO_MS, MAX_ERTO_MS]);
  assert.is(r.backoffs, 7);
  const fresh = new RttEstimator();
  close(fresh.backoff(), 6000);
  assert.is(fresh.backoff(), MAX_ERTO_MS); // 12000 capped
});

est('backoff never goes below MRTO, and a new sample resets ERTO', () => {
  const r = new RttEstimator();
  r.addSample(9000, 0); // MRTO = 9000 + 18000 + 200 = 27200 > 10 s cap
  assert.is(r.erto, 27200);
  assert.is(r.backoff(), 27200); // min(cap) then max(MRTO)
  const s = new RttEstimator();
  s.addSample(100, 0);
  close(s.backoff(), 1000);
  s.addSample(100, 1);
  // RTTVAR = 37.5, SRTT = 100 -> 450
  assert.is(s.erto, 450);
});

const ts = suite('PacketTimestamps');

ts('timestamp is 4 ms ticks modulo 65536 from the origin', () => {
  const t = new PacketTimestamps(1000);
  assert.is(t.timestampAt(1000), 0);
  assert.is(t.timestampAt(1003), 0);
  assert.is(t.timestampAt(1004), 1);
  assert.is(t.timestampAt(1000 + 65535 * 4), 65535);
  assert.is(t.timestampAt(1000 + 65536 * 4 + 8), 2);
});

ts('TS in every packet, the same tick included (librtmfp drops packets without it)', () => {
  const t = new PacketTimestamps();
  const a = t.fieldsFor(1000);
  assert.equal(a, { timestamp: 250 });
  t.onSent(a);
  assert.equal(t.fieldsFor(1003), { timestamp: 250 });
  assert.equal(t.fieldsFor(1004), { timestamp: 251 });
});

ts('a timestamp repeated within a tick keeps the time it first arrived for the echo', () => {
  const t = new PacketTimestamps();
  t.onReceived({ timestamp: 100 }, 1000);
  t.onReceived({ timestamp: 100 }, 1003.5); // same tick at the sender, 3.5 ms later here
  assert.is(t.timestampEchoFor(1004), 101); // held 4 ms since it first arrived: one tick
  t.onReceived({ timestamp: 102 }, 1010);
  assert.is(t.timestampEchoFor(1010), 102);
  // The same value 2^15 ticks (131 s) or more later is a new timestamp, not a repeat.
  t.onReceived({ timestamp: 102 }, 1010 + 4 * 0x8000);
  assert.is(t.timestampEchoFor(1010 + 4 * 0x8000), 102);
});

ts('echo = last received timestamp + elapsed ticks, with 16-bit wrap; only when new', () => {
  const t = new PacketTimestamps();
  assert.is(t.timestampEchoFor(0), undefined); // nothing received yet
  t.onReceived({ timestamp: 65534 }, 1000);
  assert.is(t.timestampEchoFor(1000), 65534);
  assert.is(t.timestampEchoFor(1013), 1); // 3 ticks later, wrapped
  t.onSent({ timestampEcho: 1 });
  assert.is(t.timestampEchoFor(1015), undefined); // still 1: nothing new
  assert.is(t.timestampEchoFor(1016), 2);
});

ts('stops echoing 128 s after the last timestamp arrived', () => {
  const t = new PacketTimestamps();
  t.onReceived({ timestamp: 10 }, 0);
  assert.is(t.timestampEchoFor(128_000), (10 + 32000) & 0xffff);
  assert.is(t.timestampEchoFor(128_001), undefined);
  assert.is(t.timestampEchoFor(128_002), undefined); // forgotten, not just skipped
  t.onReceived({ timestamp: 7 }, 200_000);
  assert.is(t.timestampEchoFor(200_000), 7);
});

ts('RTT sample from an echo, across the 16-bit wrap', () => {
  const t = new PacketTimestamps();
  const sentAt = 65535 * 4; // our timestamp 65535
  assert.is(t.timestampAt(sentAt), 65535);
  // echoed back 100 ms later (25 ticks), our clock has wrapped to 24
  assert.is(t.onReceived({ timestampEcho: 65535 }, sentAt + 100), 100);
  // the same echo again gives no second sample
  assert.is(t.onReceived({ timestampEcho: 65535 }, sentAt + 140), undefined);
  // an echo 32768 ticks old or more is not a sample
  const now = 40000 * 4;
  assert.is(t.onReceived({ timestampEcho: (40000 - 32768) & 0xffff }, now), undefined);
  assert.is(t.onReceived({ timestampEcho: (40000 - 32767) & 0xffff }, now), 32767 * 4);
});

ts('feeds an estimator end to end', () => {
  const a = new PacketTimestamps();
  const b = new PacketTimestamps(12345); // the far end has its own origin
  const r = new RttEstimator();
  // a sends at 1000 with TS, b receives at 1030 and answers at 1050 echoing, a receives at 1080
  const f1 = a.fieldsFor(1000);
  a.onSent(f1);
  b.onReceived(f1, 1030);
  const f2 = b.fieldsFor(1050);
  assert.is(f2.timestampEcho, (250 + 5) & 0xffff); // 20 ms = 5 ticks held at b
  b.onSent(f2);
  const rtt = a.onReceived(f2, 1080);
  assert.is(rtt, 60); // 80 ms minus the 20 ms b held it, in 4 ms ticks
  r.addSample(rtt!, 1080);
  assert.is(r.srtt, 60);
});

est.run();
ts.run();
