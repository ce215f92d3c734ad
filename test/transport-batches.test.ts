// UdpTransport over real sockets on 127.0.0.1, port 0: batching, order, counters, caps, send
// path, errors, close.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { formatIp } from '../src/transport/socket-address.js';
import { UdpTransport, type ReceivedBatch, type UdpTransportOptions } from '../src/transport/udp-transport.js';
import { TransportError } from '../src/transport/transport-error.js';
import { RtmfpError } from '../src/errors.js';

const LOOP = '127.0.0.1';

function plainSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => s.bind(0, LOOP, () => resolve(s)));
}

function closeSocket(s: dgram.Socket): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

/** Waits (bounded) until `cond` holds; returns whether it did. */
async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Datagram i: 4-byte big-endian index, then (i * 7) & 0xff repeated; length 8 + i % 1193. */
function datagram(i: number): Buffer {
  const b = Buffer.alloc(8 + (i % 1193), (i * 7) & 0xff);
  b.writeUInt32BE(i, 0);
  return b;
}

function sendAll(s: dgram.Socket, count: number, port: number): Promise<number> {
  let done = 0;
  let errors = 0;
  return new Promise((resolve) => {
    for (let i = 0; i < count; i++) {
      s.send(datagram(i), port, LOOP, (err) => {
        if (err) errors++;
        if (++done === count) resolve(errors);
      });
    }
  });
}

async function openCollecting(extra: Partial<UdpTransportOptions> = {}): Promise<{ t: UdpTransport; batches: ReceivedBatch[] }> {
  const batches: ReceivedBatch[] = [];
  const t = await UdpTransport.open({ host: LOOP, port: 0, onBatch: (b) => batches.push(b), ...extra });
  return { t, batches };
}

function rmemMax(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
  } catch {
    return undefined;
  }
}

test('1000 datagrams sent at once arrive as batches that sum to 1000, in order, intact, counted', async () => {
  const { t, batches } = await openCollecting();
  const client = await plainSocket();
  try {
    assert.is(t.local.address, LOOP);
    assert.ok(t.local.port > 0 && t.local.port <= 0xffff);
    assert.is(t.local.family, 4);
    assert.is(t.requestedRecvBufferSize, 4 * 1024 * 1024);
    // Linux caps the request at net.core.rmem_max then doubles it (socket(7)).
    const cap = rmemMax();
    const floor = cap !== undefined && cap < t.requestedRecvBufferSize ? cap : t.requestedRecvBufferSize;
    console.log(`  recvBufferSize requested ${t.requestedRecvBufferSize}, kernel reports ${t.recvBufferSize} (rmem_max ${cap ?? 'unknown'})`);
    assert.ok(t.recvBufferSize >= floor, `kernel reports ${t.recvBufferSize}, expected >= ${floor}`);

    const N = 1000;
    assert.is(await sendAll(client, N, t.local.port), 0);
    assert.ok(await until(() => t.counters.datagramsIn >= N), `got ${t.counters.datagramsIn} of ${N}`);
    await new Promise((r) => setImmediate(r)); // the last batch is handed over at the end of its turn

    const sizes = batches.map((b) => b.datagrams.length);
    assert.is(sizes.reduce((a, b) => a + b, 0), N);
    assert.ok(batches.length < N, `batched: ${batches.length} batches`);
    let next = 0;
    let bytes = 0;
    const clientPort = client.address().port;
    for (const b of batches) {
      assert.is(b.sources.length, b.datagrams.length);
      let batchBytes = 0;
      for (let k = 0; k < b.datagrams.length; k++) {
        const d = b.datagrams[k]!;
        assert.equal(Buffer.from(d.buffer, d.byteOffset, d.byteLength), datagram(next), `datagram ${next}`);
        assert.is(b.sources[k]!.port, clientPort);
        assert.is(formatIp(b.sources[k]!), LOOP);
        batchBytes += d.byteLength;
        next++;
      }
      assert.is(b.bytes, batchBytes);
      bytes += batchBytes;
    }
    assert.is(next, N);
    const c = t.counters;
    assert.is(c.datagramsIn, N);
    assert.is(c.bytesIn, bytes);
    assert.is(c.batches, batches.length);
    assert.is(c.largestBatch, Math.max(...sizes));
    assert.is(c.batchesCapped, 0);
    assert.is(c.datagramsOversize, 0);
    console.log(`  1000 datagrams in ${batches.length} batches, largest ${c.largestBatch}`);
  } finally {
    await closeSocket(client);
    await t.close();
  }
});

test('batch caps: datagram count, byte total, oversize datagrams', async () => {
  const { t, batches } = await openCollecting({ maxBatchDatagrams: 4 });
  const byBytes = await openCollecting({ maxBatchBytes: 2500, maxDatagramBytes: 1100 });
  const client = await plainSocket();
  try {
    const N = 300;
    await sendAll(client, N, t.local.port);
    await sendAll(client, N, byBytes.t.local.port);
    assert.ok(await until(() => t.counters.datagramsIn >= N && byBytes.t.counters.datagramsIn >= N));
    await new Promise((r) => setImmediate(r));

    assert.ok(batches.every((b) => b.datagrams.length <= 4));
    assert.is(batches.reduce((a, b) => a + b.datagrams.length, 0), N);
    assert.ok(t.counters.batchesCapped > 0, 'the cap was reached at least once');
    assert.is(t.counters.largestBatch, 4);
    const order = batches.flatMap((b) => b.datagrams.map((d) => Buffer.from(d.buffer, d.byteOffset, 4).readUInt32BE(0)));
    assert.equal(order, Array.from({ length: N }, (_, i) => i));

    // Datagram i has length 8 + i (i < 300), so none is oversize at 1100; with the byte cap at
    // 2500 every batch stays within it.
    assert.is(byBytes.t.counters.datagramsOversize, 0);
    assert.ok(byBytes.batches.every((b) => b.bytes <= 2500));
    assert.is(byBytes.batches.reduce((a, b) => a + b.datagrams.length, 0), N);

    // Oversize: lengths 8 + i % 1193 for i in [1100, 1200) straddle the 1100-byte limit.
    const before = byBytes.t.counters.datagramsIn;
    const seen: number[] = [];
    byBytes.batches.length = 0;
    let done = 0;
    await new Promise<void>((resolve) => {
      for (let i = 1080; i < 1110; i++) client.send(datagram(i), byBytes.t.local.port, LOOP, () => ++done === 30 && resolve());
    });
    assert.ok(await until(() => byBytes.t.counters.datagramsIn >= before + 30));
    await new Promise((r) => setImmediate(r));
    for (const b of byBytes.batches) for (const d of b.datagrams) seen.push(d.byteLength);
    // lengths 1088..1117: 1088..1100 pass (13), 1101..1117 are oversize (17)
    assert.is(byBytes.t.counters.datagramsOversize, 17);
    assert.equal(seen, Array.from({ length: 13 }, (_, k) => 1088 + k));
  } finally {
    await closeSocket(client);
    await t.close();
    await byBytes.t.close();
  }
});

test('send and sendBatch reach their peers; counters and sendsPending settle', async () => {
  const { t } = await openCollecting();
  const a = await plainSocket();
  const b = await plainSocket();
  const gotA: Buffer[] = [];
  const gotB: Buffer[] = [];
  const fromPorts = new Set<number>();
  a.on('message', (m, r) => {
    gotA.push(m);
    fromPorts.add(r.port);
  });
  b.on('message', (m) => gotB.push(m));
  try {
    const pa = { address: LOOP, port: a.address().port };
    const pb = { address: LOOP, port: b.address().port };
    t.send(datagram(0), pa);
    const many = Array.from({ length: 200 }, (_, i) => datagram(i + 1));
    t.sendBatch(many, pa);
    const alternating = many.map((_, i) => (i % 2 === 0 ? pa : pb));
    t.sendBatch(many, alternating, 10, 20); // datagrams 11..20, even indexes to a, odd to b
    assert.is(t.counters.sendsSubmitted, 211);
    assert.ok(await until(() => gotA.length === 206 && gotB.length === 5 && t.counters.sendsPending === 0));
    assert.is(t.counters.datagramsOut, 211);
    const expectBytes = datagram(0).length + many.reduce((s, d) => s + d.length, 0) + many.slice(10, 20).reduce((s, d) => s + d.length, 0);
    assert.is(t.counters.bytesOut, expectBytes);
    assert.is(t.counters.sendErrors, 0);
    assert.equal([...fromPorts], [t.local.port]);
    assert.equal(gotA.slice(0, 201), [datagram(0), ...many]);
    assert.equal(gotB, [11, 13, 15, 17, 19].map((i) => many[i]!));
  } finally {
    await closeSocket(a);
    await closeSocket(b);
    await t.close();
  }
});

test('errors are counted, never thrown: bad port, wrong family, owner exceptions, send after close', async () => {
  const seen: string[] = [];
  let calls = 0;
  const t = await UdpTransport.open({
    host: LOOP,
    onBatch: () => {
      calls++;
      throw new Error('owner bug');
    },
    onError: (e, kind) => seen.push(`${kind}:${e.message.slice(0, 20)}`),
  });
  const client = await plainSocket();
  try {
    t.send(new Uint8Array(4), { address: LOOP, port: 0 }); // node rejects port 0 synchronously
    t.send(new Uint8Array(4), { address: LOOP, port: 70000 });
    t.send(new Uint8Array(4), { address: '::1', port: 9 }); // IPv6 literal on a udp4 socket: async failure
    assert.ok(await until(() => t.counters.sendErrors === 3 && t.counters.sendsPending === 0));
    assert.is(t.counters.datagramsOut, 0);
    assert.is(seen.filter((s) => s.startsWith('send:')).length, 3);

    await sendAll(client, 5, t.local.port);
    assert.ok(await until(() => t.counters.ownerErrors > 0 && t.counters.datagramsIn === 5));
    await new Promise((r) => setImmediate(r));
    assert.is(t.counters.ownerErrors, calls);
    assert.ok(seen.includes('owner:owner bug'));

    await t.close();
    t.send(new Uint8Array(4), { address: LOOP, port: client.address().port });
    assert.is(t.counters.sendErrors, 4);
  } finally {
    await closeSocket(client);
    await t.close();
  }
});

test('close is idempotent, stops hand-over, and the port is free again', async () => {
  const { t, batches } = await openCollecting();
  const client = await plainSocket();
  const port = t.local.port;
  await sendAll(client, 10, port);
  // Close in the same turn the datagrams could be read: whatever was read but not handed over
  // is discarded and counted, never delivered after close.
  const p1 = t.close();
  const p2 = t.close();
  assert.is(p1, p2);
  assert.ok(t.closed);
  await p1;
  await t.close();
  const delivered = batches.reduce((a, b) => a + b.datagrams.length, 0);
  await new Promise((r) => setTimeout(r, 20));
  assert.is(batches.reduce((a, b) => a + b.datagrams.length, 0), delivered, 'nothing after close');
  assert.is(t.sendQueueCount, 0);
  // The same port can be bound again now.
  const again = await UdpTransport.open({ host: LOOP, port, onBatch: () => {} });
  assert.is(again.local.port, port);
  await again.close();
  await closeSocket(client);
});

test('open: bind conflicts and bad options reject with TransportError', async () => {
  const { t } = await openCollecting();
  try {
    try {
      await UdpTransport.open({ host: LOOP, port: t.local.port, onBatch: () => {} });
      assert.unreachable('second bind on the same port');
    } catch (e) {
      assert.instance(e, TransportError);
      assert.instance(e, RtmfpError);
      assert.is((e as TransportError).code, 'ERR_TRANSPORT_BIND');
    }
    for (const bad of [{ port: -1 }, { port: 65536 }, { recvBufferSize: 0 }, { maxBatchDatagrams: 0 }, { maxBatchBytes: 1.5 }]) {
      try {
        await UdpTransport.open({ host: LOOP, onBatch: () => {}, ...bad });
        assert.unreachable(JSON.stringify(bad));
      } catch (e) {
        assert.instance(e, TransportError, JSON.stringify(bad));
        assert.is((e as TransportError).code, 'ERR_TRANSPORT_OPTION');
      }
    }
  } finally {
    await t.close();
  }
});

test.run();
