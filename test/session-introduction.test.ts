// Peer introductions over real UDP on 127.0.0.1 (RFC 7016 sections 3.5.1.4-3.5.1.7, wire-reference
// B.5): A asks server S for peer B by peer ID; S answers A with a Redirect naming B's address as S
// sees it and sends B a Forwarded IHello on the S-B session; B answers A directly with an RHello;
// A and B then key and talk without S.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { formatIp } from '../src/wire/address.js';
import { ImpairmentRelay } from './support/impairment-relay.js';

const test = suite('introductions through a server');
const LOOP = '127.0.0.1';
const META = new TextEncoder().encode('intro-flow');

function waitFor<T>(fn: (resolve: (v: T) => void) => void, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    fn((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A message of `n` bytes whose content names its index, so order and integrity both show. */
function numbered(i: number, n: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let k = 0; k < n; k++) m[k] = (i * 31 + k) & 0xff;
  m[0] = i & 0xff;
  m[1] = i >>> 8;
  return m;
}

/**
 * `count` messages A -> B on one flow, each echoed B -> A on a return flow (C.5); resolves when
 * every echo came back byte-equal and in order.
 */
async function echoExchange(a: Session, b: Session, count: number, size: number): Promise<void> {
  let echo: ReturnType<Session['openFlow']> | undefined;
  const onB = (f: { flowId: number }, m: Uint8Array): void => {
    echo ??= b.openFlow(META, { returnFlowAssociation: f.flowId });
    echo.write(m.slice());
  };
  b.on('message', onB);
  try {
    const back: Uint8Array[] = [];
    const done = waitFor<void>(
      (r) =>
        a.on('message', (_f, m) => {
          back.push(m.slice());
          if (back.length === count) r();
        }),
      10_000,
      `${count} echoes`,
    );
    const out = a.openFlow(META);
    for (let i = 0; i < count; i++) out.write(numbered(i, size));
    await done;
    for (let i = 0; i < count; i++) assert.equal(Buffer.from(back[i]!), Buffer.from(numbered(i, size)), `echo ${i}`);
  } finally {
    b.off('message', onB);
  }
}

test('A reaches B by peer ID through S: Redirect + Forwarded IHello, then a direct session S never carries', async () => {
  const s = await Endpoint.listen({ host: LOOP, identity: createServerIdentity(), introductions: true });
  const b = await Endpoint.listen({ host: LOOP });
  const a = await Endpoint.listen({ host: LOOP });
  try {
    const sHasB = waitFor<Session>((r) => s.once('session', r), 5000, 'S accepts B');
    const bToS = await b.connect({ uri: `rtmfp://${LOOP}/app`, addresses: [{ address: LOOP, port: s.address.port }] });
    const sToB = await sHasB;
    assert.is(sToB.farAddress.port, b.address.port);

    const sIntro = { ...s.handshake.counters };
    const bRHellos = b.handshake.counters.rhellosSent;
    const sToBPacketsOut = sToB.counters.packetsOut;
    const bInbound = waitFor<Session>((r) => b.on('session', (x) => x.farPeerId.length > 0 && Buffer.from(x.farPeerId).equals(a.peerId) && r(x)), 5000, 'B accepts A');
    // A knows only S's address and B's peer ID.
    const aToB = await a.connect({ peerId: b.peerId, addresses: [{ address: LOOP, port: s.address.port }] });
    const bToA = await bInbound;

    assert.equal(Buffer.from(aToB.farPeerId), Buffer.from(b.peerId));
    assert.equal(Buffer.from(bToA.farPeerId), Buffer.from(a.peerId));
    // The session is with B's own socket, not S's.
    assert.is(formatIp(aToB.farAddress), LOOP);
    assert.is(aToB.farAddress.port, b.address.port);
    assert.is.not(aToB.farAddress.port, s.address.port);
    assert.is(bToA.farAddress.port, a.address.port);
    // S introduced (one Redirect to A, one Forwarded IHello on its session with B) and answered
    // A with no RHello of its own; B answered the Forwarded IHello with an RHello.
    assert.is(s.handshake.counters.introductions - sIntro.introductions, 1, 'S forwarded one IHello');
    assert.is(s.handshake.counters.redirectsSent - sIntro.redirectsSent, 1, 'S sent one Redirect');
    assert.is(s.handshake.counters.rhellosSent, sIntro.rhellosSent, 'S sent A no RHello');
    assert.ok(sToB.counters.packetsOut > sToBPacketsOut, 'the Forwarded IHello went on the S-B session');
    assert.ok(b.handshake.counters.rhellosSent > bRHellos, 'B answered A');
    assert.is(s.sessionCount, 1, 'A has no session with S');
    assert.is(a.sessionCount, 1);

    // Let stray handshake retransmissions settle, then S must see nothing of A <-> B traffic.
    await sleep(100);
    const sIn = s.counters.datagramsIn;
    const bIn = b.counters.datagramsIn;
    await echoExchange(aToB, bToA, 100, 600);
    assert.is(s.counters.datagramsIn, sIn, 'S carried none of the A-B session packets');
    assert.ok(b.counters.datagramsIn - bIn >= 100, 'B received the exchange directly');
    // The S-B session is still healthy after the introduction.
    const rtt = await bToS.ping();
    assert.ok(rtt >= 0 && rtt < 1000, `B-S rtt ${rtt}`);
  } finally {
    await a.close();
    await b.close();
    await s.close();
  }
});

test('B behind a full-cone NAT (relay): S sees B at the relay port and A reaches B through the mapping', async () => {
  const s = await Endpoint.listen({ host: LOOP, identity: createServerIdentity(), introductions: true });
  const nat = await ImpairmentRelay.open({ server: { address: LOOP, port: s.address.port }, seed: 7 });
  const b = await Endpoint.listen({ host: LOOP });
  const a = await Endpoint.listen({ host: LOOP });
  try {
    const sHasB = waitFor<Session>((r) => s.once('session', r), 5000, 'S accepts B');
    await b.connect({ uri: `rtmfp://${LOOP}/app`, addresses: [nat.address] });
    const sToB = await sHasB;
    const mapped = nat.externalPort();
    assert.ok(mapped !== undefined);
    // S knows B only by its NAT mapping.
    assert.is(sToB.farAddress.port, mapped);
    assert.is.not(mapped, b.address.port);

    const bInbound = waitFor<Session>((r) => b.on('session', (x) => Buffer.from(x.farPeerId).equals(a.peerId) && r(x)), 5000, 'B accepts A');
    const aToB = await a.connect({ peerId: b.peerId, addresses: [{ address: LOOP, port: s.address.port }] });
    const bToA = await bInbound;
    assert.equal(Buffer.from(aToB.farPeerId), Buffer.from(b.peerId));
    assert.is(s.handshake.counters.introductions, 1);
    // A's IHellos to the Redirect address (the mapping) got through it to B: full cone lets a
    // datagram from a source other than S in (B.5 step 4).
    assert.ok(nat.counters.fromOtherSources >= 1, `datagrams through the mapping from non-S sources: ${nat.counters.fromOtherSources}`);
    // The relay is a NAT only for what B sends S: B's RHello and session packets to A leave B's
    // own socket, so A's session is with B's socket (a real NAT would show its mapping here).
    assert.is(aToB.farAddress.port, b.address.port);
    assert.is.not(aToB.farAddress.port, s.address.port);

    await sleep(100);
    const sIn = s.counters.datagramsIn;
    await echoExchange(aToB, bToA, 100, 600);
    assert.is(s.counters.datagramsIn, sIn, 'S carried none of the A-B session packets');
  } finally {
    await a.close();
    await b.close();
    await nat.close();
    await s.close();
  }
});

test('an IHello naming a peer S has no session with is not introduced, and A times out with a typed error', async () => {
  const s = await Endpoint.listen({ host: LOOP, identity: createServerIdentity(), introductions: true });
  const a = await Endpoint.listen({ host: LOOP, handshake: { attemptTimeoutMs: 1200 } });
  const absent = await Endpoint.listen({ host: LOOP });
  const absentId = absent.peerId;
  await absent.close();
  try {
    const unmatched = waitFor<Uint8Array>((r) => s.once('unmatchedIHello', (fp) => r(fp)), 3000, 'unmatchedIHello');
    const attempt = a.connect({ peerId: absentId, addresses: [{ address: LOOP, port: s.address.port }] });
    attempt.catch(() => undefined);
    assert.equal(Buffer.from(await unmatched), Buffer.from(absentId));
    try {
      await attempt;
      assert.unreachable('connected to an absent peer');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_SESSION_OPEN_FAILED');
    }
    assert.is(s.handshake.counters.introductions, 0);
    assert.is(s.handshake.counters.redirectsSent, 0);
    assert.is(s.sessionCount, 0);
  } finally {
    await a.close();
    await s.close();
  }
});

test.run();
