// Numbered client -> server message streams checked in order at the receiver, shared by the flood
// test on the virtual network (test/session-flood.test.ts) and its real-UDP soak run
// (soak/flood.soak.ts); the clock paces the writes (a ManualClock there, a SystemClock here).
import type { OutgoingFlow, Session } from '../../src/session/session.js';
import type { Clock, TimerHandle } from '../../src/time/clock.js';

/** Message `i` of stream `s`: 5..3004 bytes (one to three fragments), index in the first 4 bytes. */
export function message(s: number, i: number): Uint8Array {
  const n = 5 + ((i * 7919 + s * 131) % 3000);
  const m = new Uint8Array(n);
  new DataView(m.buffer, m.byteOffset, m.byteLength).setUint32(0, i);
  for (let k = 4; k < n; k++) m[k] = (i * 131 + k * 7 + s * 29) & 0xff;
  return m;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A client -> server flow of numbered messages. The receiving side checks each one against what
 * message(s, i) must be, in order (one flow is delivered in order, RFC 7016 3.6.3.3).
 */
export class Stream {
  sent = 0;
  received = 0;
  bad = 0;
  private readonly flow: OutgoingFlow;
  private timer: TimerHandle | undefined;

  constructor(
    readonly id: number,
    client: Session,
    server: Session,
    private readonly clock: Clock,
    metadata: Uint8Array,
  ) {
    this.flow = client.openFlow(metadata);
    server.on('message', (_f, m) => {
      if (!sameBytes(m, message(this.id, this.received))) this.bad++;
      this.received++;
    });
  }

  write(n: number): void {
    for (let k = 0; k < n && this.flow.writable; k++) this.flow.write(message(this.id, this.sent++));
  }

  /** Keeps writing `perTick` messages every `everyMs` (by the clock) until stop() or `max` messages. */
  start(perTick: number, everyMs: number, max = Infinity): void {
    const tick = (): void => {
      this.write(Math.min(perTick, max - this.sent));
      this.timer = this.clock.setTimer(this.clock.now() + everyMs, tick);
    };
    this.timer = this.clock.setTimer(this.clock.now() + everyMs, tick);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  get done(): boolean {
    return this.received === this.sent;
  }
}

