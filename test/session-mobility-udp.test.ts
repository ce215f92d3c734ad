// Real-UDP smoke test of address mobility (127.0.0.1, port 0): the impairment relay gives the
// client a new source port mid-transfer (relay.rebind()); the server follows after the nonce
// ping and nothing is lost. The protocol cases (spoofed replays, a pending validation) are on
// the virtual network in session-mobility.test.ts; the 8 MiB runs are soak runs.
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
const KiB = 1024;

test('the client moves to a new port mid-transfer over UDP: the server follows, nothing is lost', async () => {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const relay = await ImpairmentRelay.open({ server: { address: LOOP, port: server.address.port }, seed: 0x3b });
  const client = await Endpoint.listen({ host: LOOP });
  try {
    const accepted = new Promise<Session>((r) => server.once('session', r));
    const session = await client.connect({ uri: 'rtmfp://relay/app', addresses: [relay.address] });
    const far = await accepted;
    const oldPort = relay.externalPort()!;
    assert.is(far.farAddress.port, oldPort);
    const total = 512 * KiB;
    const tx = createHash('sha256');
    const rx = createHash('sha256');
    let received = 0;
    far.on('message', (_f, m) => {
      rx.update(m);
      received += m.length;
    });
    const flow = session.openFlow(new TextEncoder().encode('mobile'));
    const rng = new Prng(0x3b);
    let sent = 0;
    let limit = total / 2;
    const pump = (): void => {
      while (sent < limit && flow.writable) {
        const m = rng.bytes(Math.min(total - sent, 1 + rng.int(16 * KiB)));
        tx.update(m);
        flow.write(m);
        sent += m.length;
      }
    };
    flow.on('writable', pump);
    pump();
    await waitFor(() => received >= total / 2, 60_000, () => `first half: ${received} bytes`);
    const newPort = await relay.rebind();
    assert.is.not(newPort, oldPort);
    // The second half was held back until now, so the move is mid-transfer.
    limit = total;
    pump();
    await waitFor(() => received >= total && far.counters.addressChangesApplied > 0, 60_000, () => `transfer: ${received}/${total} bytes`);
    assert.is(rx.digest('hex'), tx.digest('hex'));
    assert.is(far.farAddress.port, newPort);
    assert.is(far.counters.addressChangesApplied, 1);
  } finally {
    await client.close();
    await relay.close();
    await server.close();
  }
});

test.run();
