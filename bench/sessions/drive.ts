/**
 * Drivers of the sessions benchmark's handshake and churn modes: a server child process
 * (server-child.ts) and client endpoints in this process over UDP on 127.0.0.1.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Endpoint } from '../../src/session/endpoint.js';
import type { Session } from '../../src/session/session.js';
import type { ServerStats } from './server-child.js';

const LOOP = '127.0.0.1';
const META = new TextEncoder().encode('bench');

class ServerChild {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (s: ServerStats) => void>();
  readonly ready: Promise<ServerStats>;

  constructor(execArgv: string[], args: string[] = []) {
    this.child = fork(new URL('./server-child.js', import.meta.url), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve) => this.waiting.set(0, resolve));
    this.child.on('message', (m: ServerStats & { id: number }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.(m);
    });
  }

  stats(gc = false): Promise<ServerStats> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ type: 'stats', id, gc });
    });
  }

  async exit(): Promise<void> {
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'exit' });
    await done;
  }
}

const cpuMs = (a: ServerStats, b: ServerStats): number => (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000;

async function until(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface HandshakeResult {
  dh: 'inline' | 'pool';
  connects: number;
  concurrency: number;
  failures: number;
  wallMs: number;
  handshakesPerSecond: number;
  /** Server process CPU (user + system) per handshake, ms (the session's abrupt close included). */
  serverCpuMsPerHandshake: number;
  /** Main-thread busy time per handshake (event loop utilization), ms: what the pool relieves. */
  serverMainThreadMsPerHandshake: number;
  /** Pool mode: ephemeral key pairs the reserve served / could not serve (generated inline). */
  reserveServed: number;
  reserveMissed: number;
}

/**
 * `count` session opens against one server, `concurrency` at a time, each from a client endpoint
 * of its own identity: connect, then abort (the server forgets the session on the Close Ack).
 */
export async function runHandshakes(count: number, concurrency: number, dh: 'inline' | 'pool', execArgv: string[] = ['--expose-gc']): Promise<HandshakeResult> {
  const server = new ServerChild(execArgv, [dh]);
  const first = await server.ready;
  const clients: Endpoint[] = [];
  for (let i = 0; i < concurrency; i++) clients.push(await Endpoint.listen({ host: LOOP }));
  const target = { uri: `rtmfp://${LOOP}/bench`, addresses: [{ address: LOOP, port: first.port }] };
  // One unmeasured round warms both processes up.
  await Promise.all(clients.map(async (c) => (await c.connect(target)).abort()));
  await until(async () => (await server.stats()).sessions === 0, 5000, 'warm-up sessions closed');
  const before = await server.stats();
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (next < count) {
        next++;
        try {
          (await c.connect(target)).abort();
        } catch {
          failures++;
        }
      }
    }),
  );
  const wallMs = performance.now() - t0;
  await until(async () => (await server.stats()).sessions === 0, 5000, 'sessions closed');
  const after = await server.stats();
  for (const c of clients) await c.close();
  await server.exit();
  return {
    dh,
    reserveServed: after.reserveServed - before.reserveServed,
    reserveMissed: after.reserveMissed - before.reserveMissed,
    connects: count,
    concurrency,
    failures,
    wallMs,
    handshakesPerSecond: (count / wallMs) * 1000,
    serverCpuMsPerHandshake: cpuMs(before, after) / count,
    serverMainThreadMsPerHandshake: (after.mainActiveMs - before.mainActiveMs) / count,
  };
}

export interface ChurnResult {
  sessionsPerRound: number;
  rounds: number;
  /** Server RSS (bytes) after each round, every session closed. */
  rssAfterRound: number[];
  /** Server heap used after each round (after a GC). */
  heapAfterRound: number[];
  /** RSS after the last round over RSS after the first. */
  ratio: number;
  serverStartRss: number;
}

/**
 * Issue 9 item 4: `sessions` clients open a session each, send a 5,000-byte message (three
 * fragments, so it is reassembled) and get an answer on a return flow, then close abruptly; the
 * server's RSS is read once all of them are gone. `rounds` times, the same client endpoints.
 */
export async function runChurn(sessions: number, rounds: number, execArgv: string[] = ['--expose-gc']): Promise<ChurnResult> {
  const server = new ServerChild(execArgv);
  const first = await server.ready;
  const clients: Endpoint[] = [];
  for (let i = 0; i < sessions; i++) clients.push(await Endpoint.listen({ host: LOOP }));
  const target = { uri: `rtmfp://${LOOP}/bench`, addresses: [{ address: LOOP, port: first.port }] };
  const payload = new Uint8Array(5000).fill(7);
  const rss: number[] = [];
  const heap: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const open: Session[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < clients.length) {
          const c = clients[next++]!;
          const s = await c.connect(target);
          const answered = new Promise<void>((resolve) => s.once('message', () => resolve()));
          s.openFlow(META).write(payload);
          await answered;
          open.push(s);
        }
      }),
    );
    for (const s of open) s.abort();
    await until(async () => (await server.stats()).sessions === 0, 10_000, `round ${r} closed`);
    const st = await server.stats(true);
    rss.push(st.rss);
    heap.push(st.heapUsed);
  }
  for (const c of clients) await c.close();
  await server.exit();
  return { sessionsPerRound: sessions, rounds, rssAfterRound: rss, heapAfterRound: heap, ratio: rss[rss.length - 1]! / rss[0]!, serverStartRss: first.rss };
}
