// Counted, rate-limited reports of what the server refused: an attack is thousands of refusals a
// second, and one log line per packet would be a second attack (on the disk and the operator).
// Each refusal is counted at once; the first of a quiet period is logged with its details, the
// rest are summed into one line per interval.
import type { Clock, TimerHandle } from '../time/clock.js';
import type { ServerLogger } from './server-logger.js';

/** Kinds of refusal the server counts (stats().refusals) and logs. */
export interface ServerRefusalCounters {
  /** Sessions refused because the server held maxSessions clients (answered Connect.Rejected). */
  serverFull: number;
  /** Sessions refused because their address held maxSessionsPerAddress sessions. */
  perAddress: number;
  /** Sessions closed because no `connect` was decided within connectTimeoutMs. */
  connectTimeout: number;
  /** `connect` messages that did not decode (too large, too deep, malformed): answered Connect.Rejected. */
  malformedConnect: number;
  /** `connect` refused by the token check or the application (bad token, unknown app, onConnect). */
  rejectedConnect: number;
}

export type ServerRefusalKind = keyof ServerRefusalCounters;

export function createRefusalCounters(): ServerRefusalCounters {
  return { serverFull: 0, perAddress: 0, connectTimeout: 0, malformedConnect: 0, rejectedConnect: 0 };
}

/** Default interval of the summary line. */
export const DEFAULT_REFUSAL_LOG_INTERVAL_MS = 10_000;

export class RefusalLog {
  readonly counters: ServerRefusalCounters = createRefusalCounters();
  private readonly clock: Clock;
  private readonly logger: ServerLogger;
  private readonly intervalMs: number;
  /** Refusals since the last line, by kind. */
  private pending: Partial<Record<ServerRefusalKind, number>> = {};
  private pendingTotal = 0;
  private timer: TimerHandle | undefined;

  constructor(clock: Clock, logger: ServerLogger, intervalMs = DEFAULT_REFUSAL_LOG_INTERVAL_MS) {
    this.clock = clock;
    this.logger = logger;
    this.intervalMs = intervalMs;
  }

  /** Counts one refusal; logs it when none was logged in the last interval, else adds it to the summary. */
  note(kind: ServerRefusalKind, fields: Record<string, unknown>): void {
    this.counters[kind]++;
    if (this.timer) {
      this.pending[kind] = (this.pending[kind] ?? 0) + 1;
      this.pendingTotal++;
      return;
    }
    this.logger.warn({ refusal: kind, ...fields }, 'refused');
    this.arm();
  }

  close(): void {
    this.flush();
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = this.clock.setTimer(this.clock.now() + this.intervalMs, () => {
      this.timer = undefined;
      // Only a busy interval is summarised and keeps the timer going; a quiet one ends it.
      if (this.flush()) this.arm();
    });
  }

  private flush(): boolean {
    if (this.pendingTotal === 0) return false;
    this.logger.warn({ refusals: this.pending, total: this.pendingTotal, intervalMs: this.intervalMs }, 'refused (summary)');
    this.pending = {};
    this.pendingTotal = 0;
    return true;
  }
}
