// udpFlood and floodDatagrams: deterministic content, mutations that really mutate, bounded
// sizes, and a real flood over 127.0.0.1 at a bounded rate that a UdpTransport receives whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { floodDatagrams, udpFlood, type FloodDatagram } from './support/udp-flood.js';
import { UdpTransport } from '../src/transport/udp-transport.js';
import { hex, readJson, vectorsAvailable } from './support/vectors.js';
import { waitFor } from './support/wait.js';

/** Valid datagrams to mutate: captured rtmfp-cpp session datagrams, or synthetic ones without vectors. */
function validSeeds(): Uint8Array[] {
  if (vectorsAvailable()) {
    const j = readJson<{ datagrams: { rawHex: string }[] }>('cpp-tc/encrypted-only.json');
    return j.datagrams.map((d) => hex(d.rawHex));
  }
  console.log('  vectors not found: mutating synthetic datagrams');
  return [new Uint8Array(308).fill(0x5b), new Uint8Array(244).fill(0x70), new Uint8Array(36).fill(1)];
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

test('floodDatagrams is a pure function of its seed', () => {
  const valid = validSeeds();
  const a = [...floodDatagrams({ count: 500, seed: 9, valid })];
  const b = [...floodDatagrams({ count: 500, seed: 9, valid })];
  const c = [...floodDatagrams({ count: 500, seed: 10, valid })];
  assert.is(a.length, 500);
  assert.ok(a.every((x, i) => eq(x.datagram, b[i]!.datagram) && x.kind === b[i]!.kind && x.mutation === b[i]!.mutation));
  assert.ok(a.some((x, i) => !eq(x.datagram, c[i]!.datagram)));
});

test('mutations differ from their source, cover every kind, and sizes stay bounded', () => {
  const valid = validSeeds();
  const maxValid = Math.max(...valid.map((v) => v.length));
  const all: FloodDatagram[] = [...floodDatagrams({ count: 4000, seed: 1, valid, mutatedShare: 0.5, maxRandomBytes: 1200 })];
  const mutated = all.filter((d) => d.kind === 'mutated');
  const random = all.filter((d) => d.kind === 'random');
  // Binomial(4000, 0.5): 4 standard deviations is about 127.
  assert.ok(Math.abs(mutated.length - 2000) < 127, `mutated ${mutated.length}`);
  for (const m of mutated) {
    assert.ok(!eq(m.datagram, valid[m.source!]!), `${m.mutation} left datagram ${m.source} unchanged`);
    assert.ok(m.datagram.length <= 2 * maxValid, `${m.mutation} grew to ${m.datagram.length}`);
  }
  assert.equal(new Set(mutated.map((m) => m.mutation)).size, 6);
  assert.ok(random.every((r) => r.datagram.length <= 1200));
  assert.ok(random.some((r) => r.datagram.length === 0), 'empty datagrams included');
  assert.ok(random.some((r) => r.datagram.length > 1000));
  // Without valid datagrams everything is random.
  assert.ok([...floodDatagrams({ count: 200, seed: 2 })].every((d) => d.kind === 'random'));
  assert.throws(() => [...floodDatagrams({ count: 1, seed: 1, valid, mutatedShare: 2 })], RangeError);
});

test('udpFlood sends every datagram at a bounded rate to a real socket, in order', async () => {
  const valid = validSeeds();
  const got: Uint8Array[] = [];
  const target = await UdpTransport.open({ host: '127.0.0.1', onBatch: (b) => got.push(...b.datagrams) });
  try {
    const count = 2000;
    const rate = 20_000;
    const report = await udpFlood({ target: { address: '127.0.0.1', port: target.local.port }, count, seed: 3, valid, ratePerSec: rate });
    await waitFor(() => target.counters.datagramsIn >= count, 2000, 'the flood').catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    assert.is(report.sent, count);
    assert.is(report.random + report.mutated, count);
    assert.is(report.sendErrors, 0);
    assert.is(report.replies, 0);
    assert.not.ok(report.stoppedEarly);
    assert.ok(report.elapsedMs >= 0.8 * (count / rate) * 1000, `took ${report.elapsedMs.toFixed(0)} ms`);
    // The receiver saw the generated datagrams, in order (loopback, one sender). A loaded machine
    // may let the kernel's receive buffer overflow, so what arrived is checked as an in-order
    // subset; the exact accounting of a flood is tested on the virtual network (session-flood).
    const expected = [...floodDatagrams({ count, seed: 3, valid })].map((d) => d.datagram);
    assert.ok(got.length > 0 && got.length <= count, `${got.length} arrived`);
    let at = 0;
    for (const d of got) {
      while (at < expected.length && !eq(d, expected[at]!)) at++;
      assert.ok(at < expected.length, 'an arrival that was not sent, or out of order');
      at++;
    }
    console.log(`  flood: ${count} datagrams, ${report.bytes} bytes in ${report.elapsedMs.toFixed(0)} ms (${report.mutated} mutated), ${got.length} arrived`);
  } finally {
    await target.close();
  }
});

test('udpFlood stops at maxDurationMs', async () => {
  const target = await UdpTransport.open({ host: '127.0.0.1', onBatch: () => {} });
  try {
    const report = await udpFlood({ target: { address: '127.0.0.1', port: target.local.port }, count: 100_000, seed: 4, ratePerSec: 1000, maxDurationMs: 50 });
    assert.ok(report.stoppedEarly);
    assert.ok(report.sent < 1000, `sent ${report.sent}`);
  } finally {
    await target.close();
  }
});

test.run();
