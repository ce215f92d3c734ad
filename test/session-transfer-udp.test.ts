// Real-UDP smoke test of a bulk transfer (127.0.0.1, port 0): 256 KiB through the impairment
// relay with 10% loss, reordering, duplication and jitter arrives hash-equal. The protocol logic
// is covered on the virtual network (session-transfer.test.ts); the 32 MiB runs are soak runs.
// The bound on the wait is generous: only a hang fails it, not a slow machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { ImpairmentRelay } from './support/impairment-relay.js';
import { waitFor } from './support/wait.js';
import { Prng } from './wire-prng.js';

const LOOP = '127.0.0.1';
const TOTAL = 256 * 1024;

test('256 KiB through a lossy, reordering, duplicating relay over real UDP arrives intact', async () => {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const relay = await ImpairmentRelay.open({
    server: { address: LOOP, port: server.address.port },
    seed: 0x10,
    toServer: { drop: 0.1, duplicate: 0.02, reorder: 0.05, jitterMs: 2 },
    toClient: { drop: 0.1, duplicate: 0.02, reorder: 0.05, jitterMs: 2 },
  });
  const client = await Endpoint.listen({ host: LOOP });
  try {
    const accepted = new Promise<Session>((r) => server.once('session', r));
    const session = await client.connect({ uri: 'rtmfp://relay/app', addresses: [relay.address] });
    const far = await accepted;
    const rx = createHash('sha256');
    const tx = createHash('sha256');
    let received = 0;
    far.on('message', (_f, m) => {
      rx.update(m);
      received += m.length;
    });
    const flow = session.openFlow(new TextEncoder().encode('bulk'));
    const rng = new Prng(0x10);
    let sent = 0;
    const pump = (): void => {
      while (sent < TOTAL && flow.writable) {
        const m = rng.bytes(Math.min(TOTAL - sent, 1 + rng.int(32 * 1024)));
        tx.update(m);
        flow.write(m);
        sent += m.length;
      }
    };
    flow.on('writable', pump);
    pump();
    await waitFor(() => received >= TOTAL, 60_000, () => `transfer: ${received}/${TOTAL} bytes`);
    assert.is(received, TOTAL);
    assert.is(rx.digest('hex'), tx.digest('hex'));
    assert.ok(relay.counters.toServer.dropped + relay.counters.toClient.dropped > 0, 'the relay dropped datagrams');
  } finally {
    await client.close();
    await relay.close();
    await server.close();
  }
});

test.run();
