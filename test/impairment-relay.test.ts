// ImpairmentRelay over real sockets on 127.0.0.1, port 0, short: transparency, the reorder
// deadline, several clients (the relay serves the real-UDP smoke tests). Seeded drop / duplicate /
// reorder counts, delay and jitter bounds, rate limiting and rebinding over thousands of
// datagrams are a soak run (soak/impairment-relay.soak.ts): they need an idle machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ImpairmentRelay } from './support/impairment-relay.js';
import { checkTransparent, Recorder, range, sendPaced, setup, until } from './support/impairment-rig.js';

test('no impairment: every datagram passes both ways, in order, and the server sees the relay', () => checkTransparent(300, 50));

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
