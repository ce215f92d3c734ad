/**
 * The server end of the sessions benchmark's handshake and churn modes, in a process of its
 * own so its CPU time and RSS are its own: one Endpoint on 127.0.0.1 (UDP) with a server
 * identity. Every session it accepts answers the first message of each incoming flow on a
 * return flow (so reassembly and the send path are exercised). Driven over IPC:
 * `{type:'stats'}` -> ServerStats, `{type:'exit'}`.
 */
import { Endpoint } from '../../src/session/endpoint.js';
import { createServerIdentity } from '../../src/session/handshake/identity.js';

export interface ServerStats {
  type: 'stats';
  port: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  sessions: number;
  opened: number;
  closed: number;
}

const META = new TextEncoder().encode('echo');
const ep = await Endpoint.listen({ host: '127.0.0.1', identity: createServerIdentity(), maxSessions: 100_000, recvBufferSize: 4 * 1024 * 1024 });
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
    rss: m.rss,
    heapUsed: m.heapUsed,
    arrayBuffers: m.arrayBuffers,
    sessions: ep.sessionCount,
    opened: ep.counters.sessionsOpened,
    closed: ep.counters.sessionsClosed,
  };
}

process.on('message', (m: { type: string; id?: number; gc?: boolean }) => {
  if (m.type === 'stats') {
    if (m.gc) (globalThis as { gc?: () => void }).gc?.();
    process.send!({ ...stats(), id: m.id });
  } else if (m.type === 'exit') {
    void ep.close().then(() => process.exit(0));
  }
});
process.send!({ ...stats(), id: 0 });
