// Soak run (`npm run soak`; not part of `npm test`): the real-UDP, wall-clock original of the
// deterministic virtual-network test in test/. It needs an idle machine: its thresholds are real time.
// Time-critical priority under load (RFC 7016 sections 3.5.2.3 and 3.6.2.1; wire-reference C.6):
// a bulk Routine flow saturates a rate-limited path, and small timestamped messages on an
// Immediate (time-critical) flow keep a low one-way latency. The same messages written on the
// loaded Routine flow wait behind its backlog. A third copy goes on a separate, lightly loaded
// Routine flow: the scheduler's round robin already serves such a flow at once (it rides the
// same packets as the time-critical probe), so it is measured and must not beat the
// time-critical one, but it is not expected to be slower.
// Real UDP on 127.0.0.1 through an ImpairmentRelay; sender and receiver share the process clock.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { Priority } from '../src/flow/priority.js';
import { ImpairmentRelay } from '../test/support/impairment-relay.js';
import { Prng } from '../test/wire-prng.js';

const test = suite('time-critical priority under a saturating bulk flow');
const LOOP = '127.0.0.1';
const enc = new TextEncoder();

/** The bottleneck: 2 MB/s toward the server, a 16-packet queue (about 10 ms of 1.2 KB packets). */
const RATE = 2_000_000;
const QUEUE_PACKETS = 16;
const PROBE_INTERVAL_MS = 20;
const PROBE_BYTES = 64;
/** Load runs this long before probes start (slow start over, queue full). */
const WARMUP_MS = 500;
const PROBES_PER_FLOW = 100;
/** Standing send backlog of the bulk flow: about 260 ms at RATE, below the 2 MiB buffer cap. */
const BULK_BACKLOG = 512 * 1024;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function probe(kind: number, index: number, sentAt: number): Uint8Array {
  const m = new Uint8Array(PROBE_BYTES);
  const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
  v.setUint8(0, kind);
  v.setUint32(1, index);
  v.setFloat64(5, sentAt);
  return m;
}

type ProbeKind = 'tc' | 'separate' | 'inBulk';
const KINDS: readonly ProbeKind[] = ['tc', 'separate', 'inBulk'];
const KIND_BYTE: Record<ProbeKind, number> = { tc: 1, separate: 2, inBulk: 3 };

interface Stats {
  p50: number;
  p95: number;
  max: number;
  count: number;
}

function stats(xs: readonly number[]): Stats {
  const s = xs.slice().sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s.at(-1) ?? NaN, count: s.length };
}

const show = (s: Stats): string => `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (${s.count} probes)`;

test('Immediate flow latency stays far below the loaded Routine flow and never above a light Routine flow', async () => {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const relay = await ImpairmentRelay.open({
    server: { address: LOOP, port: server.address.port },
    seed: 0x7c,
    toServer: { rateBytesPerSec: RATE, queuePackets: QUEUE_PACKETS },
  });
  const client = await Endpoint.listen({ host: LOOP });
  let probeTimer: NodeJS.Timeout | undefined;
  let stopPump = false;
  try {
    const accepted = new Promise<Session>((r) => server.once('session', r));
    const session = await client.connect({ uri: 'rtmfp://relay/app', addresses: [relay.address] });
    const far = await accepted;

    const latency: Record<ProbeKind, number[]> = { tc: [], separate: [], inBulk: [] };
    const seen: Record<ProbeKind, Set<number>> = { tc: new Set(), separate: new Set(), inBulk: new Set() };
    // Delivery order of every probe (one counter for all kinds), by kind and index.
    const order: Record<ProbeKind, Map<number, number>> = { tc: new Map(), separate: new Map(), inBulk: new Map() };
    let delivered = 0;
    let bulkReceived = 0;
    const bulkFlows = new Set<number>();
    far.on('message', (f, m) => {
      const now = performance.now();
      // Bulk chunks are 64 KiB; probes are PROBE_BYTES with their kind in the first byte.
      if (m.length !== PROBE_BYTES) {
        bulkFlows.add(f.flowId);
        bulkReceived += m.length;
        return;
      }
      const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
      const kind = KINDS.find((k) => KIND_BYTE[k] === v.getUint8(0));
      assert.ok(kind, `unknown probe kind ${v.getUint8(0)}`);
      const index = v.getUint32(1);
      assert.not.ok(seen[kind].has(index), `${kind} probe ${index} delivered twice`);
      seen[kind].add(index);
      order[kind].set(index, delivered++);
      latency[kind].push(now - v.getFloat64(5));
    });

    const bulk = session.openFlow(enc.encode('bulk'), { priority: Priority.Routine });
    // The light Routine flow is opened before the time-critical one: within one level the
    // scheduler's round robin would serve it first, so only priority puts the TC probe ahead.
    const separate = session.openFlow(enc.encode('routine'), { priority: Priority.Routine });
    const tc = session.openFlow(enc.encode('tc'), { priority: Priority.Immediate });

    // The bulk flow keeps a standing backlog of BULK_BACKLOG bytes, refilled as messages are
    // acked: it always has data to send, and its buffer (2 MiB cap) always has room for a probe.
    const rng = new Prng(0xb01c);
    const chunk = rng.bytes(64 * 1024);
    const pump = (): void => {
      while (!stopPump && bulk.flow.bufferedBytes < BULK_BACKLOG) bulk.write(chunk);
    };
    bulk.on('delivered', pump);
    bulk.on('abandoned', pump);
    pump();
    const bulkStartedAt = performance.now();
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const bulkAtProbeStart = bulkReceived;
    const probeStart = performance.now();

    // One probe of each kind per tick; the two separate flows alternate which is written first.
    let sent = 0;
    await new Promise<void>((resolve) => {
      probeTimer = setInterval(() => {
        const now = performance.now();
        if (sent % 2 === 0) {
          tc.write(probe(KIND_BYTE.tc, sent, now));
          separate.write(probe(KIND_BYTE.separate, sent, now));
        } else {
          separate.write(probe(KIND_BYTE.separate, sent, now));
          tc.write(probe(KIND_BYTE.tc, sent, now));
        }
        bulk.write(probe(KIND_BYTE.inBulk, sent, now));
        if (++sent >= PROBES_PER_FLOW) {
          clearInterval(probeTimer);
          probeTimer = undefined;
          resolve();
        }
      }, PROBE_INTERVAL_MS);
    });
    const probeEnd = performance.now();
    const bulkDuringProbes = bulkReceived - bulkAtProbeStart;
    // The probes behind the bulk backlog still have to drain (bounded wait).
    stopPump = true;
    const deadline = performance.now() + 5000;
    while (KINDS.some((k) => seen[k].size < PROBES_PER_FLOW) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }

    const tcS = stats(latency.tc);
    const sepS = stats(latency.separate);
    const bulkS = stats(latency.inBulk);
    const goodput = bulkDuringProbes / ((probeEnd - probeStart) / 1000);
    const up = relay.counters.toServer;
    // The relay queue alone: a full queue of maximum-size datagrams drains in this long.
    const queueMs = (QUEUE_PACKETS * 1260 * 1000) / RATE;
    console.log(
      `  time critical (Immediate flow):  ${show(tcS)}\n` +
        `  separate light Routine flow:     ${show(sepS)}\n` +
        `  on the loaded Routine flow:      ${show(bulkS)}\n` +
        `  bulk goodput during probes ${(goodput / 1e6).toFixed(2)} MB/s of a ${(RATE / 1e6).toFixed(1)} MB/s bottleneck; ` +
        `relay: ${up.rateQueued} of ${up.received} datagrams queued, ${up.tailDropped} tail-dropped; full relay queue = ${queueMs.toFixed(1)} ms; ` +
        `srtt ${session.rtt.srtt?.toFixed(1)} ms; ${session.scheduler.nackLosses + session.scheduler.timeoutLosses} retransmissions; ` +
        `${(probeEnd - bulkStartedAt).toFixed(0)} ms of load`,
    );

    // Every probe arrived exactly once (all three flows are reliable).
    for (const k of KINDS) assert.is(seen[k].size, PROBES_PER_FLOW, `${k} probes delivered`);
    assert.is(bulkFlows.size, 1);
    // The load really saturated the bottleneck: datagrams waited for rate tokens and the bulk flow
    // moved at least 80% of the bottleneck's rate while the probes ran.
    assert.ok(up.rateQueued > up.received / 2, `bottleneck not saturated: ${up.rateQueued} of ${up.received} datagrams queued`);
    assert.ok(goodput > RATE * 0.8, `bulk goodput ${goodput.toFixed(0)} B/s`);
    // Time-critical data does not wait behind the Routine backlog.
    assert.ok(tcS.p50 < bulkS.p50 / 2, `tc p50 ${tcS.p50.toFixed(1)} ms is not under half the loaded-routine p50 ${bulkS.p50.toFixed(1)} ms`);
    assert.ok(tcS.p95 < bulkS.p95 / 2, `tc p95 ${tcS.p95.toFixed(1)} ms is not under half the loaded-routine p95 ${bulkS.p95.toFixed(1)} ms`);
    // Written in the same tick, the time-critical probe is scheduled first (same packet or an
    // earlier one), so it is never later than the light Routine probe by more than timer noise.
    assert.ok(tcS.p50 <= sepS.p50 + 1 && tcS.p95 <= sepS.p95 + 2, `tc ${show(tcS)} vs separate routine ${show(sepS)}`);
    // Priority itself: the time-critical probe is delivered ahead of its Routine twin of the same
    // tick (it goes in the packet ahead of any Routine data), whichever was written first and
    // although round robin alone would favour the Routine flow (opened first). Only a relay tail
    // drop of the time-critical probe's packet (about 2% of packets) may reverse one.
    const tcFirst = (parity: number): number => {
      let n = 0;
      for (let i = parity; i < PROBES_PER_FLOW; i += 2) if (order.tc.get(i)! < order.separate.get(i)!) n++;
      return n / Math.ceil((PROBES_PER_FLOW - parity) / 2);
    };
    console.log(`  time-critical probe delivered before its Routine twin: ${(tcFirst(0) * 100).toFixed(0)}% when written first, ${(tcFirst(1) * 100).toFixed(0)}% when written second`);
    assert.ok(tcFirst(0) >= 0.9 && tcFirst(1) >= 0.9, `tc delivered first on ${(tcFirst(0) * 100).toFixed(0)}% / ${(tcFirst(1) * 100).toFixed(0)}% of ticks`);
    // Absolute bound. What no sender priority avoids: the relay queue (QUEUE_PACKETS full-size
    // datagrams, about 10 ms) plus waiting for the congestion window to open (acks come back
    // after that queue, so about one queue time again), plus timer and event-loop slack on a
    // busy 2-core machine. 40 ms is twice that allowance; the loaded-routine probe waits
    // BULK_BACKLOG / RATE (about 260 ms) on top.
    assert.ok(tcS.p95 < 40, `tc p95 ${tcS.p95.toFixed(1)} ms`);
  } finally {
    stopPump = true;
    if (probeTimer) clearInterval(probeTimer);
    await client.close();
    await relay.close();
    await server.close();
  }
});

test.run();
