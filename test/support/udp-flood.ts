/**
 * Hostile-input generator for tests: K datagrams, some random, some mutations of given valid
 * datagrams, sent at a UDP address at a bounded rate from a fresh socket on loopback.
 *
 * `floodDatagrams` is the pure, seeded part (same seed, same bytes), so a failure found by a
 * flood reproduces from its seed and index without sockets.
 */
import { UdpTransport, type UdpPeer } from '../../src/transport/udp-transport.js';
import { Prng } from '../wire-prng.js';

export type FloodMutation = 'bitflip' | 'byte' | 'truncate' | 'extend' | 'splice' | 'repeat';

export interface FloodDatagram {
  datagram: Uint8Array;
  kind: 'random' | 'mutated';
  /** For mutated datagrams: which valid datagram and what was done to it. */
  source?: number;
  mutation?: FloodMutation;
}

export interface FloodContent {
  count: number;
  seed: number;
  /** Valid datagrams to mutate. Without them every datagram is random. */
  valid?: readonly Uint8Array[];
  /** Share of datagrams that are mutations when `valid` is given. Default 0.5. */
  mutatedShare?: number;
  /** Random datagrams are 0..this many bytes. Default 1500. */
  maxRandomBytes?: number;
}

export interface UdpFloodOptions extends FloodContent {
  target: UdpPeer;
  /** Datagrams per second, at most 1e6. Default 20000. */
  ratePerSec?: number;
  /** Local bind address; default 127.0.0.1, or ::1 when the target is IPv6. */
  host?: string;
  /** Hard stop; default 4x the planned duration plus 1 s. */
  maxDurationMs?: number;
}

export interface UdpFloodReport {
  sent: number;
  random: number;
  mutated: number;
  bytes: number;
  sendErrors: number;
  /** Datagrams that came back to the flood's socket (a hostile-input target should send none). */
  replies: number;
  elapsedMs: number;
  /** True if `maxDurationMs` cut the flood short. */
  stoppedEarly: boolean;
}

const MUTATIONS: readonly FloodMutation[] = ['bitflip', 'byte', 'truncate', 'extend', 'splice', 'repeat'];
const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function randomDatagram(rng: Prng, maxBytes: number): Uint8Array {
  // One in eight is tiny (0..16 bytes): headers cut short are where decoders go wrong.
  const len = rng.int(8) === 0 ? rng.int(Math.min(16, maxBytes) + 1) : rng.int(maxBytes + 1);
  return rng.bytes(len);
}

function mutate(rng: Prng, src: Uint8Array, other: Uint8Array, how: FloodMutation): Uint8Array {
  const n = src.length;
  switch (how) {
    case 'bitflip': {
      if (n === 0) return rng.bytes(1 + rng.int(4));
      const out = src.slice();
      // XOR of 1..8 distinct-or-not bits: flip at least one bit that stays flipped.
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips; i++) out[rng.int(n)] ^= 1 << rng.int(8);
      if (equalBytes(out, src)) out[rng.int(n)] ^= 0x01;
      return out;
    }
    case 'byte': {
      if (n === 0) return Uint8Array.of(rng.pick(BOUNDARY_BYTES));
      const out = src.slice();
      const k = 1 + rng.int(4);
      for (let i = 0; i < k; i++) {
        const at = rng.int(n);
        const v = rng.bool() ? rng.pick(BOUNDARY_BYTES) : rng.int(256);
        out[at] = v === out[at] ? v ^ 0xff : v;
      }
      return out;
    }
    case 'truncate':
      return n === 0 ? rng.bytes(1) : src.slice(0, rng.int(n));
    case 'extend': {
      const tail = rng.bytes(1 + rng.int(64));
      const out = new Uint8Array(n + tail.length);
      out.set(src);
      out.set(tail, n);
      return out;
    }
    case 'splice': {
      // A random slice of another valid datagram written over a random place in this one.
      const out = src.slice();
      if (n === 0 || other.length === 0) return mutate(rng, src, other, 'extend');
      const len = 1 + rng.int(Math.min(n, other.length));
      const from = rng.int(other.length - len + 1);
      const to = rng.int(n - len + 1);
      out.set(other.subarray(from, from + len), to);
      if (equalBytes(out, src)) out[to] ^= 0x80;
      return out;
    }
    case 'repeat': {
      // A slice of the datagram inserted again right after itself (repeated chunks, lengths off).
      if (n === 0) return rng.bytes(1);
      const start = rng.int(n);
      const len = 1 + rng.int(n - start);
      const out = new Uint8Array(n + len);
      out.set(src.subarray(0, start + len));
      out.set(src.subarray(start, start + len), start + len);
      out.set(src.subarray(start + len), start + 2 * len);
      return out;
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The flood's datagrams, in sending order. Deterministic in all of `opts`. */
export function* floodDatagrams(opts: FloodContent): Generator<FloodDatagram> {
  const valid = opts.valid ?? [];
  const share = valid.length > 0 ? (opts.mutatedShare ?? 0.5) : 0;
  const maxBytes = opts.maxRandomBytes ?? 1500;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`mutatedShare must be in [0, 1], got ${opts.mutatedShare}`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0 || maxBytes > 65507) throw new RangeError(`maxRandomBytes out of range: ${maxBytes}`);
  if (!Number.isSafeInteger(opts.count) || opts.count < 0) throw new RangeError(`count must be a non-negative integer, got ${opts.count}`);
  const rng = new Prng(opts.seed);
  for (let i = 0; i < opts.count; i++) {
    if (rng.float() < share) {
      const source = rng.int(valid.length);
      const mutation = rng.pick(MUTATIONS);
      const other = valid[rng.int(valid.length)]!;
      yield { datagram: mutate(rng, valid[source]!, other, mutation), kind: 'mutated', source, mutation };
    } else {
      yield { datagram: randomDatagram(rng, maxBytes), kind: 'random' };
    }
  }
}

/** Sends the flood; resolves when every send has completed and the socket is closed. */
export async function udpFlood(opts: UdpFloodOptions): Promise<UdpFloodReport> {
  const rate = opts.ratePerSec ?? 20_000;
  if (!(rate > 0 && rate <= 1e6)) throw new RangeError(`ratePerSec must be in (0, 1e6], got ${rate}`);
  const plannedMs = (opts.count / rate) * 1000;
  const maxMs = opts.maxDurationMs ?? plannedMs * 4 + 1000;
  const host = opts.host ?? (opts.target.address.includes(':') ? '::1' : '127.0.0.1');
  const report: UdpFloodReport = { sent: 0, random: 0, mutated: 0, bytes: 0, sendErrors: 0, replies: 0, elapsedMs: 0, stoppedEarly: false };
  const socket = await UdpTransport.open({
    host,
    port: 0,
    recvBufferSize: 256 * 1024,
    onBatch: (b) => {
      report.replies += b.datagrams.length;
    },
  });
  const source = floodDatagrams(opts);
  const t0 = performance.now();
  try {
    // Each timer tick sends what the rate allows so far, never more than 1000 at once, so
    // neither the kernel's send buffer nor the receiver's is flooded in a single burst.
    for (;;) {
      const elapsed = performance.now() - t0;
      if (elapsed > maxMs) {
        report.stoppedEarly = report.sent < opts.count;
        break;
      }
      const due = Math.min(opts.count, Math.floor((elapsed * rate) / 1000) + 1, report.sent + 1000);
      while (report.sent < due) {
        const next = source.next();
        if (next.done) break;
        const d = next.value;
        socket.send(d.datagram, opts.target);
        report.sent++;
        report.bytes += d.datagram.byteLength;
        if (d.kind === 'random') report.random++;
        else report.mutated++;
      }
      if (report.sent >= opts.count) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    // Let the last sends complete (bounded), and give replies a moment to arrive.
    const settle = performance.now() + 1000;
    while (socket.counters.sendsPending > 0 && performance.now() < settle) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 5));
  } finally {
    report.elapsedMs = performance.now() - t0;
    report.sendErrors = socket.counters.sendErrors;
    await socket.close();
  }
  return report;
}
