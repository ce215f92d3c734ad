// The compiled rtmfp-server CLI in a child process: its JSON log lines, stderr and exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// Compiled layout: <repo>/dist/test/support/cli-process.js -> <repo>/dist/src/cli.js
export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
export const STEP_MS = 10_000;

export type LogLine = Record<string, unknown> & { level: number; msg: string };

export class CliProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly stdoutNoise: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private wake: (() => void) | undefined;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as LogLine);
      } catch {
        this.stdoutNoise.push(l);
      }
      this.wake?.();
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first log line with this msg, waiting up to `ms`. */
  async line(msg: string, ms = STEP_MS): Promise<LogLine> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.lines.find((l) => l.msg === msg);
      if (found) return found;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no "${msg}" line within ${ms} ms; stdout: ${JSON.stringify(this.lines)} stderr: ${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  async exit(ms = STEP_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms)));
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

