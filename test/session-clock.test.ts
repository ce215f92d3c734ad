import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, SystemClock } from '../src/time/clock.js';

test('ManualClock runs due timers in time order with now() at each due time', () => {
  const c = new ManualClock(100);
  const seen: string[] = [];
  c.setTimer(150, () => seen.push(`b@${c.now()}`));
  c.setTimer(120, () => {
    seen.push(`a@${c.now()}`);
    c.setTimer(130, () => seen.push(`a2@${c.now()}`)); // set by a timer, still within the advance
  });
  c.setTimer(150, () => seen.push(`c@${c.now()}`)); // same due time: set order
  const cancelled = c.setTimer(140, () => seen.push('never'));
  cancelled.cancel();
  c.setTimer(500, () => seen.push('later'));
  c.advance(60);
  assert.equal(seen, ['a@120', 'a2@130', 'b@150', 'c@150']);
  assert.is(c.now(), 160);
  assert.is(c.pending, 1);
  assert.is(c.nextDue(), 500);
  c.advanceTo(500);
  assert.equal(seen.at(-1), 'later');
  assert.is(c.pending, 0);
  assert.throws(() => c.advanceTo(10), RangeError);
});

test('ManualClock clamps past-due timers to now', () => {
  const c = new ManualClock(1000);
  let at = -1;
  c.setTimer(5, () => (at = c.now()));
  c.advance(0);
  assert.is(at, 1000);
});

test('SystemClock fires real timers no earlier than due, and cancels them', async () => {
  // SystemClock unrefs its timers (they must not keep a closed endpoint's process alive), so
  // hold the event loop open ourselves while waiting for them.
  const keepAlive = setInterval(() => {}, 1000);
  const c = new SystemClock();
  const t0 = c.now();
  const fired = await new Promise<number>((resolve) => {
    c.setTimer(t0 + 5, () => resolve(c.now()));
  });
  // Never before its due time by this clock (node's own timers can be early by the loop's cached time).
  assert.ok(fired >= t0 + 5, `fired at +${fired - t0} ms`);
  let ran = false;
  c.setTimer(c.now() + 1, () => (ran = true)).cancel();
  await new Promise((r) => setTimeout(r, 10));
  assert.is(ran, false);
  clearInterval(keepAlive);
});

test.run();
