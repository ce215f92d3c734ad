// A far end that dies mid-transfer must cost almost nothing (issue 8, bug found against real
// peers): the retransmission timeout fires and backs off (RFC 7016 sections 3.5.2 and 3.6.2;
// RFC 6298 section 5), the tail loss probe goes once per flight, keepalive pings do not reset the
// backoff, and the session still closes at its idle timeout. Virtual time, two Sessions back to
// back (test/support/session-pair.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionPair, type SentPacket } from './support/session-pair.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import { MAX_ERTO_MS } from '../src/flow/rtt.js';
import type { SessionCloseReason } from '../src/session/session.js';

const IDLE_MS = 90_000;
const KEEPALIVE_MS = 10_000;

const hasData = (p: SentPacket): boolean => p.packet.chunks.some((c) => c.type === ChunkType.UserData || c.type === ChunkType.NextUserData);
const hasPing = (p: SentPacket): boolean => p.packet.chunks.some((c) => c.type === ChunkType.Ping);

function pairWithTraffic(): { pair: SessionPair; write: () => void } {
  const pair = new SessionPair({
    latencyMs: 20,
    a: { idleTimeoutMs: IDLE_MS, keepaliveMs: KEEPALIVE_MS },
    b: { idleTimeoutMs: IDLE_MS, keepaliveMs: KEEPALIVE_MS },
  });
  const flow = pair.a.session.openFlow(new Uint8Array([1, 2, 3]));
  const chunk = new Uint8Array(3000).fill(7);
  const write = (): void => {
    if (flow.writable) flow.write(chunk);
  };
  // A live exchange first: data both ways acked, RTT samples taken (SRTT about 40 ms).
  for (let i = 0; i < 20; i++) {
    write();
    pair.run(100);
  }
  assert.ok(pair.a.session.rtt.srtt !== undefined, 'RTT measured while the peer was alive');
  assert.is(pair.a.session.stats().lossesByTimeout, 0);
  return { pair, write };
}

test('a dead far end costs a handful of packets a minute, and the session closes at its idle timeout', () => {
  const { pair, write } = pairWithTraffic();
  const a = pair.a.session;
  let closed: { reason: SessionCloseReason; at: number } | undefined;
  a.on('close', (reason) => (closed = { reason, at: pair.clock.now() }));

  // The far end dies: nothing reaches it, nothing comes back. The application keeps writing,
  // as a live stream would, every 100 ms.
  pair.a.delivering = false;
  pair.b.delivering = false;
  const diedAt = pair.clock.now();
  const lastHeard = Math.max(...pair.b.sent.map((p) => p.at)) + pair.latencyMs;
  const sentBefore = pair.a.sent.length;
  const probesBefore = a.stats().tailProbes;
  for (let t = 0; t < 60_000; t += 100) {
    write();
    pair.run(100);
  }
  const sent = pair.a.sent.slice(sentBefore);
  // Before the fix: 677 here (a probe every 2 SRTT, 80 ms), 94 a second at loopback RTTs.
  assert.ok(sent.length <= 40, `${sent.length} packets sent to a dead peer in 60 s`);
  assert.ok(sent.length >= 5, 'retransmissions and keepalives still went out');

  // Retransmission timeouts fired and backed off to the cap (6 pings in between did not reset it).
  const stats = a.stats();
  assert.ok(stats.lossesByTimeout > 0, 'ERTO fired');
  assert.ok(a.rtt.backoffs >= 5, `backoffs ${a.rtt.backoffs}`);
  assert.is(a.rtt.erto, MAX_ERTO_MS);
  assert.ok(sent.filter(hasPing).length >= 4, 'keepalive pings went out');
  // The retransmission rounds (data packets, grouped per instant) after the first second (the
  // flight in the air, its probe, the first timeout) are spaced ever wider.
  const rounds: number[] = [];
  for (const p of sent) if (p.at >= diedAt + 1000 && hasData(p) && (rounds.length === 0 || p.at > rounds.at(-1)!)) rounds.push(p.at);
  const gaps = rounds.slice(1).map((t, i) => t - rounds[i]!);
  assert.ok(gaps.length >= 4, `rounds at ${rounds.map((t) => t - diedAt).join(', ')}`);
  for (let i = 1; i < gaps.length; i++) {
    assert.ok(gaps[i]! >= gaps[i - 1]!, `retransmission gaps grow: ${gaps.join(', ')}`);
  }
  assert.ok(gaps.at(-1)! >= MAX_ERTO_MS, `the last gap is at the cap: ${gaps.join(', ')}`);
  // A few tail loss probes, backing off, for the flight in the air when the peer died; none after.
  assert.ok(stats.tailProbes - probesBefore <= 4, `tail probes ${stats.tailProbes - probesBefore}`);

  // Still open until the idle timeout, then closed by it, on time.
  assert.is(closed, undefined);
  pair.run(lastHeard + IDLE_MS - pair.clock.now() - 1);
  assert.is(closed, undefined);
  pair.run(1);
  assert.equal(closed, { reason: 'timeout', at: lastHeard + IDLE_MS });
  assert.is(a.state, 'closed');
});

test('a new RTT sample after the timeouts resets the backoff', () => {
  const { pair, write } = pairWithTraffic();
  const a = pair.a.session;
  pair.a.delivering = false;
  pair.b.delivering = false;
  write();
  pair.run(20_000);
  assert.ok(a.rtt.backoffs >= 3);
  assert.ok(a.rtt.erto >= 4 * 250, `ERTO ${a.rtt.erto} is backed off`);
  // The path comes back: the next retransmission is acked, its timestamp echo is a fresh sample.
  pair.a.delivering = true;
  pair.b.delivering = true;
  pair.run(15_000);
  assert.ok(a.rtt.erto < 1000, `ERTO ${a.rtt.erto} back to SRTT-based`);
  assert.is(a.stats().bytesInFlight, 0, 'everything delivered');
});

test.run();
