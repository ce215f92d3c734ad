// ImpairmentRelay over real sockets on 127.0.0.1, port 0, short: transparency, the reorder
// deadline, several clients (the relay serves the real-UDP smoke tests). Seeded drop / duplicate /
// reorder counts, delay and jitter bounds, rate limiting and rebinding over thousands of
// datagrams are a soak run (soak/impairment-relay.soak.ts): they need an idle machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ImpairmentRelay, type ImpairmentProfile } from './support/impairment-relay.js';
import { UdpTransport, type ReceivedBatch, type UdpPeer } from '../src/transport/udp-transport.js';
import { formatIp, type SocketAddress } from '../src/transport/socket-address.js';

const LOOP = '127.0.0.1';

async function until(cond: () => boolean, ms = 4000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** 4-byte big-endian sequence number, then filler up to `size`. */
function numbered(seq: number, size = 64): Buffer {
  const b = Buffer.alloc(size, seq & 0xff);
  b.writeUInt32BE(seq, 0);
  return b;
}

const seqOf = (d: Uint8Array): number => new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0);

/** A UDP endpoint that records what it receives (sequence, source port, arrival time). */
class Recorder {
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
async function sendPaced(from: Recorder, dest: UdpPeer, first: number, end: number, perTick = 250, size = 64, sentAt?: Map<number, number>): Promise<void> {
  for (let s = first; s < end; ) {
    const stop = Math.min(end, s + perTick);
    for (; s < stop; s++) {
      sentAt?.set(s, performance.now());
      from.t.send(numbered(s, size), dest);
    }
    await tick();
  }
}

async function setup(toServer?: ImpairmentProfile, toClient?: ImpairmentProfile, seed = 1, echo = false) {
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

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

test('no impairment: every datagram passes both ways, in order, and the server sees the relay', async () => {
  const { server, client, relay, close } = await setup(undefined, undefined, 1, true);
  try {
    const N = 300;
    await sendPaced(client, relay.address, 0, N, 50, 300);
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
});

test('reorder deadline releases held datagrams when traffic stops', async () => {
  const { server, client, relay, close } = await setup({ reorder: 1, reorderDepth: 1000, reorderMaxMs: 30 }, undefined, 3);
  try {
    await sendPaced(client, relay.address, 0, 5);
    assert.ok(await until(() => server.seqs.length === 5, 2000));
    assert.is(relay.counters.toServer.reorderDeadlines, 5);
    assert.is(relay.inFlight, 0);
  } finally {
    await close();
  }
});

test('several clients get separate legs and their own replies', async () => {
  const server = await Recorder.open(true);
  const relay = await ImpairmentRelay.open({ server: server.peer, seed: 2 });
  const clients = await Promise.all([Recorder.open(), Recorder.open(), Recorder.open()]);
  try {
    for (let k = 0; k < clients.length; k++) await sendPaced(clients[k]!, relay.address, k * 1000, k * 1000 + 50);
    assert.ok(await until(() => clients.every((c) => c.seqs.length === 50)));
    for (let k = 0; k < clients.length; k++) assert.equal(clients[k]!.seqs, range(50, k * 1000));
    const ports = clients.map((c) => relay.externalPort(c.peer));
    assert.is(new Set(ports).size, 3);
    assert.is(relay.counters.legsOpened, 3);
    // Impairments can change while running: drop everything towards clients now.
    relay.setImpairment('toClient', { drop: 1 });
    await sendPaced(clients[0]!, relay.address, 50, 60);
    assert.ok(await until(() => relay.counters.toClient.dropped === 10));
    assert.is(clients[0]!.seqs.length, 50);
  } finally {
    await relay.close();
    await server.t.close();
    await Promise.all(clients.map((c) => c.t.close()));
  }
});

test.run();
