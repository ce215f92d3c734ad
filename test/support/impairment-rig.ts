// Real-socket rig for the ImpairmentRelay's own tests (test/impairment-relay.test.ts, short) and
// its soak run (soak/impairment-relay.soak.ts, long): recording endpoints, paced numbered
// datagrams, a relay between a client and a server, and the transparency check at any size.
import * as assert from 'uvu/assert';
import { ImpairmentRelay, type ImpairmentProfile } from './impairment-relay.js';
import { UdpTransport, type ReceivedBatch, type UdpPeer } from '../../src/transport/udp-transport.js';
import { formatIp, type SocketAddress } from '../../src/transport/socket-address.js';

export const LOOP = '127.0.0.1';

export async function until(cond: () => boolean, ms = 4000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

export const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** 4-byte big-endian sequence number, then filler up to `size`. */
export function numbered(seq: number, size = 64): Buffer {
  const b = Buffer.alloc(size, seq & 0xff);
  b.writeUInt32BE(seq, 0);
  return b;
}

export const seqOf = (d: Uint8Array): number => new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0);

/** A UDP endpoint that records what it receives (sequence, source port, arrival time). */
export class Recorder {
  seqs: number[] = [];
  ports: number[] = [];
  times: number[] = [];
  datagrams: Uint8Array[] = [];
  sources: SocketAddress[] = [];
  constructor(readonly t: UdpTransport) {}
  static async open(echo = false): Promise<Recorder> {
    let r: Recorder | undefined;
    const t = await UdpTransport.open({
      host: LOOP,
      onBatch: (b: ReceivedBatch) => {
        const now = performance.now();
        for (let i = 0; i < b.datagrams.length; i++) {
          const d = b.datagrams[i]!;
          r!.seqs.push(seqOf(d));
          r!.ports.push(b.sources[i]!.port);
          r!.times.push(now);
          r!.datagrams.push(d);
          r!.sources.push(b.sources[i]!);
          if (echo) t.send(d, b.sources[i]!);
        }
      },
    });
    r = new Recorder(t);
    return r;
  }
  get peer(): UdpPeer {
    return { address: LOOP, port: this.t.local.port };
  }
}

/** Sends seqs [from, to) to `dest`, `perTick` per timer tick so no socket buffer overflows. */
export async function sendPaced(from: Recorder, dest: UdpPeer, first: number, end: number, perTick = 250, size = 64, sentAt?: Map<number, number>): Promise<void> {
  for (let s = first; s < end; ) {
    const stop = Math.min(end, s + perTick);
    for (; s < stop; s++) {
      sentAt?.set(s, performance.now());
      from.t.send(numbered(s, size), dest);
    }
    await tick();
  }
}

export async function setup(toServer?: ImpairmentProfile, toClient?: ImpairmentProfile, seed = 1, echo = false) {
  const server = await Recorder.open(echo);
  const client = await Recorder.open();
  const relay = await ImpairmentRelay.open({ server: server.peer, seed, ...(toServer ? { toServer } : {}), ...(toClient ? { toClient } : {}) });
  const close = async (): Promise<void> => {
    await relay.close();
    await relay.close(); // idempotent
    await server.t.close();
    await client.t.close();
  };
  return { server, client, relay, close };
}

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** No impairment: N datagrams each way pass in order, and the server sees the relay's leg port. */
export async function checkTransparent(N: number, perTick: number): Promise<void> {
  const { server, client, relay, close } = await setup(undefined, undefined, 1, true);
  try {
    await sendPaced(client, relay.address, 0, N, perTick, 300);
    assert.ok(await until(() => client.seqs.length === N), `client got ${client.seqs.length}`);
    assert.equal(server.seqs, range(N));
    assert.equal(client.seqs, range(N));
    for (let i = 0; i < N; i++) assert.equal(Buffer.from(client.datagrams[i]!), numbered(i, 300));
    const ext = relay.externalPort();
    assert.ok(ext !== undefined && ext !== client.t.local.port && ext !== relay.address.port);
    assert.ok(server.ports.every((p) => p === ext), 'server sees the leg port');
    assert.ok(server.sources.every((s) => formatIp(s) === LOOP));
    assert.ok(client.ports.every((p) => p === relay.address.port), 'client sees the relay front port');
    const c = relay.counters;
    for (const d of [c.toServer, c.toClient]) {
      assert.is(d.received, N);
      assert.is(d.forwarded, N);
      assert.is(d.dropped + d.duplicated + d.reordered + d.delayed + d.tailDropped + d.stale, 0);
    }
    assert.is(c.legsOpened, 1);
    assert.is(c.fromOtherSources, 0);
    assert.equal(relay.clients(), [{ address: LOOP, port: client.t.local.port }]);
  } finally {
    await close();
  }
}
