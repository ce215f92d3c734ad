// Bulk transfer through impairments on the virtual network under a ManualClock: what arrives
// hashes equal to what was sent, under loss, reordering, duplication and jitter, and heavier loss
// costs more virtual time. Deterministic (fixed seeds, no wall clock). The 32 MiB versions over
// real UDP are soak runs (soak/transfer.soak.ts, `npm run soak`); a short real-UDP run is in
// test/session-transfer-udp.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import type { LinkOptions } from '../src/transport/virtual-link.js';
import { vnetPair } from './support/vnet-rig.js';
import { Prng } from './wire-prng.js';

const test = suite('bulk transfer through impairments (virtual network)');
const META = new TextEncoder().encode('bulk');
const KiB = 1024;

interface Outcome {
  virtualMs: number;
  sentHash: string;
  receivedHash: string;
  bytes: number;
  retransmissions: number;
  lost: number;
  duplicated: number;
  reordered: number;
}

async function transfer(totalBytes: number, path: LinkOptions, seed: number): Promise<Outcome> {
  const p = await vnetPair({ seed, network: { defaultPath: path } });
  try {
    const rx = createHash('sha256');
    const tx = createHash('sha256');
    let received = 0;
    p.far.on('message', (_f, m) => {
      rx.update(m);
      received += m.length;
    });
    const flow = p.session.openFlow(META);
    const rng = new Prng(seed);
    let sent = 0;
    // Messages of random sizes (1 byte to 64 KiB), written whenever the flow has room.
    const pump = (): void => {
      while (sent < totalBytes && flow.writable) {
        const m = rng.bytes(Math.min(totalBytes - sent, 1 + rng.int(64 * KiB)));
        tx.update(m);
        flow.write(m);
        sent += m.length;
      }
    };
    flow.on('writable', pump);
    pump();
    const virtualMs = await p.until(() => received >= totalBytes, { maxMs: 600_000 });
    const c = p.net.counters;
    return {
      virtualMs,
      sentHash: tx.digest('hex'),
      receivedHash: rx.digest('hex'),
      bytes: received,
      retransmissions: p.session.scheduler.nackLosses + p.session.scheduler.timeoutLosses,
      lost: c.droppedLoss,
      duplicated: c.duplicated,
      reordered: c.reordered,
    };
  } finally {
    await p.close();
  }
}

function report(label: string, o: Outcome): void {
  console.log(
    `  ${label}: ${o.bytes} bytes in ${o.virtualMs.toFixed(0)} virtual ms, ${o.retransmissions} fragments retransmitted, ` +
      `${o.lost} datagrams lost, ${o.duplicated} duplicated, ${o.reordered} reordered`,
  );
}

const SIZE = 1024 * KiB;
let tenPercentMs = 0;

test('1 MiB with 10% loss, reordering, duplication and jitter arrives intact', async () => {
  const o = await transfer(SIZE, { latencyMs: 5, jitterMs: 2, loss: 0.1, duplicate: 0.02, reorder: 0.05 }, 0x10);
  report('10% loss', o);
  assert.is(o.bytes, SIZE);
  assert.is(o.receivedHash, o.sentHash);
  assert.ok(o.retransmissions > 0 && o.lost > 0 && o.duplicated > 0 && o.reordered > 0);
  tenPercentMs = o.virtualMs;
});

test('the same 1 MiB with 30% loss also arrives intact, slower', async () => {
  const o = await transfer(SIZE, { latencyMs: 5, jitterMs: 2, loss: 0.3, duplicate: 0.02, reorder: 0.05 }, 0x30);
  report('30% loss', o);
  assert.is(o.bytes, SIZE);
  assert.is(o.receivedHash, o.sentHash);
  assert.ok(o.virtualMs > tenPercentMs, `30% loss took ${o.virtualMs.toFixed(0)} virtual ms, 10% took ${tenPercentMs.toFixed(0)}`);
});

test('same seed, same run', async () => {
  const path = { latencyMs: 5, jitterMs: 2, loss: 0.1, duplicate: 0.02, reorder: 0.05 };
  const a = await transfer(128 * KiB, path, 0x11);
  const b = await transfer(128 * KiB, path, 0x11);
  assert.equal(b, a);
});

test.run();
