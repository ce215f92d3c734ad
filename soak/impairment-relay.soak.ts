// Soak run (`npm run soak`; not part of `npm test`): every ImpairmentRelay behaviour over real
// sockets, with real-time bounds (delay, jitter, rate) that need an idle machine. test/ keeps a
// short subset (transparency at 300 datagrams, the reorder deadline, several clients, not repeated
// here); the relay serves only the real-UDP smoke tests and the soak runs.
// ImpairmentRelay over real sockets on 127.0.0.1, port 0: transparency, seeded drop /
// duplicate / reorder, jitter and delay bounds, rate limiting, rebinding, several clients.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ImpairmentProfile } from '../test/support/impairment-relay.js';
import { checkTransparent, LOOP, numbered, range, sendPaced, setup, tick, until } from '../test/support/impairment-rig.js';

test('no impairment over 2000 datagrams each way', () => checkTransparent(2000, 200));

async function dropRun(seed: number): Promise<{ dropped: number; got: number[] }> {
  const { server, client, relay, close } = await setup({ drop: 0.1 }, undefined, seed);
  try {
    const N = 5000;
    await sendPaced(client, relay.address, 0, N, 500);
    const c = relay.counters.toServer;
    assert.ok(await until(() => c.received === N && server.seqs.length >= N - c.dropped), `relay ${JSON.stringify(c)} server ${server.seqs.length}`);
    const want = N - c.dropped;
    await tick(10);
    assert.is(server.seqs.length, want, 'exactly the undropped datagrams arrive');
    assert.is(relay.counters.toServer.forwarded, want);
    return { dropped: relay.counters.toServer.dropped, got: server.seqs };
  } finally {
    await close();
  }
}

test('drop 10 % over 5000: exact count for the seed, near 10 %, same datagrams on a rerun', async () => {
  const a = await dropRun(12345);
  // mulberry32 (test/wire-prng.ts) seeded 12345, five draws per datagram: this count is fixed.
  assert.is(a.dropped, 514);
  // 4 standard deviations of Binomial(5000, 0.1) is about 85.
  assert.ok(Math.abs(a.dropped - 500) < 85, `dropped ${a.dropped}`);
  const b = await dropRun(12345);
  assert.equal(b.got, a.got, 'same seed, same arrival order: same survivors in the same order');
  const c = await dropRun(999);
  assert.not.equal(c.got, a.got, 'another seed drops other datagrams');
  assert.ok(Math.abs(c.dropped - 500) < 85, `dropped ${c.dropped}`);
});

test('duplication is observable at the receiver and matches the counter', async () => {
  const { server, client, relay, close } = await setup({ duplicate: 0.2 }, undefined, 5);
  try {
    const N = 2000;
    await sendPaced(client, relay.address, 0, N);
    assert.ok(await until(() => relay.counters.toServer.received === N && server.seqs.length === N + relay.counters.toServer.duplicated));
    const copies = new Map<number, number>();
    for (const s of server.seqs) copies.set(s, (copies.get(s) ?? 0) + 1);
    assert.is(copies.size, N);
    const twice = [...copies.values()].filter((n) => n === 2).length;
    assert.ok([...copies.values()].every((n) => n === 1 || n === 2));
    assert.is(twice, relay.counters.toServer.duplicated);
    assert.ok(Math.abs(twice - 400) < 80, `duplicated ${twice}`);
    // Without reordering or jitter the copy follows its original directly.
    for (let i = 1; i < server.seqs.length; i++) assert.ok(server.seqs[i]! >= server.seqs[i - 1]!);
  } finally {
    await close();
  }
});

test('reordering: a held datagram arrives exactly `depth` positions late, none is lost', async () => {
  const depth = 3;
  const { server, client, relay, close } = await setup({ reorder: 0.1, reorderDepth: depth, reorderMaxMs: 2000 }, undefined, 77);
  try {
    const N = 3000;
    await sendPaced(client, relay.address, 0, N);
    // The last held datagrams wait for their 2 s deadline unless traffic follows: send a tail.
    await sendPaced(client, relay.address, N, N + depth + 1);
    assert.ok(await until(() => server.seqs.length === N + depth + 1));
    assert.equal([...server.seqs].sort((a, b) => a - b), range(N + depth + 1));
    const held = relay.counters.toServer.reordered;
    assert.ok(Math.abs(held - 300) < 70, `held ${held}`);
    assert.is(relay.counters.toServer.reorderDeadlines, 0);
    // Lateness of a datagram = how many higher sequence numbers arrived before it.
    let late = 0;
    const seen: number[] = [];
    for (const s of server.seqs) {
      const higher = seen.filter((x) => x > s).length;
      if (higher > 0) {
        late++;
        assert.ok(higher === depth, `seq ${s} is ${higher} late`);
      }
      seen.push(s);
      if (seen.length > 4 * depth + 8) seen.shift(); // only recent arrivals can be higher
    }
    assert.is(late, held);
  } finally {
    await close();
  }
});

test('delay and jitter: every datagram within [delay, delay + jitter] plus event-loop slack, spread out', async () => {
  const { server, client, relay, close } = await setup({ delayMs: 15, jitterMs: 20 }, undefined, 11);
  try {
    const N = 300;
    const sentAt = new Map<number, number>();
    await sendPaced(client, relay.address, 0, N, 20, 64, sentAt);
    assert.ok(await until(() => server.seqs.length === N));
    const delays = server.seqs.map((s, i) => server.times[i]! - sentAt.get(s)!).sort((a, b) => a - b);
    const slack = 40; // timers and a loaded 2-core machine
    assert.ok(delays[0]! >= 14, `min ${delays[0]}`);
    assert.ok(delays[N - 1]! <= 15 + 20 + slack, `max ${delays[N - 1]}`);
    const p10 = delays[Math.floor(N * 0.1)]!;
    const p90 = delays[Math.floor(N * 0.9)]!;
    assert.ok(p90 - p10 >= 8, `spread p10 ${p10.toFixed(1)} p90 ${p90.toFixed(1)}`);
    assert.is(relay.counters.toServer.delayed, N);
    assert.ok(server.seqs.some((s, i) => i > 0 && s < server.seqs[i - 1]!), 'independent jitter reorders');
    console.log(`  one-way delay ms: min ${delays[0]!.toFixed(1)} p10 ${p10.toFixed(1)} p90 ${p90.toFixed(1)} max ${delays[N - 1]!.toFixed(1)}`);
  } finally {
    await close();
  }
});

test('rate limit: token bucket paces the queue and tail-drops beyond it', async () => {
  const rate = 100_000; // bytes per second: a 1000-byte datagram every 10 ms
  const { server, client, relay, close } = await setup({ rateBytesPerSec: rate, burstBytes: 3000, queuePackets: 10 }, undefined, 1);
  try {
    const N = 100;
    const t0 = performance.now();
    await sendPaced(client, relay.address, 0, N, N, 1000); // all at once
    const c = relay.counters.toServer;
    assert.ok(await until(() => c.received === N && relay.inFlight === 0, 3000));
    await tick(20);
    assert.is(c.forwarded + c.tailDropped, N);
    assert.ok(c.tailDropped >= N - 3 - 10 - 3, `tail-dropped ${c.tailDropped}`);
    assert.is(server.seqs.length, c.forwarded);
    // The queued ones leave one per 10 ms: the last arrives no sooner than that pace allows.
    const span = server.times[server.times.length - 1]! - t0;
    assert.ok(span >= 0.8 * (c.rateQueued * 1000 * 1000) / rate - 10, `span ${span.toFixed(1)} ms for ${c.rateQueued} queued`);
    assert.equal(server.seqs, [...server.seqs].sort((a, b) => a - b), 'rate limiting keeps order');
  } finally {
    await close();
  }
});

test('rebind mid-transfer: the server sees a new source port, nothing is lost, old mapping is dead', async () => {
  const { server, client, relay, close } = await setup(undefined, undefined, 1, true);
  try {
    await sendPaced(client, relay.address, 0, 100, 25);
    assert.ok(await until(() => client.seqs.length === 100));
    const p1 = relay.externalPort()!;
    const sending = sendPaced(client, relay.address, 100, 300, 10);
    await until(() => server.seqs.length >= 150);
    const p2 = await relay.rebind();
    await sending;
    assert.ok(await until(() => server.seqs.length === 300), `server got ${server.seqs.length}`);
    // Echoes the server sent to the old port while the rebind happened are lost, as behind a
    // real NAT: those reaching the retired socket are counted stale, later ones hit a closed port.
    await tick(30);
    const lostEchoes = 300 - client.seqs.length;
    assert.ok(lostEchoes >= relay.counters.toClient.stale, `lost ${lostEchoes}, stale ${relay.counters.toClient.stale}`);
    assert.ok(client.seqs.every((s, i) => i === 0 || s > client.seqs[i - 1]!), 'echoes in order');
    assert.is.not(p2, p1);
    assert.is(relay.externalPort(), p2);
    assert.equal(server.seqs, range(300));
    const switchAt = server.ports.indexOf(p2);
    assert.ok(switchAt > 100 && switchAt < 300, `switch at ${switchAt}`);
    assert.ok(server.ports.slice(0, switchAt).every((p) => p === p1));
    assert.ok(server.ports.slice(switchAt).every((p) => p === p2));
    assert.is(relay.counters.rebinds, 1);
    // What the server sends to the old port never reaches the client.
    server.t.send(numbered(9999), { address: LOOP, port: p1 });
    server.t.send(numbered(10000), { address: LOOP, port: p2 });
    assert.ok(await until(() => client.seqs.includes(10000)));
    await tick(20);
    assert.not.ok(client.seqs.includes(9999));
  } finally {
    await close();
  }
});

test('full profile is deterministic: same seed and input give the same arrival sequence', async () => {
  const profile: ImpairmentProfile = { drop: 0.05, duplicate: 0.05, reorder: 0.05, reorderDepth: 2, reorderMaxMs: 2000 };
  const runs: number[][] = [];
  for (let r = 0; r < 2; r++) {
    const { server, client, relay, close } = await setup(profile, undefined, 4242);
    try {
      await sendPaced(client, relay.address, 0, 1000);
      await sendPaced(client, relay.address, 1000, 1010); // flushes held datagrams
      const c = relay.counters.toServer;
      assert.ok(await until(() => c.received === 1010 && relay.inFlight === 0 && server.seqs.length === c.forwarded));
      runs.push(server.seqs);
    } finally {
      await close();
    }
  }
  assert.equal(runs[0], runs[1]);
});

test.run();
