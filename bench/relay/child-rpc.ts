/**
 * Request/reply over a forked child's IPC channel: every request carries an id, the child's reply
 * echoes it. Requests time out, and a child that exits fails whatever was pending, so the
 * benchmark never hangs on a dead or stuck child.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** Omit distributed over a union: each request shape without its id. */
type WithoutId<T> = T extends { id: number } ? Omit<T, 'id'> : never;

interface Pending {
  resolve: (m: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class ChildRpc<Req extends { type: string }, Rep extends { type: string }> {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: ((m: Rep) => void)[] = [];
  private nextId = 1;
  private exited: string | undefined;

  constructor(
    readonly label: string,
    script: URL,
    args: string[],
    execArgv: string[] = process.execArgv,
  ) {
    // Children inherit stderr (their errors show up in the bench output), not stdout.
    this.child = fork(script, args, { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
    this.child.on('message', (m: Rep & { id?: number }) => {
      for (const l of this.listeners) l(m);
      if (typeof m.id !== 'number') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `${label} exited (${signal ?? `code ${code}`})`;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(this.exited));
      }
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The first message of `type` (one the child sends on its own, such as 'listening'). */
  first<T extends Rep['type']>(type: T, timeoutMs: number): Promise<Extract<Rep, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      this.child.once('exit', () => reject(new Error(this.exited ?? `${this.label} exited`)));
      this.listeners.push((m) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        resolve(m as Extract<Rep, { type: T }>);
      });
    });
  }

  /** Sends `req` with a fresh id; resolves with the reply carrying that id. */
  request<R extends Rep>(req: WithoutId<Req>, timeoutMs: number): Promise<R> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: no reply to '${req.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (m: unknown) => void, reject, timer });
      this.child.send({ ...req, id });
    });
  }

  /** Sends a message that gets no reply. */
  post(m: Req): void {
    if (!this.exited) this.child.send(m);
  }

  /** Waits up to `ms` for the child to exit on its own, then kills it. */
  async stop(ms: number): Promise<void> {
    if (this.exited || this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, ms);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
