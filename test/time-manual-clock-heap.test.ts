// ManualClock at simulation scale: 100,000 timers (ties, cancels, timers set by timers) fire in
// (due time, set order) exactly as the reference order says, and the run stays linearithmic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../src/time/clock.js';
import { EventHeap } from '../src/time/event-heap.js';
import { SeededRandom } from '../src/time/seeded-random.js';

test('100,000 timers fire in (due time, set order), cancelled ones never, pending and nextDue exact', () => {
  const N = 100_000;
  const clock = new ManualClock(0);
  const rng = new SeededRandom(7);
  const expected: { at: number; seq: number }[] = [];
  const fired: number[] = [];
  const handles = [];
  for (let i = 0; i < N; i++) {
    const at = rng.int(5000); // many ties: ~20 timers per ms
    const seq = i;
    handles.push(clock.setTimer(at, () => {
      assert.is(clock.now(), at);
      fired.push(seq);
    }));
    expected.push({ at, seq });
  }
  const cancelled = new Set<number>();
  for (let i = 0; i < N; i += 7) {
    handles[i]!.cancel();
    handles[i]!.cancel(); // twice: still counted once
    cancelled.add(i);
  }
  assert.is(clock.pending, N - cancelled.size);
  const live = expected.filter((e) => !cancelled.has(e.seq)).sort((a, b) => a.at - b.at || a.seq - b.seq);
  assert.is(clock.nextDue(), live[0]!.at);
  clock.advanceTo(2500);
  const firstHalf = live.filter((e) => e.at <= 2500).map((e) => e.seq);
  assert.equal(fired, firstHalf);
  assert.is(clock.pending, live.length - firstHalf.length);
  assert.is(clock.nextDue(), live[firstHalf.length]!.at);
  clock.advanceTo(10_000);
  assert.equal(fired, live.map((e) => e.seq));
  assert.is(clock.pending, 0);
  assert.is(clock.nextDue(), Infinity);
  // Cancelling a fired timer is a no-op.
  handles[1]!.cancel();
  assert.is(clock.pending, 0);
});

test('timers set by timers run in the same advance when due, after earlier-set ties', () => {
  const clock = new ManualClock(0);
  const seen: string[] = [];
  clock.setTimer(10, () => {
    seen.push('a');
    clock.setTimer(10, () => seen.push('a-child@10')); // due now: runs after the tie 'b'
    clock.setTimer(5, () => seen.push('a-past')); // clamped to now
    clock.setTimer(20, () => seen.push('a-child@20'));
    clock.defer(() => seen.push('a-deferred'));
  });
  clock.setTimer(10, () => seen.push('b'));
  clock.advanceTo(15);
  assert.equal(seen, ['a', 'a-deferred', 'b', 'a-child@10', 'a-past']);
  clock.advanceTo(20);
  assert.equal(seen.at(-1), 'a-child@20');
});

test('re-armed timers: cancelled entries are compacted, not kept (100,000 re-arms, one live)', () => {
  const clock = new ManualClock(0);
  let h = clock.setTimer(1_000_000, () => {});
  for (let i = 0; i < 100_000; i++) {
    h.cancel();
    h = clock.setTimer(1_000_000 + i, () => {});
  }
  assert.is(clock.pending, 1);
  assert.ok((clock as unknown as { timers: EventHeap<never> }).timers.size < 2100, 'heap compacted');
  let ran = 0;
  h.cancel();
  h = clock.setTimer(5, () => ran++);
  clock.advance(2_000_000);
  assert.is(ran, 1);
});

test('EventHeap pops 100,000 random entries in (at, seq) order', () => {
  const heap = new EventHeap<{ at: number; seq: number }>();
  const rng = new SeededRandom(3);
  for (let i = 0; i < 100_000; i++) heap.push({ at: rng.int(1000) + rng.next(), seq: i });
  heap.retain((e) => e.seq % 3 !== 0);
  let prev = { at: -1, seq: -1 };
  let n = 0;
  for (let e = heap.pop(); e; e = heap.pop()) {
    assert.ok(e.at > prev.at || (e.at === prev.at && e.seq > prev.seq));
    assert.ok(e.seq % 3 !== 0);
    prev = e;
    n++;
  }
  assert.is(n, 100_000 - 33_334);
});

test.run();
