// Soak run (`npm run soak`; not part of `npm test`): the real-UDP, wall-clock original of the
// deterministic virtual-network test in test/. It needs an idle machine: its thresholds are real time.
// Bulk transfer through an impairment relay (real UDP on 127.0.0.1): what arrives hashes equal to
// what was sent, under loss, reordering, duplication and jitter (issue: sessions and flows).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { ImpairmentRelay, type ImpairmentProfile } from '../test/support/impairment-relay.js';
import { Prng } from '../test/wire-prng.js';

const test = suite('bulk transfer through impairments');
const LOOP = '127.0.0.1';
const META = new TextEncoder().encode('bulk');

interface Outcome {
  ms: number;
  sentHash: string;
  receivedHash: string;
  bytes: number;
  retransmissions: number;
  dropped: number;
}

async function transfer(totalBytes: number, profile: ImpairmentProfile, seed: number, limitMs: number): Promise<Outcome> {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const relay = await ImpairmentRelay.open({ server: { address: LOOP, port: server.address.port }, seed, toServer: profile, toClient: profile });
  const client = await Endpoint.listen({ host: LOOP });
  const started = performance.now();
  try {
    const accepted = new Promise<Session>((r) => server.once('session', r));
    const session = await client.connect({ uri: 'rtmfp://relay/app', addresses: [relay.address] });
    const far = await accepted;
    const rx = createHash('sha256');
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`transfer incomplete after ${limitMs} ms: ${received}/${totalBytes} bytes`)), limitMs);
      far.on('message', (_f, m) => {
        rx.update(m);
        received += m.length;
        if (received >= totalBytes) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const tx = createHash('sha256');
    const flow = session.openFlow(META);
    const rng = new Prng(seed);
    let sent = 0;
    // Messages of random sizes (1 byte to 256 KiB), written whenever the flow has room.
    const pump = (): void => {
      while (sent < totalBytes && flow.writable) {
        const n = Math.min(totalBytes - sent, 1 + rng.int(256 * 1024));
        const m = rng.bytes(n);
        tx.update(m);
        flow.write(m);
        sent += n;
      }
    };
    flow.on('writable', pump);
    pump();
    await done;
    return {
      ms: performance.now() - started,
      sentHash: tx.digest('hex'),
      receivedHash: rx.digest('hex'),
      bytes: received,
      retransmissions: session.scheduler.nackLosses + session.scheduler.timeoutLosses,
      dropped: relay.counters.toServer.dropped + relay.counters.toClient.dropped,
    };
  } finally {
    await client.close();
    await relay.close();
    await server.close();
  }
}

const MiB = 1024 * 1024;

function report(label: string, o: Outcome): void {
  console.log(
    `  ${label}: ${o.bytes} bytes in ${o.ms.toFixed(0)} ms (${((o.bytes * 8) / o.ms / 1000).toFixed(1)} Mbit/s), ` +
      `${o.retransmissions} fragments retransmitted, ${o.dropped} datagrams dropped by the relay`,
  );
}

let tenPercentMs = 0;

test('32 MiB with 10% loss, reordering, duplication and jitter arrives intact', async () => {
  const o = await transfer(32 * MiB, { drop: 0.1, duplicate: 0.02, reorder: 0.05, jitterMs: 2 }, 0x10, 240_000);
  report('10% loss', o);
  assert.is(o.bytes, 32 * MiB);
  assert.is(o.receivedHash, o.sentHash);
  assert.ok(o.retransmissions > 0 && o.dropped > 0);
  tenPercentMs = o.ms;
});

test('the same 32 MiB with 30% loss also arrives intact, slower', async () => {
  const o = await transfer(32 * MiB, { drop: 0.3, duplicate: 0.02, reorder: 0.05, jitterMs: 2 }, 0x30, 420_000);
  report('30% loss', o);
  assert.is(o.bytes, 32 * MiB);
  assert.is(o.receivedHash, o.sentHash);
  assert.ok(o.ms > tenPercentMs, `30% loss took ${o.ms.toFixed(0)} ms, 10% took ${tenPercentMs.toFixed(0)} ms`);
});

test.run();
