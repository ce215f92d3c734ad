// PeerSessions (src/peer): sessions to peers by peer ID shared by holds and closed once idle, and
// the routing of their incoming flows by metadata prefix (RFC 7425 5.1, wire-reference E.1, F.4)
// so that subsystems sharing a session do not take each other's flows. The router is checked
// alone; the sessions over real UDP on 127.0.0.1 with short timers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import type { ReceiveFlowInfo } from '../src/flow/receive-flow.js';
import { toHex } from '../src/crypto/hex.js';
import { FlowRouter, type FlowRoute } from '../src/peer/flow-router.js';
import type { FlowHandler } from '../src/peer/flow-handler.js';
import type { PeerSession } from '../src/peer/peer-session.js';
import { PeerSessions } from '../src/peer/peer-sessions.js';
import { PeerErrorCode } from '../src/peer/errors.js';
import { LOOP, until } from './support/flash-client.js';

const test = suite('peer sessions');

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const GR_MAIN = bytes(0x47, 0x52, 0x1c); // NetGroup main flow (wire-reference F.4)
const TC_1 = bytes(0x54, 0x43, 0x04, 0x01); // NetStream 1 (wire-reference E.1)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fakeFlow(metadata: Uint8Array): ReceiveFlowInfo {
  return { flowId: 2, metadata, associatedFlowId: undefined } as unknown as ReceiveFlowInfo;
}

/** A route that claims what `accept` says and records the messages of the flows it claimed. */
function recordingRoute(prefix: Uint8Array, seen: string[], name: string, accept: (flow: ReceiveFlowInfo) => boolean = () => true): FlowRoute {
  return {
    prefix,
    claim: (_peer, flow): FlowHandler | undefined =>
      accept(flow)
        ? {
            onMessage: (f, m) => void seen.push(`${name}:${toHex(f.metadata)}:${toHex(m)}`),
            onComplete: (f) => void seen.push(`${name}:${toHex(f.metadata)}:complete`),
          }
        : undefined,
  };
}

test('router: longest prefix first, a declining route leaves the flow to the next, an empty prefix takes the rest, unregister removes', () => {
  const router = new FlowRouter();
  const peer = {} as PeerSession;
  const names = new Map<FlowRoute, string>();
  let lastClaim: FlowRoute | undefined;
  const route = (prefix: Uint8Array, name: string, accept: (f: ReceiveFlowInfo) => boolean = () => true): FlowRoute => {
    const r: FlowRoute = {
      prefix,
      claim: (_p, f) => {
        if (!accept(f)) return undefined;
        lastClaim = r;
        return { onMessage: () => undefined };
      },
    };
    names.set(r, name);
    return r;
  };
  const claim = (metadata: Uint8Array): string | undefined => {
    lastClaim = undefined;
    router.route(peer, fakeFlow(metadata));
    return lastClaim ? names.get(lastClaim) : undefined;
  };

  router.register(route(bytes(0x54, 0x43), 'tc'));
  const offGr = router.register(route(bytes(0x47, 0x52), 'gr'));
  router.register(route(GR_MAIN, 'gr-main', (f) => f.metadata.length === 3));
  assert.is(claim(TC_1), 'tc');
  assert.is(claim(GR_MAIN), 'gr-main', 'the longer prefix first');
  assert.is(claim(bytes(0x47, 0x52, 0x1c, 0xff)), 'gr', 'declined by gr-main, taken by gr');
  assert.is(claim(bytes(0x47, 0x52, 0x11)), 'gr');
  assert.is(claim(bytes(0x47, 0x43)), undefined, 'GC: nobody');
  assert.is(claim(bytes(0x54)), undefined, 'shorter than every prefix');
  offGr();
  assert.is(claim(bytes(0x47, 0x52, 0x11)), undefined, 'gr unregistered');
  const offAll = router.register(route(bytes(), 'any'));
  assert.is(claim(bytes(0x47, 0x43)), 'any');
  assert.is(claim(TC_1), 'tc', 'the empty prefix comes last');
  offAll();
  offAll();
  assert.is(router.size, 2);
});

test('one session per peer, shared by two users and two subsystems; each takes only its flows; an unclaimed flow is rejected and counted', async () => {
  const a = await Endpoint.listen({ host: LOOP });
  const b = await Endpoint.listen({ host: LOOP });
  const pa = new PeerSessions(a, { lingerMs: 5000 });
  const pb = PeerSessions.of(b, { lingerMs: 5000 });
  try {
    assert.is(PeerSessions.of(a), pa, 'one per endpoint');
    try {
      new PeerSessions(a);
      assert.unreachable('a second PeerSessions for the endpoint');
    } catch (e) {
      assert.is((e as { code?: string }).code, PeerErrorCode.Exists);
    }
    const seen: string[] = [];
    pb.register(recordingRoute(bytes(0x54, 0x43), seen, 'direct'));
    pb.register(recordingRoute(bytes(0x47, 0x52), seen, 'group'));
    const joined: PeerSession[] = [];
    pb.on('session', (p) => void joined.push(p));

    pa.setAddresses(b.peerId, [{ address: LOOP, port: b.address.port }]);
    const [h1, h2] = await Promise.all([pa.open(b.peerId), pa.open(toHex(b.peerId).toUpperCase())]);
    assert.is(h1.peer, h2.peer, 'concurrent opens share one attempt');
    assert.is(h1.peer.users, 2);
    assert.is(pa.counters.sessionsOut, 1);
    assert.ok(h1.peer.outbound);
    assert.is(h1.peer.farId, toHex(b.peerId));

    const session = h1.peer.session;
    const tc = session.openFlow(TC_1);
    const gr = session.openFlow(GR_MAIN);
    const other = session.openFlow(bytes(0x58, 0x58));
    let exception: number | undefined;
    other.on('exception', (code) => (exception = code));
    tc.write(bytes(1));
    gr.write(bytes(2));
    other.write(bytes(3));
    tc.write(bytes(4));
    tc.close();
    await until(() => seen.length === 4 && exception !== undefined, 3000, 'messages and the rejection');
    assert.equal(seen.filter((s) => s.startsWith('direct')), ['direct:54430401:01', 'direct:54430401:04', 'direct:54430401:complete']);
    assert.equal(seen.filter((s) => s.startsWith('group')), ['group:47521c:02']);
    assert.is(pb.counters.flowsClaimed, 2);
    assert.is(pb.counters.flowsRejected, 1);
    assert.is(pb.counters.sessionsIn, 1);
    assert.is(joined.length, 1);
    assert.not.ok(joined[0]!.outbound);

    // B reaches A over the session A opened: no second session, no address needed.
    const back = await pb.open(a.peerId);
    assert.is(back.peer, joined[0]);
    assert.is(pb.counters.sessionsOut, 0);
    assert.is(a.sessionCount, 1);
    back.release();
    h1.release();
    h2.release();
  } finally {
    await pa.close();
    await pb.close();
    await a.close();
    await b.close();
  }
});

test('a session nobody holds lingers (a new hold takes it back), then closes; one a peer opened and nobody uses closes after the accept grace', async () => {
  const a = await Endpoint.listen({ host: LOOP });
  const b = await Endpoint.listen({ host: LOOP });
  const pa = new PeerSessions(a, { lingerMs: 150, closeWaitMs: 500 });
  const pb = new PeerSessions(b, { acceptGraceMs: 5000, lingerMs: 5000, closeWaitMs: 500 });
  try {
    pa.setAddresses(b.peerId, [{ address: LOOP, port: b.address.port }]);
    const first = await pa.open(b.peerId);
    const peer = first.peer;
    first.release();
    first.release(); // idempotent
    assert.is(peer.users, 0);
    await sleep(50);
    const again = await pa.open(b.peerId);
    assert.is(again.peer, peer, 'taken back while lingering');
    await sleep(200);
    assert.ok(peer.open, 'held: not closed');
    let reason: string | undefined;
    peer.on('close', (r) => (reason = r));
    const released = Date.now();
    again.release();
    await until(() => reason !== undefined, 3000, 'the idle close');
    assert.ok(Date.now() - released >= 140, `lingered ${Date.now() - released} ms`);
    assert.is(reason, 'local');
    assert.is(pa.counters.closedIdle, 1);
    assert.is(pa.get(b.peerId), undefined);
    await until(() => pb.get(a.peerId) === undefined, 3000, 'B forgets the session');
  } finally {
    await pa.close();
    await pb.close();
    await a.close();
    await b.close();
  }

  // The accept grace: B closes a session A opened and nobody on B ever held.
  const c = await Endpoint.listen({ host: LOOP });
  const d = await Endpoint.listen({ host: LOOP });
  const pc = new PeerSessions(c, { lingerMs: 5000, closeWaitMs: 500 });
  const pd = new PeerSessions(d, { acceptGraceMs: 150, closeWaitMs: 500 });
  try {
    pc.setAddresses(d.peerId, [{ address: LOOP, port: d.address.port }]);
    const hold = await pc.open(d.peerId);
    let reason: string | undefined;
    hold.peer.on('close', (r) => (reason = r));
    await until(() => reason !== undefined, 3000, 'the far end closing an unused session');
    assert.is(reason, 'remote');
    assert.is(pd.counters.closedIdle, 1);
    assert.is(pc.counters.closedIdle, 0);
  } finally {
    await pc.close();
    await pd.close();
    await c.close();
    await d.close();
  }
});

test('open fails with a typed error: no address and no introducer; nobody answering within the timeout', async () => {
  const a = await Endpoint.listen({ host: LOOP });
  const silent = await Endpoint.listen({ host: LOOP });
  const deaf = silent.address.port;
  await silent.close(); // nothing answers there any more
  const pa = new PeerSessions(a);
  try {
    const someone = new Uint8Array(32).fill(7);
    const codeOf = (p: Promise<unknown>): Promise<string | undefined> =>
      p.then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
    assert.is(await codeOf(pa.open(someone)), PeerErrorCode.NoRoute);
    const started = Date.now();
    assert.is(await codeOf(pa.open(someone, { addresses: [{ address: LOOP, port: deaf }], timeoutMs: 200 })), PeerErrorCode.Timeout);
    assert.ok(Date.now() - started < 2000);
    assert.is(pa.counters.sessionsOut, 0);
  } finally {
    await pa.close();
    await a.close();
  }
});

test.run();
