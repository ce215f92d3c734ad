// PeerSessions (src/peer): sessions to peers by peer ID shared by holds and closed once idle, and
// the routing of their incoming flows by metadata prefix (RFC 7425 5.1, wire-reference E.1, F.4)
// so that subsystems sharing a session do not take each other's flows. The router is checked
// alone; the sessions on the virtual network under a ManualClock (exact times, no sleeping),
// plus one short smoke test over real UDP on 127.0.0.1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { ManualClock } from '../src/time/clock.js';
import { runUntil as run, settle as settleRun } from '../src/time/run-until.js';
import { VirtualNetwork } from '../src/transport/virtual-network.js';
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

/** Two endpoints on the virtual network (1 ms one way) under one ManualClock. */
async function pair(): Promise<{ clock: ManualClock; a: Endpoint; b: Endpoint; close: () => Promise<void> }> {
  const clock = new ManualClock(1000);
  const net = new VirtualNetwork({ clock, defaultPath: { latencyMs: 1 } });
  const a = await Endpoint.listen({ transport: net.bind(), clock });
  const b = await Endpoint.listen({ transport: net.bind(), clock });
  return { clock, a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

/** Moves the clock until `cond` (at most `maxMs` virtual ms). */
async function runUntil(clock: ManualClock, cond: () => boolean, maxMs: number, what: string): Promise<void> {
  try {
    await run(clock, cond, { stepMs: 1, maxMs });
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}
/** Moves the clock until `p` settles (at most `maxMs` virtual ms). */
const settle = <T>(clock: ManualClock, p: Promise<T>, maxMs = 1000): Promise<T> => settleRun(clock, p, { stepMs: 1, maxMs });

const codeOf = (e: unknown): string | undefined => (e as { code?: string }).code;

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
  const { clock, a, b, close } = await pair();
  const pa = new PeerSessions(a, { lingerMs: 5000 });
  const pb = PeerSessions.of(b, { lingerMs: 5000 });
  try {
    assert.is(PeerSessions.of(a), pa, 'one per endpoint');
    try {
      new PeerSessions(a);
      assert.unreachable('a second PeerSessions for the endpoint');
    } catch (e) {
      assert.is(codeOf(e), PeerErrorCode.Exists);
    }
    const seen: string[] = [];
    pb.register(recordingRoute(bytes(0x54, 0x43), seen, 'direct'));
    pb.register(recordingRoute(bytes(0x47, 0x52), seen, 'group'));
    const joined: PeerSession[] = [];
    pb.on('session', (p) => void joined.push(p));

    pa.setAddresses(b.peerId, [{ address: b.address.address, port: b.address.port }]);
    const [h1, h2] = await settle(clock, Promise.all([pa.open(b.peerId), pa.open(toHex(b.peerId).toUpperCase())]));
    assert.is(h1.peer, h2.peer, 'concurrent opens share one attempt');
    assert.is(h1.peer.users, 2);
    assert.is(pa.counters.sessionsOut, 1);
    assert.ok(h1.peer.outbound);
    assert.is(h1.peer.farId, toHex(b.peerId));
    assert.is(pa.get(b.peerId), h1.peer);

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
    await runUntil(clock, () => seen.length === 4 && exception !== undefined, 1000, 'messages and the rejection');
    assert.equal(seen.filter((x) => x.startsWith('direct')), ['direct:54430401:01', 'direct:54430401:04', 'direct:54430401:complete']);
    assert.equal(seen.filter((x) => x.startsWith('group')), ['group:47521c:02']);
    assert.is(pb.counters.flowsClaimed, 2);
    assert.is(pb.counters.flowsRejected, 1);
    assert.is(pb.counters.sessionsIn, 1);
    assert.is(joined.length, 1);
    assert.not.ok(joined[0]!.outbound);

    // B reaches A over the session A opened: no second session, no address needed.
    const back = await settle(clock, pb.open(a.peerId));
    assert.is(back.peer, joined[0]);
    assert.is(pb.counters.sessionsOut, 0);
    assert.is(a.sessionCount, 1);

    // The far end closes: the claimed flows still open hear it, the session is forgotten, and
    // the next open makes a new one.
    const gone: string[] = [];
    pb.register({ prefix: bytes(0x41), claim: () => ({ onMessage: () => undefined, onSessionClose: (f) => void gone.push(toHex(f.metadata)) }) });
    session.openFlow(bytes(0x41, 0x42)).write(bytes(9));
    await runUntil(clock, () => pb.counters.flowsClaimed === 3, 1000, 'the A flow');
    let reason: string | undefined;
    h1.peer.on('close', (r) => (reason = r));
    joined[0]!.session.close();
    await runUntil(clock, () => reason !== undefined && gone.length > 0, 1000, 'the close');
    assert.is(reason, 'remote');
    assert.equal(gone, ['4142'], 'its open claimed flow is told');
    assert.is(pa.get(b.peerId), undefined);
    const again = await settle(clock, pa.open(b.peerId));
    assert.is.not(again.peer, h1.peer);
    assert.is(pa.counters.sessionsOut, 2);
  } finally {
    await settle(clock, Promise.all([pa.close(), pb.close()]), 5000);
    await close();
  }
});

test('a session nobody holds lingers for lingerMs (a new hold takes it back), then closes; one a peer opened and nobody used closes after the accept grace', async () => {
  const { clock, a, b, close } = await pair();
  const pa = new PeerSessions(a, { lingerMs: 100 });
  const pb = new PeerSessions(b, { acceptGraceMs: 1000, lingerMs: 5000 });
  try {
    pa.setAddresses(b.peerId, [{ address: b.address.address, port: b.address.port }]);
    const first = await settle(clock, pa.open(b.peerId));
    const peer = first.peer;
    first.release();
    first.release(); // idempotent
    assert.is(peer.users, 0);
    clock.advance(99);
    assert.ok(peer.open, 'lingering');
    const again = await settle(clock, pa.open(b.peerId));
    assert.is(again.peer, peer, 'taken back while lingering');
    clock.advance(150);
    assert.ok(peer.open, 'held: not closed');
    let reason: string | undefined;
    peer.on('close', (r) => (reason = r));
    const released = clock.now();
    again.release();
    clock.advance(99);
    assert.ok(peer.open && peer.session.state === 'open', 'still lingering at +99 ms');
    clock.advance(1);
    assert.is(peer.session.state, 'nearclose', 'closing at +100 ms');
    await runUntil(clock, () => reason !== undefined, 1000, 'the idle close');
    assert.ok(clock.now() - released <= 110, `closed ${clock.now() - released} ms after the release`);
    assert.is(reason, 'local');
    assert.is(pa.counters.closedIdle, 1);
    assert.is(pa.get(b.peerId), undefined);
    await runUntil(clock, () => pb.get(a.peerId) === undefined, 1000, 'B forgets the session');
    assert.is(pb.counters.closedIdle, 0, 'B held nothing, but A closed first');

    // The accept grace: B closes a session A opened and nobody on B ever held.
    pa.setAddresses(b.peerId, [{ address: b.address.address, port: b.address.port }]);
    const held = await settle(clock, pa.open(b.peerId));
    const opened = clock.now();
    let farReason: string | undefined;
    held.peer.on('close', (r) => (farReason = r));
    await runUntil(clock, () => farReason !== undefined, 1000, 'the far end closing an unused session');
    assert.is(farReason, 'remote');
    assert.ok(clock.now() - opened >= 999 && clock.now() - opened <= 1010, `closed by B ${clock.now() - opened} ms after opening`);
    assert.is(pb.counters.closedIdle, 1);
  } finally {
    await settle(clock, Promise.all([pa.close(), pb.close()]), 5000);
    await close();
  }
});

test('open fails with a typed error: no address and no introducer; nobody answering within the timeout; after close', async () => {
  const { clock, a, b, close } = await pair();
  const pa = new PeerSessions(a);
  try {
    const someone = new Uint8Array(32).fill(7);
    const fails = async (p: Promise<unknown>): Promise<string | undefined> => {
      try {
        await settle(clock, p, 5000);
        return undefined;
      } catch (e) {
        return codeOf(e);
      }
    };
    assert.is(await fails(pa.open(someone)), PeerErrorCode.NoRoute);
    // b has no PeerSessions and is not `someone`: it never answers the IHello.
    const started = clock.now();
    assert.is(await fails(pa.open(someone, { addresses: [{ address: b.address.address, port: b.address.port }], timeoutMs: 200 })), PeerErrorCode.Timeout);
    assert.is(clock.now() - started, 200);
    assert.is(pa.counters.sessionsOut, 0);
    await pa.close();
    assert.is(await fails(pa.open(b.peerId, { addresses: [{ address: b.address.address, port: b.address.port }] })), PeerErrorCode.Closed);
  } finally {
    await settle(clock, pa.close(), 5000);
    await close();
  }
});

test('smoke, real UDP on 127.0.0.1: open by address, a claimed flow, a rejected one, idle close', async () => {
  const a = await Endpoint.listen({ host: LOOP });
  const b = await Endpoint.listen({ host: LOOP });
  const pa = new PeerSessions(a, { lingerMs: 20 });
  const pb = new PeerSessions(b);
  try {
    const seen: string[] = [];
    pb.register(recordingRoute(bytes(0x54, 0x43), seen, 'direct'));
    pa.setAddresses(b.peerId, [{ address: LOOP, port: b.address.port }]);
    const hold = await pa.open(b.peerId, { timeoutMs: 5000 });
    hold.peer.session.openFlow(TC_1).write(bytes(1));
    hold.peer.session.openFlow(GR_MAIN).write(bytes(2));
    await until(() => seen.length === 1 && pb.counters.flowsRejected === 1, 5000, 'the flows');
    assert.equal(seen, ['direct:54430401:01']);
    let closed = false;
    hold.peer.on('close', () => (closed = true));
    hold.release();
    await until(() => closed, 5000, 'the idle close');
    assert.is(pa.counters.closedIdle, 1);
  } finally {
    await pa.close();
    await pb.close();
    await a.close();
    await b.close();
  }
});

test.run();
