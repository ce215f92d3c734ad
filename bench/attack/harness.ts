// The attack suite's harness: a real server (the CLI, compiled, in its own process) on
// 127.0.0.1, its log lines, its RSS and CPU from /proc, a correct client that keeps checking the
// server still serves, and helpers to craft startup datagrams. Loopback only; every loop is
// bounded in count and time.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NetConnection } from '../../src/flash/net-connection.js';
import { PacketBuilder } from '../../src/wire/packet.js';
import { ByteWriter } from '../../src/wire/writer.js';
import { PacketMode } from '../../src/wire/chunk-type.js';
import type { AnyChunk } from '../../src/wire/chunk.js';
import { sealDatagram, startupEnvelope } from '../../src/crypto/envelope.js';

export const LOOPBACK = '127.0.0.1';
const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface AttackContext {
  /** Short form (CI): smaller counts, same assertions. */
  short: boolean;
}

export interface AttackResult {
  name: string;
  passed: boolean;
  /** What was measured (numbers only, for bench/results/attack.json). */
  metrics: Record<string, number>;
  /** One line per failed expectation. */
  failures: string[];
  elapsedMs: number;
}

export interface Attack {
  name: string;
  /** The finding (issue text) this attack proves fixed. */
  finding: string;
  run(ctx: AttackContext): Promise<Omit<AttackResult, 'name' | 'elapsedMs' | 'passed'>>;
}

/** Collects expectations: `check(cond, text)` records a failure instead of throwing. */
export class Expectations {
  readonly failures: string[] = [];
  check(ok: boolean, text: string): boolean {
    if (!ok) this.failures.push(text);
    return ok;
  }
}

export interface ServerLogLine {
  level?: number;
  msg?: string;
  [k: string]: unknown;
}

/** `rtmfp-server` in a child process, bound to 127.0.0.1 on a free port. */
export class ServerProcess {
  readonly child: ChildProcess;
  port = 0;
  readonly logs: ServerLogLine[] = [];
  readonly stderr: string[] = [];
  private exited: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const j = JSON.parse(line) as ServerLogLine;
          if (this.logs.length < 100_000) this.logs.push(j);
        } catch {
          /* not JSON: ignore */
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (this.stderr.length < 1000) this.stderr.push(d);
    });
  }

  static async start(extraArgs: string[] = [], timeoutMs = 15_000): Promise<ServerProcess> {
    const child = spawn(process.execPath, [CLI, '--port', '0', '--host', LOOPBACK, '--log-level', 'info', ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const s = new ServerProcess(child);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const l = s.logs.find((x) => typeof x.port === 'number' && /listening/.test(String(x.msg)));
      if (l) {
        s.port = l.port as number;
        return s;
      }
      if (child.exitCode !== null) break;
      await sleep(20);
    }
    child.kill('SIGKILL');
    throw new Error(`server did not start: ${s.stderr.join('').slice(0, 500)}`);
  }

  /** Resident set size in bytes (VmRSS). */
  rss(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  }

  /** User + system CPU time in ms. */
  cpuMs(): number {
    const f = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return (ticks * 1000) / 100; // CLK_TCK is 100 on Linux
  }

  /** Log lines whose message matches. */
  linesMatching(re: RegExp): ServerLogLine[] {
    return this.logs.filter((l) => re.test(String(l.msg ?? '')));
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** A correct client: connects once, then `probe()` checks a round trip (createStream) works. */
export class CorrectClient {
  readonly nc = new NetConnection({ connectTimeoutMs: 5000, callTimeoutMs: 5000, handshakeTimeoutMs: 5000 });
  ok = 0;
  failed = 0;

  static async connect(port: number): Promise<CorrectClient> {
    const c = new CorrectClient();
    const info = await c.nc.connect(`rtmfp://${LOOPBACK}:${port}/live`);
    if (info.code !== 'NetConnection.Connect.Success') throw new Error(`correct client could not connect: ${info.code} ${info.description ?? ''}`);
    return c;
  }

  async probe(): Promise<boolean> {
    try {
      const id = await this.nc.call('createStream', {});
      if (typeof id === 'number') {
        this.ok++;
        return true;
      }
    } catch {
      /* counted below */
    }
    this.failed++;
    return false;
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

const startupWriter = new ByteWriter(new Uint8Array(8192));

/** One startup datagram (default key, RFC 7016 2.2.2 / wire-reference A.4) carrying `chunks`. */
export function startupDatagram(chunks: readonly AnyChunk[], sessionId = new Uint8Array(4)): Uint8Array {
  startupWriter.pos = 0;
  const b = new PacketBuilder(startupWriter, 8000);
  b.begin({ timeCritical: false, timeCriticalReverse: false, mode: PacketMode.Startup, timestamp: 0 });
  for (const c of chunks) if (!b.append(c)) throw new Error('startup datagram over its size');
  return sealDatagram(sessionId, b.bytes(), startupEnvelope());
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `done()` or the deadline; true if done. */
export async function waitFor(done: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(stepMs);
  }
  return true;
}
