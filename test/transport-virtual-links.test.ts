// The virtual network's links on a ManualClock: latency and order, jitter, bandwidth queues with
// tail drop, loss / duplication / reordering rates for a fixed seed, exact reproducibility,
// batches per arrival instant, interned sources, close semantics and counters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../src/time/clock.js';
import { VirtualNetwork, type VirtualNetworkOptions } from '../src/transport/virtual-network.js';
import type { LinkOptions } from '../src/transport/virtual-link.js';
import { TransportError } from '../src/transport/transport-error.js';
import { numbered, numberOf, record } from './transport-virtual-support.js';

function conserved(net: VirtualNetwork): void {
  const c = net.counters;
  assert.is(
    c.datagramsSent + c.duplicated,
    c.datagramsDelivered + c.droppedLoss + c.droppedQueue + c.droppedNatFilter + c.droppedNoListener + c.droppedNoRoute + c.droppedClosed + net.inFlight,
    `conservation: ${JSON.stringify(c)} inFlight ${net.inFlight}`,
  );
}

test('latency: up link + path + down link; same-instant arrivals form one batch, in send order; sources interned', () => {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock, defaultPath: { latencyMs: 30 } });
  const a = net.bind({ host: net.addHost({ up: { latencyMs: 5 } }) });
  const b = net.bind({ host: net.addHost({ down: { latencyMs: 7 } }), port: 4000 });
  const got = record(b, clock);
  for (let i = 0; i < 3; i++) a.send(numbered(i), b.localAddress);
  clock.advance(41);
  assert.is(got.length, 0);
  assert.is(net.inFlight, 3);
  clock.advance(1);
  assert.equal(got.map((x) => [x.at, x.batch, numberOf(x.data)]), [[42, 1, 0], [42, 1, 1], [42, 1, 2]]);
  assert.is(b.counters.batches, 1);
  assert.is(b.counters.largestBatch, 3);
  // The source is the sender's own interned address, the same object every time.
  assert.ok(got[0]!.from === a.source && got[2]!.from === a.source);
  assert.equal([...got[0]!.from.ip], [...a.localAddress.ip]);
  assert.is(got[0]!.from.port, a.local.port);
  a.send(numbered(3), b.localAddress);
  clock.advance(42);
  assert.ok(got[3]!.from === a.source, 'same object in a later batch');
  assert.is(got[3]!.batch, 2);
  // A timer per instant, not per datagram.
  assert.is(clock.pending, 0);
  conserved(net);
});

test('batches: datagrams from several senders reaching a port at one instant are one batch; tickMs coalesces', () => {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock, defaultPath: { latencyMs: 10 } });
  const dst = net.bind({ port: 9 });
  const got = record(dst, clock);
  const senders = [net.bind(), net.bind(), net.bind()];
  for (const s of senders) s.send(numbered(1), dst.localAddress);
  clock.advance(3);
  senders[0]!.send(numbered(2), dst.localAddress); // arrives at 13
  clock.advance(20);
  assert.equal(got.map((x) => [x.at, x.batch]), [[10, 1], [10, 1], [10, 1], [13, 2]]);
  assert.equal(new Set(got.slice(0, 3).map((x) => x.from)).size, 3);

  const clock2 = new ManualClock(0);
  const net2 = new VirtualNetwork({ clock: clock2, defaultPath: { latencyMs: 10, jitterMs: 4 }, tickMs: 5 });
  const dst2 = net2.bind({ port: 9 });
  const got2 = record(dst2, clock2);
  const src2 = net2.bind();
  for (let i = 0; i < 50; i++) {
    src2.send(numbered(i), dst2.localAddress);
    clock2.advance(0.5);
  }
  clock2.advance(100);
  assert.is(got2.length, 50);
  assert.ok(got2.every((x) => x.at % 5 === 0), 'every delivery on a 5 ms tick');
  assert.ok(dst2.counters.batches <= 8, `batches ${dst2.counters.batches}`);
});

test('jitter reorders within [latency, latency + jitter)', () => {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock, seed: 3, defaultPath: { latencyMs: 10, jitterMs: 5 } });
  const a = net.bind();
  const b = net.bind();
  const got = record(b, clock);
  const sentAt: number[] = [];
  for (let i = 0; i < 500; i++) {
    sentAt.push(clock.now());
    a.send(numbered(i), b.localAddress);
    clock.advance(1);
  }
  clock.advance(20);
  assert.is(got.length, 500);
  let inversions = 0;
  for (let i = 0; i < got.length; i++) {
    const n = numberOf(got[i]!.data);
    const delay = got[i]!.at - sentAt[n]!;
    assert.ok(delay >= 10 && delay < 15, `delay ${delay}`);
    if (i > 0 && n < numberOf(got[i - 1]!.data)) inversions++;
  }
  assert.ok(inversions > 50, `inversions ${inversions}`);
});

test('bandwidth: serialization time, a bounded queue with counted tail drop, drained queue admits again', () => {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock });
  // 100 bytes per ms: a 1000-byte datagram takes 10 ms; the queue holds 5 of them.
  const host = net.addHost({ up: { bandwidth: 100_000, queueBytes: 5000, latencyMs: 2 } });
  const a = net.bind({ host });
  const b = net.bind();
  const got = record(b, clock);
  for (let i = 0; i < 10; i++) a.send(numbered(i, 1000), b.localAddress);
  assert.is(host.up.counters.droppedQueue, 5);
  assert.is(net.counters.droppedQueue, 5);
  assert.is(a.counters.droppedQueue, 5);
  assert.is(host.up.backlogAt(0), 5000);
  clock.advance(100);
  assert.equal(got.map((x) => [x.at, numberOf(x.data)]), [[12, 0], [22, 1], [32, 2], [42, 3], [52, 4]]);
  assert.is(host.up.counters.maxQueueDelayMs, 40);
  a.send(numbered(10, 1000), b.localAddress); // t = 100: empty queue
  clock.advance(12);
  assert.equal([got.at(-1)!.at, numberOf(got.at(-1)!.data)], [112, 10]);

  // A queued down link is evaluated in arrival order: two senders into one 100 kB/s link.
  const clock2 = new ManualClock(0);
  const net2 = new VirtualNetwork({ clock: clock2, defaultPath: { latencyMs: 1 } });
  const sink = net2.addHost({ down: { bandwidth: 100_000, queueBytes: 2500 } });
  const d = net2.bind({ host: sink });
  const got2 = record(d, clock2);
  const s1 = net2.bind({ host: net2.addHost({ up: { latencyMs: 9 } }) });
  const s2 = net2.bind();
  s1.send(numbered(1, 1000), d.localAddress); // reaches the down link at 10 (1100 bytes ahead: fits)
  s2.send(numbered(2, 1000), d.localAddress); // reaches it at 1: served first
  s2.send(numbered(3, 1000), d.localAddress);
  s2.send(numbered(4, 1000), d.localAddress); // 2000 bytes waiting: does not fit
  clock2.advance(100);
  assert.equal(got2.map((x) => [x.at, numberOf(x.data)]), [[11, 2], [21, 3], [31, 1]]);
  assert.is(sink.down.counters.droppedQueue, 1);
  conserved(net);
  conserved(net2);
});

function impairedRun(seed: number, link: LinkOptions, n: number, extra: Partial<VirtualNetworkOptions> = {}): { log: string; got: number[]; net: VirtualNetwork } {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock, seed, defaultPath: link, ...extra });
  const a = net.bind();
  const b = net.bind();
  const arrivals = record(b, clock);
  for (let i = 0; i < n; i++) {
    a.send(numbered(i), b.localAddress);
    clock.advance(1);
  }
  clock.advance(1000);
  conserved(net);
  return { log: arrivals.map((x) => `${x.at}:${numberOf(x.data)}`).join(','), got: arrivals.map((x) => numberOf(x.data)), net };
}

test('loss, duplication and reordering rates within tolerance for a fixed seed; exact reproducibility', () => {
  const N = 20_000;
  const link = { latencyMs: 20, loss: 0.1, duplicate: 0.05, reorder: 0.05, reorderDelayMs: 5 };
  const r = impairedRun(11, link, N);
  const c = r.net.counters;
  const within = (v: number, expect: number, tol: number, what: string): void => assert.ok(Math.abs(v - expect) <= tol, `${what}: ${v}, expected ${expect} +- ${tol}`);
  // 3-sigma-ish tolerances; the seed is fixed, so this is exact run to run.
  within(c.droppedLoss / N, 0.1, 0.01, 'loss rate');
  within(c.duplicated / (N - c.droppedLoss), 0.05, 0.008, 'duplicate rate');
  within(c.reordered / (N - c.droppedLoss), 0.05, 0.008, 'reorder rate');
  // What arrived tells the same story: every survivor once, duplicates twice.
  const seen = new Map<number, number>();
  for (const x of r.got) seen.set(x, (seen.get(x) ?? 0) + 1);
  assert.is(seen.size, N - c.droppedLoss);
  assert.is([...seen.values()].filter((v) => v === 2).length, c.duplicated);
  assert.is(r.got.length, c.datagramsDelivered);
  let late = 0;
  for (let i = 1; i < r.got.length; i++) if (r.got[i]! < r.got[i - 1]!) late++;
  assert.ok(late > 0.8 * c.reordered, `${late} inversions for ${c.reordered} reordered`);

  const again = impairedRun(11, link, N);
  assert.ok(again.log === r.log, 'same seed, same run');
  assert.equal(again.net.counters, r.net.counters);
  const other = impairedRun(12, link, N);
  assert.ok(other.log !== r.log, 'another seed, another run');
});

test('duplicates are separate buffers; each copy can be kept', () => {
  const r = impairedRun(1, { duplicate: 1 }, 3);
  assert.equal(r.got, [0, 0, 1, 1, 2, 2]);
});

test('close: the port number is free at once, in-flight datagrams count as no listener, sends after close are errors', async () => {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock, defaultPath: { latencyMs: 10 } });
  const host = net.addHost({ ipv4: '20.9.9.9' });
  const b = net.bind({ host, port: 5000 });
  const a = net.bind();
  try {
    net.bind({ host: '20.9.9.9', port: 5000 });
    assert.unreachable('bound a taken port');
  } catch (e) {
    assert.instance(e, TransportError);
    assert.is((e as TransportError).code, 'ERR_TRANSPORT_BIND');
  }
  const got = record(b, clock);
  a.send(numbered(1), b.localAddress);
  clock.advance(5);
  const p1 = b.close();
  assert.ok(b.close() === p1, 'same promise');
  await p1;
  assert.ok(b.closed);
  b.send(numbered(9), a.localAddress);
  assert.is(b.counters.sendErrors, 1);
  clock.advance(10);
  assert.is(got.length, 0);
  assert.is(net.counters.droppedNoListener, 1);
  assert.is(a.counters.droppedNoListener, 1);
  // Rebinding the number works; it receives what is sent afterwards.
  const b2 = net.bind({ host, port: 5000 });
  const got2 = record(b2, clock);
  a.send(numbered(2), b2.localAddress);
  clock.advance(10);
  assert.equal(got2.map((x) => numberOf(x.data)), [2]);
  // A port with no receiver counts what reaches it.
  const c = net.bind();
  a.send(numbered(3), c.localAddress);
  clock.advance(10);
  assert.is(c.counters.datagramsUnclaimed, 1);
  // A receiver that throws is counted; other ports still get their batches.
  const d = net.bind();
  d.attach(() => {
    throw new Error('owner bug');
  });
  a.send(numbered(4), d.localAddress);
  a.send(numbered(5), b2.localAddress);
  clock.advance(10);
  assert.is(d.counters.ownerErrors, 1);
  assert.equal(got2.map((x) => numberOf(x.data)), [2, 5]);
  // Nobody at an address: no route.
  a.send(numbered(6), { family: 4, ip: Uint8Array.of(9, 9, 9, 9), port: 1, origin: 0 });
  // Bad sends: wrong family, port 0, oversize.
  a.send(numbered(7), { family: 6, ip: new Uint8Array(16), port: 1, origin: 0 });
  a.send(numbered(8), { ...b2.localAddress, port: 0 });
  a.send(new Uint8Array(70_000), b2.localAddress);
  assert.is(a.counters.sendErrors, 3);
  assert.is(net.counters.droppedNoRoute, 1);
  // Closing the network drops what is in flight and closes every port.
  a.send(numbered(10), b2.localAddress);
  net.close();
  assert.ok(b2.closed && a.closed);
  assert.is(net.counters.droppedClosed, 1);
  assert.throws(() => net.bind(), (e: unknown) => (e as TransportError).code === 'ERR_TRANSPORT_BIND');
  conserved(net);
});

test('ports: 0 picks free ones from 49152; IPv6 hosts; IPv4 text creates a host; options validated', () => {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock });
  const h = net.addHost({ ipv6: true });
  const p1 = net.bind({ host: h });
  const p2 = net.bind({ host: h });
  assert.equal([p1.local.port, p2.local.port], [49152, 49153]);
  const v6 = net.bind({ host: h, family: 6 });
  assert.is(v6.local.family, 6);
  assert.is(v6.local.address, '2001:db8::1');
  const other = net.bind({ host: '2001:db8::77', port: 1935 });
  const got = record(other, clock);
  v6.send(numbered(1), other.localAddress);
  p1.send(numbered(2), other.localAddress); // v4 port to a v6 address: refused
  clock.advance(1);
  assert.equal(got.map((x) => numberOf(x.data)), [1]);
  assert.ok(got[0]!.from === v6.source);
  assert.is(p1.counters.sendErrors, 1);
  assert.throws(() => net.bind({ host: net.addHost(), family: 6 }), (e: unknown) => (e as TransportError).code === 'ERR_TRANSPORT_BIND');
  assert.throws(() => net.addHost({ up: { loss: 2 } }), (e: unknown) => (e as TransportError).code === 'ERR_TRANSPORT_OPTION');
  assert.throws(() => new VirtualNetwork({ clock, defaultPath: { bandwidth: 1000 } }), (e: unknown) => (e as TransportError).code === 'ERR_TRANSPORT_OPTION');
  assert.throws(() => net.addHost({ ipv4: h.ipv4 }), (e: unknown) => (e as TransportError).code === 'ERR_TRANSPORT_OPTION');
  const q = net.bind({ host: '20.5.5.5', port: 80 });
  assert.is(q.local.address, '20.5.5.5');
  assert.ok(net.hostByAddress('20.5.5.5') === q.host);
});

test('explicit paths override the default path per direction', () => {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock, defaultPath: { latencyMs: 50 } });
  const a = net.bind();
  const b = net.bind();
  net.setPath(a.host, b.host, { latencyMs: 5 });
  const gotA = record(a, clock);
  const gotB = record(b, clock);
  a.send(numbered(1), b.localAddress);
  b.send(numbered(2), a.localAddress);
  clock.advance(100);
  assert.is(gotB[0]!.at, 5);
  assert.is(gotA[0]!.at, 50);
});

test.run();
