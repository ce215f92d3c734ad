// Time-critical priority under load (RFC 7016 sections 3.5.2.3 and 3.6.2.1; wire-reference C.6),
// on the virtual network under a ManualClock: a bulk Routine flow saturates the client's 2 MB/s
// up link (a 16-packet queue), and small timestamped messages on an Immediate (time-critical)
// flow keep a low one-way latency in virtual time. The same messages written on the loaded
// Routine flow wait behind its backlog. A third copy goes on a separate, lightly loaded Routine
// flow: the scheduler's round robin already serves such a flow at once (it rides the same packets
// as the time-critical probe), so it must not beat the time-critical one, but it is not expected
// to be slower. Deterministic: latencies are virtual, with no timer or event-loop noise.
// The same scenario over real UDP through the impairment relay is a soak run (soak/priority.soak.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Priority } from '../src/flow/priority.js';
import type { TimerHandle } from '../src/time/clock.js';
import { vnetPair } from './support/vnet-rig.js';
import { Prng } from './wire-prng.js';

const test = suite('time-critical priority under a saturating bulk flow (virtual network)');
const enc = new TextEncoder();

/** The bottleneck: the client's up link at 2 MB/s with a 16-packet queue (about 10 ms of 1.2 KB packets). */
const RATE = 2_000_000;
const QUEUE_PACKETS = 16;
const PACKET_BYTES = 1260;
/** One-way propagation delay of the path beyond the bottleneck. */
const LATENCY_MS = 2;
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

interface Run {
  latency: Record<ProbeKind, number[]>;
  order: Record<ProbeKind, Map<number, number>>;
  seen: Record<ProbeKind, Set<number>>;
  bulkFlows: number;
  goodput: number;
  /** Probe ticks at which the bottleneck queue held data. */
  queuedTicks: number;
  droppedQueue: number;
  maxQueueDelayMs: number;
  srtt: number | undefined;
  retransmissions: number;
}

async function run(seed: number): Promise<Run> {
  const p = await vnetPair({
    seed,
    network: { defaultPath: { latencyMs: LATENCY_MS } },
    clientHost: (net) => net.addHost({ up: { bandwidth: RATE, queueBytes: QUEUE_PACKETS * PACKET_BYTES } }),
  });
  const { clock, session, far } = p;
  const up = p.clientHost.up;
  let probeTimer: TimerHandle | undefined;
  let stopPump = false;
  try {
    const latency: Record<ProbeKind, number[]> = { tc: [], separate: [], inBulk: [] };
    const seen: Record<ProbeKind, Set<number>> = { tc: new Set(), separate: new Set(), inBulk: new Set() };
    // Delivery order of every probe (one counter for all kinds), by kind and index.
    const order: Record<ProbeKind, Map<number, number>> = { tc: new Map(), separate: new Map(), inBulk: new Map() };
    let delivered = 0;
    let bulkReceived = 0;
    const bulkFlows = new Set<number>();
    far.on('message', (f, m) => {
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
      latency[kind].push(clock.now() - v.getFloat64(5));
    });

    const bulk = session.openFlow(enc.encode('bulk'), { priority: Priority.Routine });
    // The light Routine flow is opened before the time-critical one: within one level the
    // scheduler's round robin would serve it first, so only priority puts the TC probe ahead.
    const separate = session.openFlow(enc.encode('routine'), { priority: Priority.Routine });
    const tc = session.openFlow(enc.encode('tc'), { priority: Priority.Immediate });

    // The bulk flow keeps a standing backlog of BULK_BACKLOG bytes, refilled as messages are
    // acked: it always has data to send, and its buffer (2 MiB cap) always has room for a probe.
    const chunk = new Prng(0xb01c).bytes(64 * 1024);
    const pump = (): void => {
      while (!stopPump && bulk.flow.bufferedBytes < BULK_BACKLOG) bulk.write(chunk);
    };
    bulk.on('delivered', pump);
    bulk.on('abandoned', pump);
    pump();
    const warmupEnd = clock.now() + WARMUP_MS;
    await p.until(() => clock.now() >= warmupEnd, { maxMs: WARMUP_MS + 1 });
    const bulkAtProbeStart = bulkReceived;
    const probeStart = clock.now();

    // One probe of each kind per tick; the two separate flows alternate which is written first.
    let sent = 0;
    let queuedTicks = 0;
    const tick = (): void => {
      const now = clock.now();
      if (up.backlogAt(now) > 0) queuedTicks++;
      if (sent % 2 === 0) {
        tc.write(probe(KIND_BYTE.tc, sent, now));
        separate.write(probe(KIND_BYTE.separate, sent, now));
      } else {
        separate.write(probe(KIND_BYTE.separate, sent, now));
        tc.write(probe(KIND_BYTE.tc, sent, now));
      }
      bulk.write(probe(KIND_BYTE.inBulk, sent, now));
      if (++sent < PROBES_PER_FLOW) probeTimer = clock.setTimer(now + PROBE_INTERVAL_MS, tick);
    };
    probeTimer = clock.setTimer(clock.now() + PROBE_INTERVAL_MS, tick);
    await p.until(() => sent >= PROBES_PER_FLOW, { maxMs: (PROBES_PER_FLOW + 1) * PROBE_INTERVAL_MS });
    const probeEnd = clock.now();
    const bulkDuringProbes = bulkReceived - bulkAtProbeStart;
    // The probes behind the bulk backlog still have to drain.
    stopPump = true;
    await p.until(() => KINDS.every((k) => seen[k].size >= PROBES_PER_FLOW), { maxMs: 10_000 });
    return {
      latency,
      order,
      seen,
      bulkFlows: bulkFlows.size,
      goodput: bulkDuringProbes / ((probeEnd - probeStart) / 1000),
      queuedTicks,
      droppedQueue: up.counters.droppedQueue,
      maxQueueDelayMs: up.counters.maxQueueDelayMs,
      srtt: session.rtt.srtt,
      retransmissions: session.scheduler.nackLosses + session.scheduler.timeoutLosses,
    };
  } finally {
    stopPump = true;
    probeTimer?.cancel();
    await p.close();
  }
}

test('Immediate flow latency stays far below the loaded Routine flow and never above a light Routine flow', async () => {
  const r = await run(0x7c);
  const tcS = stats(r.latency.tc);
  const sepS = stats(r.latency.separate);
  const bulkS = stats(r.latency.inBulk);
  // A full bottleneck queue of maximum-size datagrams drains in this long.
  const queueMs = (QUEUE_PACKETS * PACKET_BYTES * 1000) / RATE;
  console.log(
    `  time critical (Immediate flow):  ${show(tcS)}\n` +
      `  separate light Routine flow:     ${show(sepS)}\n` +
      `  on the loaded Routine flow:      ${show(bulkS)}\n` +
      `  bulk goodput during probes ${(r.goodput / 1e6).toFixed(2)} MB/s of a ${(RATE / 1e6).toFixed(1)} MB/s bottleneck; ` +
      `queue non-empty at ${r.queuedTicks}/${PROBES_PER_FLOW} probe ticks, ${r.droppedQueue} tail drops, longest wait ${r.maxQueueDelayMs.toFixed(1)} ms ` +
      `(full queue = ${queueMs.toFixed(1)} ms); srtt ${r.srtt?.toFixed(1)} ms; ${r.retransmissions} retransmissions (virtual time)`,
  );

  // Every probe arrived exactly once (all three flows are reliable).
  for (const k of KINDS) assert.is(r.seen[k].size, PROBES_PER_FLOW, `${k} probes delivered`);
  assert.is(r.bulkFlows, 1);
  // The load really saturated the bottleneck: its queue held data at most probe ticks and the
  // bulk flow moved at least 80% of the bottleneck's rate while the probes ran.
  assert.ok(r.queuedTicks > PROBES_PER_FLOW / 2, `bottleneck not saturated: queue busy at ${r.queuedTicks} ticks`);
  assert.ok(r.goodput > RATE * 0.8, `bulk goodput ${r.goodput.toFixed(0)} B/s`);
  // Time-critical data does not wait behind the Routine backlog.
  assert.ok(tcS.p50 < bulkS.p50 / 2, `tc p50 ${tcS.p50.toFixed(1)} ms is not under half the loaded-routine p50 ${bulkS.p50.toFixed(1)} ms`);
  assert.ok(tcS.p95 < bulkS.p95 / 2, `tc p95 ${tcS.p95.toFixed(1)} ms is not under half the loaded-routine p95 ${bulkS.p95.toFixed(1)} ms`);
  // Written in the same tick, the time-critical probe is scheduled first (same packet or an
  // earlier one), so it is never later than the light Routine probe.
  assert.ok(tcS.p50 <= sepS.p50 && tcS.p95 <= sepS.p95, `tc ${show(tcS)} vs separate routine ${show(sepS)}`);
  // Priority itself: the time-critical probe is delivered ahead of its Routine twin of the same
  // tick (it goes in the packet ahead of any Routine data), whichever was written first and
  // although round robin alone would favour the Routine flow (opened first). Only a tail drop
  // of the time-critical probe's packet at the bottleneck may reverse one.
  const tcFirst = (parity: number): number => {
    let n = 0;
    for (let i = parity; i < PROBES_PER_FLOW; i += 2) if (r.order.tc.get(i)! < r.order.separate.get(i)!) n++;
    return n / Math.ceil((PROBES_PER_FLOW - parity) / 2);
  };
  console.log(`  time-critical probe delivered before its Routine twin: ${(tcFirst(0) * 100).toFixed(0)}% when written first, ${(tcFirst(1) * 100).toFixed(0)}% when written second`);
  assert.ok(tcFirst(0) >= 0.9 && tcFirst(1) >= 0.9, `tc delivered first on ${(tcFirst(0) * 100).toFixed(0)}% / ${(tcFirst(1) * 100).toFixed(0)}% of ticks`);
  // Absolute bound, in virtual time: what no sender priority avoids is the bottleneck queue
  // (about 10 ms) plus waiting for the congestion window to open (acks come back after that
  // queue, so about one queue time again) plus the path's round trip.
  assert.ok(tcS.p95 < 2 * queueMs + 4 * LATENCY_MS + 10, `tc p95 ${tcS.p95.toFixed(1)} ms`);
});

test.run();
