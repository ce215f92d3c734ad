// A far end that dies mid-transfer must cost almost nothing (issue 8, bug found against real
// peers): the retransmission timeout fires and backs off (RFC 7016 sections 3.5.2 and 3.6.2;
// RFC 6298 section 5), tail loss probes back off and stop, keepalive pings do not reset the
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

test('a dead far end costs a few dozen packets a minute, not thousands, and the session closes at its idle timeout', () => {
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
  assert.ok(sent.length <= 60, `${sent.length} packets sent to a dead peer in 60 s`);
  assert.ok(sent.length >= 5, 'retransmissions and keepalives still went out');

  // Retransmission timeouts fired and backed off to the cap (6 pings in between did not reset it).
  const stats = a.stats();
  assert.ok(stats.lossesByTimeout > 0, 'ERTO fired');
  assert.ok(a.rtt.backoffs >= 5, `backoffs ${a.rtt.backoffs}`);
  assert.is(a.rtt.erto, MAX_ERTO_MS);
  assert.ok(sent.filter(hasPing).length >= 4, 'keepalive pings went out');
  // Tail probes back off too, and stop once their wait passes ERTO's: in the last 20 s of the
  // minute only ERTO retransmits, at most twice (10 s apart), a cwnd of 2 fragments each time.
  const probes = stats.tailProbes - probesBefore;
  assert.ok(probes <= 20, `tail probes ${probes}`);
  const late = sent.filter((p) => p.at >= diedAt + 40_000 && hasData(p));
  assert.ok(late.length <= 4, `${late.length} data packets in the last 20 s`);
  pair.run(20_000);
  assert.is(a.stats().tailProbes - probesBefore, probes, 'no probe any more');

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
