// Session timers at fractional times (found while fixing the retransmission backoff, whose
// probes made times fractional): the keepalive deadline was armed at lastReceivedAt + period but
// checked as now - lastReceivedAt >= period. For some times the two differ in the last bit, so
// the timer fired, found nothing due, and re-armed itself at the same instant forever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionPair } from './support/session-pair.js';

test('keepalive and idle deadlines fire once at fractional times, without spinning', () => {
  // (24050.000000000004 + 10000) - 24050.000000000004 < 10000 in doubles.
  const pair = new SessionPair({ start: 24000.000000000004, latencyMs: 50, a: { keepaliveMs: 10_000, idleTimeoutMs: 60_000 }, b: { keepaliveMs: 10_000, idleTimeoutMs: 60_000 } });
  let timers = 0;
  const setTimer = pair.clock.setTimer.bind(pair.clock);
  pair.clock.setTimer = (at, fn) => {
    if (++timers > 10_000) throw new Error(`timers spin at ${pair.clock.now()}`);
    return setTimer(at, fn);
  };
  pair.a.session.openFlow(new Uint8Array([1])).write(new Uint8Array(10));
  pair.run(30_000);
  assert.ok(timers < 100, `${timers} timers set`);
  assert.ok(pair.b.session.counters.pingsSent >= 1, 'the keepalive went out');
  // Far end silent from here: the idle timeout still closes the session, on time.
  pair.a.delivering = false;
  pair.b.delivering = false;
  pair.run(60_000);
  assert.is(pair.a.session.state, 'closed');
  assert.is(pair.b.session.state, 'closed');
});

test.run();
