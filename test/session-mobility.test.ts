// Address mobility (RFC 7016 section 3.5.4.2; wire-reference B.7) on the virtual network under a
// ManualClock: the client sits behind a NAT whose mappings are lost mid-transfer (a NAT reboot,
// nat.reset()), so its traffic reaches the server from a new public port; the server follows it
// only after the nonce ping comes back from the new address. A genuine session datagram replayed
// from another host (an attacker copying it from the path) does not move the session.
// Checksum-only sessions (the Flash default: no HMAC, no session sequence numbers) are used, so
// the replay is not dropped as a replay first and only the address validation stands in the way.
// Deterministic; the same over real UDP (with the impairment relay's rebind) is a soak run
// (soak/mobility.soak.ts) and a short real-UDP rebind is in session-mobility-udp.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import type { Session } from '../src/session/session.js';
import { formatSocketAddress, type SocketAddress } from '../src/wire/address.js';
import { NatBehavior } from '../src/transport/virtual-nat.js';
import { vnetPair, type VnetPair } from './support/vnet-rig.js';
import { Prng } from './wire-prng.js';

const test = suite('address mobility (virtual network)');
const META = new TextEncoder().encode('mobile');
const KiB = 1024;

interface Transfer {
  received(): number;
  done(): boolean;
  sentHash(): string;
  receivedHash(): string;
}

/** Writes `total` bytes of seeded random messages on a new flow, pumped on 'writable'. */
function startTransfer(session: Session, far: Session, total: number, seed: number): Transfer {
  const tx = createHash('sha256');
  const rx = createHash('sha256');
  let received = 0;
  far.on('message', (_f, m) => {
    rx.update(m);
    received += m.length;
  });
  const flow = session.openFlow(META);
  const rng = new Prng(seed);
  let sent = 0;
  const pump = (): void => {
    while (sent < total && flow.writable) {
      const m = rng.bytes(Math.min(total - sent, 1 + rng.int(16 * KiB)));
      tx.update(m);
      flow.write(m);
      sent += m.length;
    }
  };
  flow.on('writable', pump);
  pump();
  return {
    received: () => received,
    done: () => received >= total,
    sentHash: () => tx.copy().digest('hex'),
    receivedHash: () => rx.copy().digest('hex'),
  };
}

/** The client behind a port-restricted NAT (EI mapping, APD filtering), 5 ms paths. */
async function setup(seed: number): Promise<VnetPair> {
  const p = await vnetPair({
    seed,
    network: { defaultPath: { latencyMs: 5 } },
    clientHost: (net) => net.addHost({ behind: net.addNat({ mapping: NatBehavior.EndpointIndependent, filtering: NatBehavior.AddressAndPortDependent }) }),
  });
  // The premise of the spoofing case: a checksum-only session, no sequence numbers (D.2).
  for (const env of [p.far.established.envelopes.receive, p.session.established.envelopes.send]) {
    assert.is(env.hmacLength, 0);
    assert.is(env.sequenceNumbers, false);
  }
  return p;
}

test('the client moves to a new port mid-transfer: the server follows after the nonce ping, nothing is lost', async () => {
  const p = await setup(0x3b);
  const { session, far } = p;
  const nat = p.clientHost.nat!;
  try {
    const changes: [SocketAddress, SocketAddress][] = [];
    far.on('addressChange', (from, to) => changes.push([from, to]));
    const oldPort = far.farAddress.port;
    assert.is(formatSocketAddress(far.farAddress).split(':')[0], nat.publicIp);
    const total = 1024 * KiB;
    const t = startTransfer(session, far, total, 0x3b);
    await p.until(() => t.received() >= 256 * KiB);
    const atRebind = t.received();
    nat.reset(); // the NAT forgets the mapping: the client's next datagram gets a new public port
    const staleBefore = nat.counters.droppedNoMapping;
    await p.until(t.done, { maxMs: 120_000 });
    const newPort = far.farAddress.port;
    const stale = nat.counters.droppedNoMapping - staleBefore;
    console.log(
      `  mapping lost at ${atRebind} of ${total} bytes: server far address ${changes.map(([a, b]) => `${formatSocketAddress(a)} -> ${formatSocketAddress(b)}`).join(', ')}; ` +
        `${stale} server datagrams reached the old port; ${session.scheduler.nackLosses + session.scheduler.timeoutLosses} retransmissions`,
    );
    assert.ok(atRebind < total, 'the move happened mid-transfer');
    assert.is(t.received(), total);
    assert.is(t.receivedHash(), t.sentHash());
    assert.is.not(newPort, oldPort);
    assert.is(far.counters.addressChangesApplied, 1);
    assert.ok(far.counters.addressChangesSeen >= 1);
    assert.is(changes.length, 1);
    assert.is(changes[0]![0].port, oldPort);
    assert.is(changes[0]![1].port, newPort);
    assert.ok(stale > 0, 'the server sent to the old mapping before it validated the new one');
  } finally {
    await p.close();
  }
});

test('a genuine session datagram replayed from another host does not move the session', async () => {
  const p = await setup(0x3c);
  const { client, server, session, far, clock } = p;
  const nat = p.clientHost.nat!;
  try {
    const changes: [SocketAddress, SocketAddress][] = [];
    far.on('addressChange', (from, to) => changes.push([from, to]));
    // Tap the client's port: copies of what it sends, as an on-path observer would see them.
    const captured: Uint8Array[] = [];
    const send = client.transport.send.bind(client.transport);
    client.transport.send = (d: Uint8Array, to: SocketAddress): void => {
      if (captured.length < 4096) captured.push(d.slice());
      send(d, to);
    };
    const attacker = p.net.bind();
    const attackerGot: Uint8Array[] = [];
    attacker.attach((b) => attackerGot.push(...b.datagrams.map((d) => d.slice())));
    const serverAt = server.transport.localAddress;

    const legitimate = { ...far.farAddress };
    const total = 1024 * KiB;
    const t = startTransfer(session, far, total, 0x3c);
    await p.until(() => t.received() >= 256 * KiB);
    // Replay the 32 most recent genuine datagrams from the attacker's port straight at the server.
    const seenBefore = far.counters.addressChangesSeen;
    const droppedBefore = { ...server.counters };
    const replay = captured.slice(-32);
    for (const d of replay) attacker.send(d, serverAt);
    const quiet = clock.now() + 300;
    await p.until(() => clock.now() >= quiet);
    const seen = far.counters.addressChangesSeen - seenBefore;
    console.log(
      `  replayed ${replay.length} datagrams from ${formatSocketAddress(attacker.localAddress)}: server saw ${seen} from a new address, ` +
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
    for (const d of attackerGot) attacker.send(d, serverAt);
    await p.until(t.done, { maxMs: 120_000 });
    assert.is(t.receivedHash(), t.sentHash());
    assert.is(formatSocketAddress(far.farAddress), formatSocketAddress(legitimate));
    assert.is(far.counters.addressChangesApplied, 0);

    // A pending (never answered) validation does not block a genuine move afterwards.
    nat.reset();
    // Something from the client over the new mapping (the server's answers go to the old port
    // until it has validated the new one; the flow's retransmission covers that).
    const more = startTransfer(session, far, 64 * KiB, 0x3d);
    await p.until(() => more.done() && far.counters.addressChangesApplied > 0, { maxMs: 60_000 });
    assert.is.not(far.farAddress.port, legitimate.port);
    assert.is(far.counters.addressChangesApplied, 1);
    assert.is(changes.length, 1);
  } finally {
    await p.close();
  }
});

test.run();
