// Load balancing by Redirect (RFC 7016 3.5.1.7; wire-reference B.5): a redirector answers each
// client IHello with a Redirect to one registered server and a Forwarded IHello to that server,
// which answers the client directly. Real UDP on 127.0.0.1, port 0.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';

const test = suite('load balancing by Redirect');
const LOOP = '127.0.0.1';

test('clients asking the redirector for a server are handed to the registered servers in turn', async () => {
  const ids = [createServerIdentity(), createServerIdentity()];
  // Only the listed peer IDs may register as servers.
  const redirector = await Endpoint.listen({ host: LOOP, identity: createServerIdentity(), loadBalance: { k: 1, servers: ids.map((i) => i.peerId) } });
  const servers = [await Endpoint.listen({ host: LOOP, identity: ids[0] }), await Endpoint.listen({ host: LOOP, identity: ids[1] })];
  const clients: Endpoint[] = [];
  try {
    const at = [{ address: LOOP, port: redirector.address.port }];
    // Servers register: a session to the redirector, opened by its peer ID.
    for (const s of servers) await s.connect({ peerId: redirector.peerId, addresses: at });
    assert.is(redirector.sessionCount, 2);

    const reached: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await Endpoint.listen({ host: LOOP });
      clients.push(c);
      const session: Session = await c.connect({ uri: 'rtmfp://service/app', addresses: at });
      const which = servers.findIndex((s) => Buffer.from(s.peerId).equals(Buffer.from(session.farPeerId)));
      assert.ok(which >= 0, 'the session is with one of the servers, not the redirector');
      // The session runs directly between client and server.
      assert.is(session.farAddress.port, servers[which]!.address.port);
      reached.push(`s${which}`);
      // ...and carries traffic: a Ping answered by the server.
      assert.ok((await session.ping()) >= 0);
    }
    // Round robin over the two servers.
    assert.equal(reached, ['s0', 's1', 's0', 's1']);
    assert.is(redirector.handshake.counters.loadBalanced, 4);
    assert.is(redirector.sessionCount, 2, 'the redirector opened no session with any client');
  } finally {
    for (const c of clients) await c.close();
    for (const s of servers) await s.close();
    await redirector.close();
  }
});

test('with no server registered, the redirector serves the client itself', async () => {
  const redirector = await Endpoint.listen({ host: LOOP, identity: createServerIdentity(), loadBalance: { k: 2 } });
  const c = await Endpoint.listen({ host: LOOP });
  try {
    const session = await c.connect({ uri: 'rtmfp://service/app', addresses: [{ address: LOOP, port: redirector.address.port }] });
    assert.ok(Buffer.from(session.farPeerId).equals(Buffer.from(redirector.peerId)));
    assert.is(redirector.handshake.counters.loadBalanced, 0);
  } finally {
    await c.close();
    await redirector.close();
  }
});

test.run();
