import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machineInfo } from '../machine.js';
import { renderRelayChart } from '../relay/chart.js';
import { ChildRpc } from '../relay/child-rpc.js';
import {
  isRelayBackend,
  RELAY_BACKENDS,
  type RelayBackend,
  type ServerMark,
  type ServerReply,
  type ServerRequest,
  type SubscriberReply,
  type SubscriberRequest,
} from '../relay/protocol.js';
import { AUDIO_BITS_PER_SECOND, BenchPublisher, KEYFRAME_BYTES, INTER_FRAME_BYTES, VIDEO_BITS_PER_SECOND } from '../relay/publisher.js';
import { formatRelayTable, quantile, type RelayRow } from '../relay/row.js';
import type { StandaloneSuite } from '../relay/standalone-suite.js';
import type { RunnerOptions, SuiteResult } from '../runner.js';

/**
 * The live relay end to end over real UDP on 127.0.0.1 (RFC 7425 streams through RtmfpServer):
 * the server runs in a child process (bench/relay/server-child.ts) with one packet-cipher backend,
 * so its CPU time is its own; one publisher in this process sends a real-time A/V stream; N
 * subscribers, each a NetConnection with its own socket, play it from subscriber child processes.
 * Subscribers are added incrementally (1, 10, 50, 200) on one server per backend, and each point
 * is a measurement window of RELAY_BENCH_SECONDS of publishing plus a grace period.
 *
 * Environment: RELAY_BENCH_SECONDS (publishing per point, default 5), RELAY_BENCH_N (default
 * "1,10,50,200"), RELAY_BENCH_BACKENDS (default all: node-batched,node-long-lived,wasm),
 * RELAY_BENCH_SUBSCRIBER_PROCS (default 2), RELAY_BENCH_GRACE_MS (default 1000),
 * RELAY_BENCH_WARMUP_SECONDS (unmeasured publishing before each backend's first point, default 1),
 * RELAY_BENCH_SERVER_EXEC_ARGV (node flags for the server child, e.g. "--cpu-prof --cpu-prof-dir=prof"),
 * RELAY_BENCH_BASELINE (the root of another build of this project, e.g. an older commit checked out
 * and built under /tmp: its dist/bench/relay/server-child.js serves a second series per backend,
 * measured in the same run with the same publisher and subscribers, just before the current one;
 * rows are named relay/<backend>@<label>/n=N), RELAY_BENCH_BASELINE_LABEL (default "before").
 */

interface RelayConfig {
  seconds: number;
  ns: number[];
  backends: RelayBackend[];
  subscriberProcs: number;
  graceMs: number;
  warmupSeconds: number;
  /** Node flags for the server child (e.g. --cpu-prof to see where its time goes). */
  serverExecArgv: string[];
  /** Another build's server child, measured as a series of its own, and its label. */
  baseline: { script: URL; label: string } | undefined;
}

function configFromEnv(env: NodeJS.ProcessEnv): RelayConfig {
  const num = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min) throw new Error(`${name}=${raw}: expected a number >= ${min}`);
    return v;
  };
  const list = (name: string, fallback: string): string[] =>
    (env[name] || fallback)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  const ns = list('RELAY_BENCH_N', '1,10,50,200').map(Number);
  if (ns.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`RELAY_BENCH_N: expected positive integers, got ${env.RELAY_BENCH_N}`);
  const backends = list('RELAY_BENCH_BACKENDS', RELAY_BACKENDS.join(','));
  const bad = backends.filter((b) => !isRelayBackend(b));
  if (bad.length > 0) throw new Error(`RELAY_BENCH_BACKENDS: unknown ${bad.join(', ')}; expected ${RELAY_BACKENDS.join(', ')}`);
  return {
    seconds: num('RELAY_BENCH_SECONDS', 5, 0.2),
    ns: [...new Set(ns)].sort((a, b) => a - b),
    backends: backends as RelayBackend[],
    subscriberProcs: Math.floor(num('RELAY_BENCH_SUBSCRIBER_PROCS', 2, 1)),
    graceMs: num('RELAY_BENCH_GRACE_MS', 1000, 0),
    warmupSeconds: num('RELAY_BENCH_WARMUP_SECONDS', 1, 0),
    serverExecArgv: [...process.execArgv, ...list('RELAY_BENCH_SERVER_EXEC_ARGV', '').flatMap((s) => s.split(/\s+/))],
    baseline: env.RELAY_BENCH_BASELINE
      ? {
          script: pathToFileURL(join(resolve(env.RELAY_BENCH_BASELINE), 'dist/bench/relay/server-child.js')),
          label: env.RELAY_BENCH_BASELINE_LABEL || 'before',
        }
      : undefined,
  };
}

const SERVER_SCRIPT = new URL('../relay/server-child.js', import.meta.url);
const SUBSCRIBER_SCRIPT = new URL('../relay/subscriber-child.js', import.meta.url);
/** The idle measurement before each window. */
const IDLE_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type ServerRpc = ChildRpc<ServerRequest, ServerReply>;
type SubscriberRpc = ChildRpc<SubscriberRequest, SubscriberReply>;

async function mark(server: ServerRpc): Promise<ServerMark> {
  const r = await server.request<Extract<ServerReply, { type: 'mark' }>>({ type: 'mark' }, 10_000);
  return r.mark;
}

/** Subscribers per child process for a total of n: as even as possible, the first ones first. */
function spread(n: number, procs: number): number[] {
  return Array.from({ length: procs }, (_, i) => Math.floor(n / procs) + (i < n % procs ? 1 : 0));
}

async function runBackend(
  backend: RelayBackend,
  cfg: RelayConfig,
  log: (s: string) => void,
  errors: string[],
  build: { script: URL; label: string } | undefined = undefined,
): Promise<RelayRow[]> {
  const rows: RelayRow[] = [];
  const series = build ? `${backend}@${build.label}` : backend;
  const server: ServerRpc = new ChildRpc(`server(${series})`, build?.script ?? SERVER_SCRIPT, [backend], cfg.serverExecArgv);
  const procs = Math.min(cfg.subscriberProcs, Math.max(...cfg.ns));
  const subs: SubscriberRpc[] = Array.from({ length: procs }, (_, i) => new ChildRpc(`subscribers#${i}(${backend})`, SUBSCRIBER_SCRIPT, []));
  let publisher: BenchPublisher | undefined;
  try {
    const listening = await server.first('listening', 20_000);
    const port = listening.port;
    log(`  ${series}: server pid ${server.pid} on port ${port}, cipher ${listening.cipher}`);
    publisher = await BenchPublisher.open(port);
    const counts = new Array<number>(procs).fill(0);
    let warmedUp = false;
    for (const n of cfg.ns) {
      const want = spread(n, procs);
      const failures: string[] = [];
      const added = await Promise.all(
        subs.map((s, i) =>
          want[i]! > counts[i]!
            ? s.request<Extract<SubscriberReply, { type: 'added' }>>({ type: 'add', port, count: want[i]! - counts[i]! }, 180_000)
            : undefined,
        ),
      );
      for (const [i, a] of added.entries()) {
        if (!a) continue;
        counts[i] = a.total;
        failures.push(...a.failed);
      }
      const connected = counts.reduce((a, b) => a + b, 0);
      if (failures.length > 0) {
        const msg = `${series} N=${n}: ${failures.length} subscriber(s) could not connect/play (first: ${failures[0]}); measured with ${connected}`;
        errors.push(msg);
        log(`  ${msg}`);
      }
      if (connected === 0) break;
      if (!warmedUp && cfg.warmupSeconds > 0) {
        await publisher.publish(cfg.warmupSeconds);
        await sleep(cfg.graceMs);
        warmedUp = true;
      }
      await sleep(200);
      const idle0 = await mark(server);
      await sleep(IDLE_MS);
      const idle1 = await mark(server);
      await Promise.all(subs.map((s) => s.request({ type: 'start' }, 10_000)));
      const m0 = await mark(server);
      const w = await publisher.publish(cfg.seconds);
      await sleep(cfg.graceMs);
      const m1 = await mark(server);
      const got = await Promise.all(
        subs.map((s) => s.request<Extract<SubscriberReply, { type: 'collected' }>>({ type: 'collect', fromSeq: w.fromSeq, toSeq: w.toSeq }, 30_000)),
      );
      const windowMs = m1.at - m0.at;
      const cpuUs = m1.cpu.user + m1.cpu.system - (m0.cpu.user + m0.cpu.system);
      const datagrams = m1.datagramsOut - m0.datagramsOut;
      let received = 0;
      let bytes = 0;
      let subCpuUs = 0;
      let samples = 0;
      for (const g of got) {
        for (const sw of g.windows) {
          received += sw.messages;
          bytes += sw.bytes;
        }
        subCpuUs += g.cpu.user + g.cpu.system;
        samples += g.lateness.length;
      }
      const lateness = new Float64Array(samples);
      let k = 0;
      for (const g of got) for (const v of g.lateness) lateness[k++] = v;
      lateness.sort();
      const attempted = w.toSeq - w.fromSeq;
      const expected = attempted * connected;
      const publishS = w.durationMs / 1000;
      const hz = datagrams / publishS;
      const row: RelayRow = {
        name: `relay/${series}/n=${n}`,
        hz,
        meanNs: hz > 0 ? 1e9 / hz : 0,
        p99Ns: quantile(lateness, 0.99) * 1e6,
        samples,
        backend: series,
        subscribers: connected,
        subscribersWanted: n,
        subscriberProcesses: want.filter((c) => c > 0).length,
        seconds: cfg.seconds,
        serverCpuUsPerPacket: datagrams > 0 ? cpuUs / datagrams : Number.NaN,
        serverCpuUsPerMessage: received > 0 ? cpuUs / received : Number.NaN,
        serverCpuPercent: (cpuUs / 1000 / windowMs) * 100,
        serverSystemUsPerPacket: datagrams > 0 ? (m1.cpu.system - m0.cpu.system) / datagrams : Number.NaN,
        serverIdleCpuPercent: ((idle1.cpu.user + idle1.cpu.system - idle0.cpu.user - idle0.cpu.system) / 1000 / (idle1.at - idle0.at)) * 100,
        deliveredMbps: (bytes * 8) / publishS / 1e6,
        loss: expected > 0 ? 1 - received / expected : 0,
        byteLoss: w.bytes * connected > 0 ? 1 - bytes / (w.bytes * connected) : 0,
        expectedMessages: expected,
        receivedMessages: received,
        latenessP50Ms: quantile(lateness, 0.5),
        latenessP99Ms: quantile(lateness, 0.99),
        latenessMaxMs: samples > 0 ? lateness[samples - 1]! : Number.NaN,
        publisherRefused: w.refused,
        publisherMaxBehindMs: w.maxBehindMs,
        serverDatagramsOut: datagrams,
        serverDatagramsIn: m1.datagramsIn - m0.datagramsIn,
        relayMessagesOut: m1.stats.relay.messagesOut - m0.stats.relay.messagesOut,
        relayDropped: m1.stats.relay.dropped - m0.stats.relay.dropped,
        relayAbandoned: m1.stats.relay.abandoned - m0.stats.relay.abandoned,
        subscriberCpuPercent: (subCpuUs / 1000 / windowMs) * 100,
      };
      if (m1.stats.players !== connected) log(`  ${series} N=${n}: server counts ${m1.stats.players} players, ${connected} connected`);
      log(
        `  ${row.name}: ${row.serverCpuUsPerPacket.toFixed(1)} µs/packet, ${row.serverCpuPercent.toFixed(0)} % server CPU, ` +
          `${row.deliveredMbps.toFixed(1)} Mbit/s, loss ${(row.loss * 100).toFixed(2)} %, lateness p50 ${row.latenessP50Ms.toFixed(1)} / p99 ${row.latenessP99Ms.toFixed(1)} ms, ` +
          `subscribers ${row.subscriberCpuPercent.toFixed(0)} % CPU, publisher refused ${w.refused}, pacing lag max ${w.maxBehindMs.toFixed(1)} ms`,
      );
      rows.push(row);
    }
  } catch (e) {
    const msg = `${series}: ${e instanceof Error ? e.message : String(e)}`;
    errors.push(msg);
    log(`  ERROR ${msg}`);
  } finally {
    await publisher?.close().catch(() => undefined);
    await Promise.all(
      subs.map(async (s) => {
        await s.request({ type: 'close' }, 10_000).catch(() => undefined);
        await s.stop(2000);
      }),
    );
    server.post({ type: 'close' });
    await server.stop(5000);
  }
  return rows;
}

const suite: StandaloneSuite = {
  name: 'relay',
  description:
    `live relay over loopback UDP, server in its own process per packet-cipher backend; one publisher ` +
    `(${VIDEO_BITS_PER_SECOND / 1e6} Mbit/s video at 25 fps, ${KEYFRAME_BYTES / 1000} KB keyframes every 2 s, ${(INTER_FRAME_BYTES / 1000).toFixed(1)} KB inter frames; ` +
    `${AUDIO_BITS_PER_SECOND / 1000} kbit/s audio at 50 messages/s) and N subscribers; rows: server CPU µs per datagram it sent and per message delivered, ` +
    `delivered Mbit/s, loss, lateness; hz = server datagrams/s, meanNs = 1e9/hz, p99Ns = p99 lateness`,
  async run(options: RunnerOptions): Promise<{ result: SuiteResult; errors: string[] }> {
    const cfg = configFromEnv(process.env);
    const errors: string[] = [];
    const rows: RelayRow[] = [];
    options.log(
      `  ${cfg.backends.join(', ')} x N = ${cfg.ns.join(', ')}; ${cfg.seconds} s per point + ${cfg.graceMs} ms grace; ` +
        `subscribers over ${cfg.subscriberProcs} process(es)`,
    );
    for (const backend of cfg.backends) {
      if (cfg.baseline) rows.push(...(await runBackend(backend, cfg, options.log, errors, cfg.baseline)));
      rows.push(...(await runBackend(backend, cfg, options.log, errors)));
    }
    const machine = machineInfo();
    const result: SuiteResult & { rows: RelayRow[] } = { suite: 'relay', date: new Date().toISOString(), machine, rows };
    options.log('');
    options.log(formatRelayTable(rows));
    if (options.outDir !== null) {
      mkdirSync(options.outDir, { recursive: true });
      writeFileSync(join(options.outDir, 'relay.json'), `${JSON.stringify(result, null, 2)}\n`);
      const svg = renderRelayChart(rows, {
        date: result.date.slice(0, 10),
        machine: `${machine.cpu}, ${machine.cores} cores, node ${machine.node}`,
        workload:
          `${(VIDEO_BITS_PER_SECOND + AUDIO_BITS_PER_SECOND) / 1e6} Mbit/s A/V stream, ${cfg.seconds} s per point, ` +
          `subscribers over ${cfg.subscriberProcs} processes`,
        streamMbps: (VIDEO_BITS_PER_SECOND + AUDIO_BITS_PER_SECOND) / 1e6,
      });
      writeFileSync(join(options.outDir, 'relay.svg'), svg);
    }
    return { result, errors };
  },
};

export default suite;
