// Soak run (`npm run soak`; not part of `npm test`): a measurement of the kernel and event loop
// under load, not a protocol test (the numbers and the batching depend on the machine).
// Measures end-of-turn detection for UdpTransport: setImmediate vs queueMicrotask. A worker
// thread sends timestamped datagrams at a fixed rate over 127.0.0.1; the owner simulates batched
// decryption (a fixed cost per batch plus a cost per datagram, busy-waited) and records, per
// datagram, the time from send to hand-over. Prints a table; asserts only what must hold in
// every run (the numbers themselves vary with machine load).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { UdpTransport, type BatchFlush, type ReceivedBatch } from '../src/transport/udp-transport.js';

// Sender: paced by hrtime, sending what is due once per timer tick (about 1 ms).
const SENDER = `
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
let { port, count, rate, size } = workerData;
const s = dgram.createSocket('udp4');
let sent = 0, done = 0, errors = 0;
const t0 = process.hrtime.bigint();
const limit = t0 + BigInt(Math.ceil((count / rate) * 4e9)); // hard stop at 4x the planned time
function onSent(err) { if (err) errors++; if (++done === count) finish(); }
function finish() { s.close(() => parentPort.postMessage({ sent, errors })); }
function slice() {
  const now = process.hrtime.bigint();
  // Hard stop: every send may have completed already, so finish here too (a load-only hang otherwise).
  if (now > limit) { count = sent; if (done >= count) return finish(); }
  const due = Math.min(count, Math.floor(Number(now - t0) / 1e9 * rate) + 1);
  while (sent < due) {
    // A fresh buffer each time: node may still hold the previous one in libuv's send queue.
    const b = Buffer.alloc(size);
    b.writeBigUInt64LE(process.hrtime.bigint(), 0);
    b.writeUInt32LE(sent, 8);
    s.send(b, port, '127.0.0.1', onSent);
    sent++;
  }
  if (sent < count) setTimeout(slice, 1); // bursts once per timer tick, like a real sender's pacing

}
slice();
`;

function busyWait(ns: number): void {
  if (ns <= 0) return;
  const end = process.hrtime.bigint() + BigInt(ns);
  while (process.hrtime.bigint() < end) {
    /* simulated decrypt */
  }
}

interface Run {
  flush: BatchFlush;
  rate: number;
  received: number;
  lost: number;
  batches: number;
  largest: number;
  p50us: number;
  p99us: number;
  maxus: number;
  inOrder: boolean;
}

async function measure(flush: BatchFlush, rate: number, count: number, perBatchNs: number, perDatagramNs: number): Promise<Run> {
  const lat = new Float64Array(count);
  let n = 0;
  let lastSeq = -1;
  let inOrder = true;
  let handed = 0;
  const t = await UdpTransport.open({
    host: '127.0.0.1',
    flush,
    onBatch: (b: ReceivedBatch) => {
      const now = process.hrtime.bigint();
      for (const d of b.datagrams) {
        const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
        const seq = dv.getUint32(8, true);
        if (seq <= lastSeq) inOrder = false;
        lastSeq = seq;
        if (n < count) lat[n++] = Number(now - dv.getBigUint64(0, true)) / 1000;
      }
      handed += b.datagrams.length;
      busyWait(perBatchNs + perDatagramNs * b.datagrams.length);
    },
  });
  try {
    const worker = new Worker(new URL('data:text/javascript,' + encodeURIComponent(SENDER)), {
      workerData: { port: t.local.port, count, rate, size: 1200 },
    });
    const result = await new Promise<{ sent: number; errors: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    // Let the last datagrams drain (bounded).
    for (let i = 0; i < 50 && t.counters.datagramsIn < result.sent; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setImmediate(r));
    assert.is(handed, t.counters.datagramsIn, 'every datagram read was handed over');
    const sorted = Array.from(lat.subarray(0, n)).sort((a, b) => a - b);
    const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
    return {
      flush,
      rate,
      received: t.counters.datagramsIn,
      lost: result.sent - t.counters.datagramsIn,
      batches: t.counters.batches,
      largest: t.counters.largestBatch,
      p50us: Math.round(q(0.5)),
      p99us: Math.round(q(0.99)),
      maxus: Math.round(sorted[sorted.length - 1] ?? NaN),
      inOrder,
    };
  } finally {
    await t.close();
  }
}

test('setImmediate vs queueMicrotask: latency and batch sizes under load', async () => {
  const runs: Run[] = [];
  // Light load with a free owner; then medium and heavy load with a batch-decrypt-like owner
  // (10 us fixed per batch, 2 us per datagram).
  for (const [rate, count, perBatch, perDgram] of [
    [20_000, 6_000, 0, 0],
    [40_000, 16_000, 10_000, 2_000],
    [80_000, 32_000, 10_000, 2_000],
  ] as const) {
    for (const flush of ['immediate', 'microtask'] as const) {
      runs.push(await measure(flush, rate, count, perBatch, perDgram));
    }
  }
  console.log('\n  flush      rate/s  received  lost  batches  largest  p50 us  p99 us  max us  order');
  for (const r of runs) {
    console.log(
      `  ${r.flush.padEnd(9)} ${String(r.rate).padStart(7)} ${String(r.received).padStart(9)} ${String(r.lost).padStart(5)} ` +
        `${String(r.batches).padStart(8)} ${String(r.largest).padStart(8)} ${String(r.p50us).padStart(7)} ${String(r.p99us).padStart(7)} ` +
        `${String(r.maxus).padStart(7)}  ${r.inOrder ? 'kept' : 'BROKEN'}`,
    );
  }
  for (const r of runs) {
    assert.ok(r.inOrder, `${r.flush}: arrival order kept`);
    if (r.flush === 'microtask') assert.is(r.largest, 1, 'node drains microtasks after each message callback');
  }
  // Under load setImmediate must actually batch (libuv reads up to 32 datagrams per poll).
  const heavyImmediate = runs.find((r) => r.flush === 'immediate' && r.rate === 80_000)!;
  assert.ok(heavyImmediate.largest > 1, `immediate batches under load (largest ${heavyImmediate.largest})`);
});

test.run();
