/**
 * The server end of the sessions benchmark's handshake and churn modes, in a process of its
 * own so its CPU time and RSS are its own: one Endpoint on 127.0.0.1 (UDP) with a server
 * identity. Every session it accepts answers the first message of each incoming flow on a
 * return flow (so reassembly and the send path are exercised). Driven over IPC:
 * `{type:'stats'}` -> ServerStats, `{type:'exit'}`.
 */
import { performance } from 'node:perf_hooks';
import { Endpoint } from '../../src/session/endpoint.js';
import { createServerIdentity } from '../../src/session/handshake/identity.js';
import { reservedCryptoOps } from '../../src/session/handshake/crypto-ops.js';
import { DhKeyReserve } from '../../src/engine/pool/dh-key-reserve.js';
import { PoolDiffieHellman } from '../../src/engine/pool/pool-diffie-hellman.js';

/** argv[2]: 'inline' (default) or 'pool': ephemeral DH key pairs made ahead in pool workers. */
const dhMode = process.argv[2] === 'pool' ? 'pool' : 'inline';
const reserve = dhMode === 'pool' ? new DhKeyReserve(new PoolDiffieHellman({ threads: 1 }), { size: 64 }) : undefined;
await reserve?.filled();

export interface ServerStats {
  type: 'stats';
  port: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Time the main thread's event loop was busy, ms (process CPU includes pool threads). */
  mainActiveMs: number;
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  sessions: number;
  /** Ephemeral key pairs served from / missed by the pool reserve. */
  reserveServed: number;
  reserveMissed: number;
  opened: number;
  closed: number;
}

const META = new TextEncoder().encode('echo');
// The benchmark's clients reconnect from the same few addresses as fast as they can: the
// per-address handshake rate limit (a flood guard) would measure itself, not the handshake.
const ep = await Endpoint.listen({
  host: '127.0.0.1',
  identity: createServerIdentity(),
  maxSessions: 100_000,
  recvBufferSize: 4 * 1024 * 1024,
  handshake: { rateLimit: { burst: 1e9, perSecond: 1e9, host: { burst: 1e9, perSecond: 1e9 } }, ...(reserve ? { crypto: reservedCryptoOps(reserve) } : {}) },
});
ep.on('session', (s) => {
  s.on('message', (f, m) => {
    s.openFlow(META, { returnFlowAssociation: f.flowId }).write(m.slice(0, 64));
  });
});

function stats(): ServerStats {
  const cpu = process.cpuUsage();
  const m = process.memoryUsage();
  return {
    type: 'stats',
    port: ep.address.port,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    mainActiveMs: performance.eventLoopUtilization().active,
    rss: m.rss,
    heapUsed: m.heapUsed,
    arrayBuffers: m.arrayBuffers,
    sessions: ep.sessionCount,
    reserveServed: reserve?.served ?? 0,
    reserveMissed: reserve?.missed ?? 0,
    opened: ep.counters.sessionsOpened,
    closed: ep.counters.sessionsClosed,
  };
}

process.on('message', (m: { type: string; id?: number; gc?: boolean }) => {
  if (m.type === 'stats') {
    if (m.gc) (globalThis as { gc?: () => void }).gc?.();
    process.send!({ ...stats(), id: m.id });
  } else if (m.type === 'exit') {
    reserve?.close();
    void ep.close().then(() => process.exit(0));
  }
});
process.send!({ ...stats(), id: 0 });
