/**
 * Subscribers for the relay benchmark, in a child process so that the publisher's pacing (in the
 * bench process) does not wait behind hundreds of receiving sessions. Each subscriber is a
 * NetConnection with its own endpoint (its own UDP socket) playing the bench stream. For every
 * media message it records the sequence number, payload bytes and lateness (receive time minus
 * the send time the publisher stamped into the payload, both on CLOCK_MONOTONIC).
 */
import { NetConnection } from '../../src/flash/net-connection.js';
import { NetStream } from '../../src/flash/net-stream.js';
import type { NetStatusInfo } from '../../src/flash/net-status.js';
import {
  monotonicMs,
  RELAY_APP,
  RELAY_STREAM,
  SENT_AT_OFFSET,
  SEQ_OFFSET,
  STAMP_END,
  type SubscriberReply,
  type SubscriberRequest,
  type SubscriberWindow,
} from './protocol.js';

const LOOP = '127.0.0.1';
/** Subscribers connecting at once. */
const CONNECT_PARALLEL = 10;
const PLAY_START_TIMEOUT_MS = 10_000;

interface Received {
  lateness: number;
  bytes: number;
}

class Subscriber {
  /** In-window candidates by sequence number; pruned at every collect. */
  readonly got = new Map<number, Received>();
  constructor(
    readonly nc: NetConnection,
    readonly ns: NetStream,
  ) {
    const on = (_t: number, p: Uint8Array): void => {
      const now = monotonicMs();
      if (p.length < STAMP_END) return;
      const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
      const seq = dv.getUint32(SEQ_OFFSET);
      if (!this.got.has(seq)) this.got.set(seq, { lateness: now - dv.getFloat64(SENT_AT_OFFSET), bytes: p.length });
    };
    ns.on('audio', on);
    ns.on('video', on);
  }
}

const subscribers: Subscriber[] = [];

function waitStatus(ns: NetStream, code: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ns.off('netStatus', on);
      reject(new Error(`no ${code} within ${ms} ms`));
    }, ms);
    const on = (i: NetStatusInfo): void => {
      if (i.code !== code) return;
      clearTimeout(timer);
      ns.off('netStatus', on);
      resolve();
    };
    ns.on('netStatus', on);
  });
}

async function addOne(port: number): Promise<Subscriber> {
  const nc = new NetConnection({ endpointOptions: { host: LOOP } });
  const info = await nc.connect(`rtmfp://${LOOP}:${port}/${RELAY_APP}`);
  if (info.code !== 'NetConnection.Connect.Success') {
    await nc.close();
    throw new Error(`connect: ${info.code}`);
  }
  const ns = new NetStream(nc);
  const started = waitStatus(ns, 'NetStream.Play.Start', PLAY_START_TIMEOUT_MS);
  ns.play(RELAY_STREAM);
  try {
    await started;
  } catch (e) {
    await nc.close();
    throw e;
  }
  return new Subscriber(nc, ns);
}

async function add(port: number, count: number): Promise<string[]> {
  const failed: string[] = [];
  for (let i = 0; i < count; i += CONNECT_PARALLEL) {
    const batch = Array.from({ length: Math.min(CONNECT_PARALLEL, count - i) }, () => addOne(port));
    for (const r of await Promise.allSettled(batch)) {
      if (r.status === 'fulfilled') subscribers.push(r.value);
      else failed.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
    }
  }
  return failed;
}

function collect(fromSeq: number, toSeq: number): { windows: SubscriberWindow[]; lateness: number[] } {
  const windows: SubscriberWindow[] = [];
  const lateness: number[] = [];
  for (const s of subscribers) {
    const w = { messages: 0, bytes: 0 };
    for (const [seq, r] of s.got) {
      if (seq >= fromSeq && seq < toSeq) {
        w.messages++;
        w.bytes += r.bytes;
        lateness.push(r.lateness);
      }
    }
    // Anything older than this window can no longer count.
    s.got.clear();
    windows.push(w);
  }
  return { windows, lateness };
}

function reply(m: SubscriberReply): void {
  process.send?.(m);
}

let cpuMark = process.cpuUsage();

process.on('message', (m: SubscriberRequest) => {
  void (async () => {
    switch (m.type) {
      case 'add': {
        const failed = await add(m.port, m.count);
        reply({ type: 'added', id: m.id, total: subscribers.length, failed });
        return;
      }
      case 'start': {
        for (const s of subscribers) s.got.clear();
        cpuMark = process.cpuUsage();
        reply({ type: 'started', id: m.id });
        return;
      }
      case 'collect': {
        const cpu = process.cpuUsage(cpuMark);
        const { windows, lateness } = collect(m.fromSeq, m.toSeq);
        reply({ type: 'collected', id: m.id, windows, lateness, cpu });
        return;
      }
      case 'close': {
        await Promise.all(subscribers.map((s) => s.nc.close()));
        reply({ type: 'closed', id: m.id });
        process.exit(0);
      }
    }
  })().catch((e: unknown) => {
    console.error('subscriber-child:', e);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
