// Soak run (`npm run soak`; not part of `npm test`): the real-UDP, wall-clock original of the
// deterministic virtual-network test in test/. It needs an idle machine: its thresholds are real time.
// Address mobility over real UDP (RFC 7016 section 3.5.4.2; wire-reference B.7): the client's
// NAT mapping moves mid-transfer (relay.rebind()) and the server follows it only after the nonce
// ping comes back from the new address; a genuine session datagram replayed from another socket
// (an attacker copying it from the path) does not move the session. Checksum-only sessions (the
// Flash default: no HMAC, no session sequence numbers) are used, so the replay is not dropped as
// a replay first and only the address validation stands in the way.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { formatSocketAddress, type SocketAddress } from '../src/wire/address.js';
import { UdpTransport } from '../src/transport/udp-transport.js';
import { ImpairmentRelay } from '../test/support/impairment-relay.js';
import { Prng } from '../test/wire-prng.js';

const test = suite('address mobility');
const LOOP = '127.0.0.1';
const META = new TextEncoder().encode('mobile');
const MiB = 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Transfer {
  /** Resolves when everything arrived (rejects after the limit). */
  done: Promise<void>;
  received(): number;
  sentHash(): string;
  receivedHash(): string;
  /** Resolves once `n` bytes have arrived. */
  reached(n: number): Promise<void>;
}

/** Writes `total` bytes of seeded random messages on a new flow, pumped on 'writable'. */
function startTransfer(session: Session, far: Session, total: number, seed: number, limitMs: number): Transfer {
  const tx = createHash('sha256');
  const rx = createHash('sha256');
  let received = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`transfer incomplete after ${limitMs} ms: ${received}/${total} bytes`)), limitMs);
    far.on('message', (_f, m) => {
      rx.update(m);
      received += m.length;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (received >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve();
      }
      if (received >= total) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  const flow = session.openFlow(META);
  const rng = new Prng(seed);
  let sent = 0;
  const pump = (): void => {
    while (sent < total && flow.writable) {
      const m = rng.bytes(Math.min(total - sent, 1 + rng.int(64 * 1024)));
      tx.update(m);
      flow.write(m);
      sent += m.length;
    }
  };
  flow.on('writable', pump);
  pump();
  return {
    done,
    received: () => received,
    sentHash: () => tx.copy().digest('hex'),
    receivedHash: () => rx.copy().digest('hex'),
    reached: (n) => (received >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
  };
}

async function setup(seed: number): Promise<{ server: Endpoint; client: Endpoint; relay: ImpairmentRelay; session: Session; far: Session; close: () => Promise<void> }> {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const relay = await ImpairmentRelay.open({ server: { address: LOOP, port: server.address.port }, seed });
  const client = await Endpoint.listen({ host: LOOP });
  const close = async (): Promise<void> => {
    await client.close();
    await relay.close();
    await server.close();
  };
  try {
    const accepted = new Promise<Session>((r) => server.once('session', r));
    const session = await client.connect({ uri: 'rtmfp://relay/app', addresses: [relay.address] });
    const far = await accepted;
    // The premise of the spoofing case: a checksum-only session, no sequence numbers (D.2).
    for (const env of [far.established.envelopes.receive, session.established.envelopes.send]) {
      assert.is(env.hmacLength, 0);
      assert.is(env.sequenceNumbers, false);
    }
    return { server, client, relay, session, far, close };
  } catch (e) {
    await close();
    throw e;
  }
}

test('the client moves to a new port mid-transfer: the server follows after the nonce ping, nothing is lost', async () => {
  const { relay, session, far, close } = await setup(0x3b);
  try {
    const changes: [SocketAddress, SocketAddress][] = [];
    far.on('addressChange', (from, to) => changes.push([from, to]));
    const oldPort = relay.externalPort()!;
    assert.is(far.farAddress.port, oldPort);
    const total = 8 * MiB;
    const t = startTransfer(session, far, total, 0x3b, 30_000);
    await t.reached(2 * MiB);
    const atRebind = t.received();
    const newPort = await relay.rebind();
    assert.is.not(newPort, oldPort);
    await t.done;
    const stale = relay.counters.toClient.stale;
    console.log(
      `  rebind at ${atRebind} of ${total} bytes: server far address ${changes.map(([a, b]) => `${formatSocketAddress(a)} -> ${formatSocketAddress(b)}`).join(', ')}; ` +
        `${stale} server datagrams reached the old port; ${session.scheduler.nackLosses + session.scheduler.timeoutLosses} retransmissions`,
    );
    assert.ok(atRebind < total, 'the rebind happened mid-transfer');
    assert.is(t.received(), total);
    assert.is(t.receivedHash(), t.sentHash());
    assert.is(far.farAddress.port, newPort);
    assert.is(far.counters.addressChangesApplied, 1);
    assert.ok(far.counters.addressChangesSeen >= 1);
    assert.is(changes.length, 1);
    assert.is(changes[0]![0].port, oldPort);
    assert.is(changes[0]![1].port, newPort);
    assert.is(relay.counters.rebinds, 1);
  } finally {
    await close();
  }
});

test('a genuine session datagram replayed from another socket does not move the session', async () => {
  const { client, server, relay, session, far, close } = await setup(0x3c);
  let attacker: UdpTransport | undefined;
  try {
    const changes: [SocketAddress, SocketAddress][] = [];
    far.on('addressChange', (from, to) => changes.push([from, to]));
    // Tap the client's socket: copies of what it sends, as an on-path observer would see them.
    const captured: Uint8Array[] = [];
    const send = client.transport.send.bind(client.transport);
    client.transport.send = (d: Uint8Array, to: SocketAddress): void => {
      if (captured.length < 4096) captured.push(d.slice());
      send(d, to);
    };
    const attackerGot: Uint8Array[] = [];
    attacker = await UdpTransport.open({ host: LOOP, port: 0, onBatch: (b) => attackerGot.push(...b.datagrams.map((d) => d.slice())) });

    const legitimate = { ...far.farAddress };
    const total = 6 * MiB;
    const t = startTransfer(session, far, total, 0x3c, 30_000);
    await t.reached(2 * MiB);
    // Replay the 32 most recent genuine datagrams from the attacker's socket straight at the server.
    const seenBefore = far.counters.addressChangesSeen;
    const droppedBefore = { ...server.counters };
    const replay = captured.slice(-32);
    for (const d of replay) attacker.send(d, { address: LOOP, port: server.address.port });
    await sleep(300);
    const seen = far.counters.addressChangesSeen - seenBefore;
    console.log(
      `  replayed ${replay.length} datagrams from port ${attacker.local.port}: server saw ${seen} from a new address, ` +
        `sent ${attackerGot.length} nonce ping(s) there, replays dropped ${server.counters.droppedReplay - droppedBefore.droppedReplay}, ` +
        `integrity drops ${server.counters.droppedIntegrity - droppedBefore.droppedIntegrity}`,
    );
    // The replays were accepted as authentic packets (checksum-only: nothing marks them as
    // replays), seen as coming from a new address, and answered with a nonce ping to it...
    assert.ok(seen >= 1, 'the replayed datagrams were not taken as session packets from a new address');
    assert.is(server.counters.droppedReplay, droppedBefore.droppedReplay);
    assert.ok(attackerGot.length >= 1, 'no nonce ping reached the replaying address');
    // ...which the attacker cannot answer, so the session stays where it was.
    assert.is(formatSocketAddress(far.farAddress), formatSocketAddress(legitimate));
    assert.is(far.counters.addressChangesApplied, 0);
    assert.is(changes.length, 0);

    // The attacker echoes what it got back at the server (it cannot decrypt it, and a packet
    // sealed for the client is not a valid one toward the server): still nothing moves.
    for (const d of attackerGot) attacker.send(d, { address: LOOP, port: server.address.port });
    await t.done;
    assert.is(t.receivedHash(), t.sentHash());
    assert.is(formatSocketAddress(far.farAddress), formatSocketAddress(legitimate));
    assert.is(far.counters.addressChangesApplied, 0);

    // A pending (never answered) validation does not block a genuine move afterwards.
    const newPort = await relay.rebind();
    // Something from the client over the new mapping (the server's answers go to the old port
    // until it has validated the new one; the flow's retransmission covers that).
    const more = startTransfer(session, far, 64 * 1024, 0x3d, 10_000);
    await more.done;
    for (let i = 0; i < 50 && far.counters.addressChangesApplied === 0; i++) await sleep(10);
    assert.is(far.farAddress.port, newPort);
    assert.is(far.counters.addressChangesApplied, 1);
    assert.is(changes.length, 1);
  } finally {
    await attacker?.close();
    await close();
  }
});

test.run();
