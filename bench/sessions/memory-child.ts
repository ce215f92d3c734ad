/**
 * One memory measurement of the sessions benchmark, in a process of its own (run with
 * --expose-gc): `node --expose-gc memory-child.js <virtual|udp> <sessions> <servers>`.
 * Opens `servers` server endpoints and enough client endpoints that every client has one
 * session with every server, until `sessions` Session objects exist (client end and server end
 * both count: sessions / 2 connections). Memory is read after a forced GC once the endpoints
 * exist (baseline) and again once every session is open and idle; the difference divided by
 * the sessions is the cost of one idle session. Prints one JSON line (MemoryResult).
 */
import { Endpoint } from '../../src/session/endpoint.js';
import { createFlashIdentity, createServerIdentity } from '../../src/session/handshake/identity.js';
import { UdpTransport } from '../../src/transport/udp-transport.js';
import type { DatagramTransport } from '../../src/transport/datagram-transport.js';
import { VirtualNetwork } from '../../src/transport/virtual-network.js';
import { SystemClock } from '../../src/time/clock.js';

export interface MemorySample {
  heapUsed: number;
  arrayBuffers: number;
  external: number;
  rss: number;
}

export interface MemoryResult {
  transport: 'virtual' | 'udp';
  sessions: number;
  connections: number;
  servers: number;
  clients: number;
  baseline: MemorySample;
  loaded: MemorySample;
  /** (loaded - baseline) / sessions, bytes. */
  heapPerSession: number;
  arrayBuffersPerSession: number;
  /** heap + array buffers + other external memory per session. */
  totalPerSession: number;
  rssPerSession: number;
  /** Wall time of the connect phase and connections opened per second (both ends in this process). */
  connectMs: number;
  connectsPerSecond: number;
  /** Process CPU (user + system) per connection during the connect phase, both ends, ms. */
  cpuMsPerConnection: number;
  failures: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function sample(): Promise<MemorySample> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, external: m.external, rss: m.rss };
}

export async function measureMemory(kind: 'virtual' | 'udp', sessions: number, servers: number, concurrency = 256): Promise<MemoryResult> {
  if (!gc) throw new Error('run with --expose-gc');
  const connections = Math.ceil(sessions / 2);
  const clientsCount = Math.ceil(connections / servers);
  // The virtual network on the real clock: no latency, no loss, one host per endpoint.
  const clock = new SystemClock();
  const net = new VirtualNetwork({ clock });
  const open = async (): Promise<DatagramTransport> => (kind === 'virtual' ? net.bind() : await UdpTransport.open({ host: '127.0.0.1', port: 0 }));
  // Every UDP client shares 127.0.0.1: the per-address handshake flood guards would measure
  // themselves, not the sessions.
  const handshake = { rateLimit: { burst: 1e9, perSecond: 1e9, host: { burst: 1e9, perSecond: 1e9 } } };
  const maxSessions = clientsCount + 16;
  const serverEps: Endpoint[] = [];
  for (let i = 0; i < servers; i++) serverEps.push(await Endpoint.listen({ transport: await open(), clock, identity: createServerIdentity(), maxSessions, handshake }));
  const clients: Endpoint[] = [];
  for (let i = 0; i < clientsCount; i++) clients.push(await Endpoint.listen({ transport: await open(), clock, identity: createFlashIdentity(), maxSessions: servers + 16 }));
  const baseline = await sample();
  // A heap snapshot of the loaded state, for finding what a session holds (SESSIONS_HEAP_SNAPSHOT=path).

  const jobs: [Endpoint, Endpoint][] = [];
  for (let c = 0; c < clientsCount; c++) for (const s of serverEps) if (jobs.length < connections) jobs.push([clients[c]!, s]);
  let failures = 0;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const [c, s] = jobs[next++]!;
      try {
        await c.connect({ uri: 'rtmfp://bench/sessions', addresses: [{ address: s.address.address, port: s.address.port }] });
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  const connectMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // Let the last handshake packets and first acks settle.
  await new Promise((r) => setTimeout(r, 500));
  const loaded = await sample();
  if (process.env.SESSIONS_HEAP_SNAPSHOT) (await import('node:v8')).writeHeapSnapshot(process.env.SESSIONS_HEAP_SNAPSHOT);
  let open_ = 0;
  for (const e of [...serverEps, ...clients]) open_ += e.sessionCount;
  const per = (k: keyof MemorySample): number => (loaded[k] - baseline[k]) / open_;
  const result: MemoryResult = {
    transport: kind,
    sessions: open_,
    connections: jobs.length,
    servers,
    clients: clientsCount,
    baseline,
    loaded,
    heapPerSession: per('heapUsed'),
    arrayBuffersPerSession: per('arrayBuffers'),
    totalPerSession: per('heapUsed') + per('external'),
    rssPerSession: per('rss'),
    connectMs,
    connectsPerSecond: (jobs.length / connectMs) * 1000,
    cpuMsPerConnection: (cpu.user + cpu.system) / 1000 / jobs.length,
    failures,
  };
  for (const e of clients) await e.close();
  for (const e of serverEps) await e.close();
  return result;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const [kind, n, s] = process.argv.slice(2);
  // Protocol timers are unref'd; on the virtual network nothing else keeps the process up.
  const keepAlive = setInterval(() => undefined, 1000);
  const r = await measureMemory(kind === 'udp' ? 'udp' : 'virtual', Number(n ?? 1000), Number(s ?? 10));
  process.stdout.write(JSON.stringify(r) + '\n');
  clearInterval(keepAlive);
}
