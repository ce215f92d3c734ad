import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../machine.js';
import type { StandaloneSuite } from '../relay/standalone-suite.js';
import type { RunnerOptions, SuiteResult } from '../runner.js';
import { runChurn, runHandshakes, type ChurnResult, type HandshakeResult } from '../sessions/drive.js';
import type { MemoryResult } from '../sessions/memory-child.js';

/**
 * What sessions cost (issue "The engine for many peers", item 3; hardening item 4), three modes:
 *
 * - `memory`: idle sessions held by one process, each size in a fresh process run with
 *   --expose-gc (bench/sessions/memory-child.ts): server endpoints x client endpoints, every
 *   client with a session to every server (distinct identities, so no two sessions are
 *   deduplicated by peer ID); both ends count as sessions. Heap and array buffers from
 *   process.memoryUsage() after a forced GC, once the endpoints exist and again once every
 *   session is open: the difference over the sessions. On the virtual network
 *   (src/transport/virtual-network.ts, real clock, no latency) and over UDP
 *   on 127.0.0.1 (one socket per endpoint).
 * - `handshake`: a server endpoint in a child process; 20 client endpoints open and abort 1,000
 *   sessions, 20 at a time. Server CPU per handshake (process CPU, pool threads included) and
 *   its main-thread busy time, with Diffie-Hellman inline and with the responder's ephemeral key
 *   pairs made ahead in pool workers (DhKeyReserve).
 * - `churn`: 300 clients open a session each, exchange a reassembled message, close; 20 rounds;
 *   the server child's RSS after each round (goal: last within 1.5x of first).
 *
 * Environment: SESSIONS_BENCH_MODES (default "memory,handshake,churn"), SESSIONS_BENCH_SIZES
 * (virtual network, default "1000,10000,100000"), SESSIONS_BENCH_UDP_SIZES (default "10000"),
 * SESSIONS_BENCH_SERVERS (server endpoints in memory runs, default 10), SESSIONS_BENCH_HANDSHAKES
 * (default 1000), SESSIONS_BENCH_CHURN ("sessions,rounds", default "300,20").
 */

export interface SessionsResult extends SuiteResult {
  memory: MemoryResult[];
  handshakes: HandshakeResult[];
  churn: ChurnResult | undefined;
  goals: { idleSessionBytes: number; churnRatio: number; handshakeCpuMs: number };
}

const list = (v: string | undefined, fallback: string): string[] =>
  (v || fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

function memoryRun(kind: 'virtual' | 'udp', sessions: number, servers: number): Promise<MemoryResult> {
  const script = fileURLToPath(new URL('../sessions/memory-child.js', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=8192', script, kind, String(sessions), String(servers)],
      { maxBuffer: 1 << 20, timeout: 3_600_000 },
      (err, stdout) => {
        if (err) return reject(err);
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop()!) as MemoryResult);
        } catch (e) {
          reject(e as Error);
        }
      },
    );
  });
}

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;

const suite: StandaloneSuite = {
  name: 'sessions',
  description:
    'memory per idle session (heap + array buffers after a forced GC) at 1k/10k/100k sessions on the virtual network and 10k over UDP; ' +
    'handshakes per second and server CPU per handshake with DH inline vs pool; churn RSS over 20 rounds of 300 sessions',
  async run(options: RunnerOptions): Promise<{ result: SuiteResult; errors: string[] }> {
    const env = process.env;
    const modes = list(env.SESSIONS_BENCH_MODES, 'memory,handshake,churn');
    const servers = Number(env.SESSIONS_BENCH_SERVERS || 10);
    const errors: string[] = [];
    const memory: MemoryResult[] = [];
    const handshakes: HandshakeResult[] = [];
    let churn: ChurnResult | undefined;
    const log = options.log;
    if (modes.includes('memory')) {
      const runs: ['virtual' | 'udp', number][] = [
        ...list(env.SESSIONS_BENCH_SIZES, '1000,10000,100000').map((n): ['virtual', number] => ['virtual', Number(n)]),
        ...list(env.SESSIONS_BENCH_UDP_SIZES, '10000').map((n): ['udp', number] => ['udp', Number(n)]),
      ];
      for (const [kind, n] of runs) {
        try {
          const r = await memoryRun(kind, n, servers);
          memory.push(r);
          log(
            `  memory ${kind} ${r.sessions} sessions (${r.connections} connections, ${r.servers}x${r.clients} endpoints): ` +
              `heap ${kib(r.heapPerSession)} + array buffers ${kib(r.arrayBuffersPerSession)} = ${kib(r.heapPerSession + r.arrayBuffersPerSession)} per session, ` +
              `RSS ${kib(r.rssPerSession)}; ${r.connectsPerSecond.toFixed(0)} connects/s (both ends in-process, ${r.cpuMsPerConnection.toFixed(2)} ms CPU each), ${r.failures} failed`,
          );
        } catch (e) {
          errors.push(`memory ${kind} ${n}: ${(e as Error).message}`);
        }
      }
    }
    if (modes.includes('handshake')) {
      const count = Number(env.SESSIONS_BENCH_HANDSHAKES || 1000);
      for (const dh of ['inline', 'pool'] as const) {
        try {
          const r = await runHandshakes(count, 20, dh);
          handshakes.push(r);
          log(
            `  handshake dh=${dh}: ${r.handshakesPerSecond.toFixed(0)}/s, server CPU ${r.serverCpuMsPerHandshake.toFixed(2)} ms ` +
              `(main thread ${r.serverMainThreadMsPerHandshake.toFixed(2)} ms) per handshake, ${r.failures} failed` +
              (dh === 'pool' ? `, reserve served ${r.reserveServed} missed ${r.reserveMissed}` : ''),
          );
        } catch (e) {
          errors.push(`handshake ${dh}: ${(e as Error).message}`);
        }
      }
    }
    if (modes.includes('churn')) {
      const [n, rounds] = list(env.SESSIONS_BENCH_CHURN, '300,20').map(Number);
      try {
        churn = await runChurn(n!, rounds!);
        log(
          `  churn ${n} x ${rounds}: server RSS ${(churn.rssAfterRound[0]! / 2 ** 20).toFixed(1)} MiB after round 1, ` +
            `${(churn.rssAfterRound[churn.rssAfterRound.length - 1]! / 2 ** 20).toFixed(1)} MiB after the last (${churn.ratio.toFixed(2)}x)`,
        );
        if (churn.ratio > 1.5) errors.push(`churn: RSS grew ${churn.ratio.toFixed(2)}x (goal 1.5x)`);
      } catch (e) {
        errors.push(`churn: ${(e as Error).message}`);
      }
    }
    const result: SessionsResult = {
      suite: 'sessions',
      date: new Date().toISOString(),
      machine: machineInfo(),
      rows: [],
      memory,
      handshakes,
      churn,
      goals: { idleSessionBytes: 16 * 1024, churnRatio: 1.5, handshakeCpuMs: 1.2 },
    };
    if (options.outDir) {
      mkdirSync(options.outDir, { recursive: true });
      writeFileSync(join(options.outDir, 'sessions.json'), `${JSON.stringify(result, null, 2)}\n`);
    }
    return { result, errors };
  },
};

export default suite;
