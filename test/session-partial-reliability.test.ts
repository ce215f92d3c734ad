// Partial reliability (RFC 7016 section 3.6.2.3.3; wire-reference C.1) on the virtual network
// under a ManualClock: messages written with a lifetime that cannot be delivered in time (the
// client's up link loses everything for a while) are abandoned on the sender and never delivered
// on the receiver; the forward sequence number carries the receiver past them, so later messages
// and the reliable messages written between them (no lifetime) all arrive, in order, once each.
// Lifetimes and the outage are virtual time, so the outcome does not depend on the machine's load.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { OutgoingFlow, Session } from '../src/session/session.js';
import type { SendMessageHandle } from '../src/flow/send-buffer.js';
import type { LinkOptions } from '../src/transport/virtual-link.js';
import { vnetPair, type VnetPair } from './support/vnet-rig.js';
import { Prng } from './wire-prng.js';

const test = suite('partial reliability through an outage (virtual network)');
const META = new TextEncoder().encode('partial');
// Longer than the receiver's delayed-ack time (RFC 7016 3.6.3.4.1: 200 ms) plus a round trip: a
// lone last packet is acked up to 200 ms late, and a lifetime shorter than that abandons on the
// sender a message the receiver already delivered.
const LIFETIME_MS = 300;
const OUTAGE_MS = 1000;

/** A message that names itself: 4-byte id, then filler from the id's own PRNG stream. */
function message(id: number, length: number): Uint8Array {
  const m = new Prng(id).bytes(Math.max(4, length));
  new DataView(m.buffer, m.byteOffset, m.byteLength).setUint32(0, id);
  return m;
}

function idOf(m: Uint8Array): number {
  return new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0);
}

interface Harness {
  pair: VnetPair;
  session: Session;
  far: Session;
  flow: OutgoingFlow;
  /** Receiver: message ids in delivery order, each checked against its expected bytes. */
  received: number[];
  /** Receiver: 'abandoned' events (first and last sequence number of the run). */
  receiverAbandoned: [number, number][];
  /** Sender: handle of each written id, and ids reported delivered / abandoned. */
  handles: Map<number, SendMessageHandle>;
  delivered: Set<number>;
  abandoned: Set<number>;
  write(id: number, length: number, lifetimeMs?: number): void;
  /** Moves virtual time until `done()` holds; false after `ms` virtual ms. */
  until(done: () => boolean, ms: number): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** The client's up link: everything toward the server crosses it. */
async function open(seed: number, up: LinkOptions = {}): Promise<Harness> {
  const pair = await vnetPair({ seed, network: { defaultPath: { latencyMs: 1 } }, clientHost: (net) => net.addHost({ up }) });
  const { session, far } = pair;
  const close = (): Promise<void> => pair.close();
  try {
    const flow = session.openFlow(META);
    const lengths = new Map<number, number>();
    const h: Harness = {
      pair,
      session,
      far,
      flow,
      received: [],
      receiverAbandoned: [],
      handles: new Map(),
      delivered: new Set(),
      abandoned: new Set(),
      write(id, length, lifetimeMs) {
        lengths.set(id, length);
        const handle = flow.write(message(id, length), lifetimeMs === undefined ? undefined : { lifetimeMs });
        h.handles.set(handle.number, handle);
        idByNumber.set(handle.number, id);
      },
      until: async (done, ms) => {
        try {
          await pair.until(done, { maxMs: ms });
          return true;
        } catch {
          return false;
        }
      },
      sleep: async (ms) => {
        const end = pair.clock.now() + ms;
        await pair.until(() => pair.clock.now() >= end, { maxMs: ms + 1 });
      },
      close,
    };
    const idByNumber = new Map<number, number>();
    far.on('message', (_f, m) => {
      const id = idOf(m);
      // Compare the whole content, not just the id: a mixed-up reassembly would show here.
      assert.equal(Buffer.from(m), Buffer.from(message(id, lengths.get(id) ?? -1)), `content of message ${id}`);
      h.received.push(id);
    });
    far.on('abandoned', (_f, first, last) => h.receiverAbandoned.push([first, last]));
    flow.on('delivered', (m) => h.delivered.add(idByNumber.get(m.number)!));
    flow.on('abandoned', (m) => {
      assert.is(m.abandonReason, 'lifetime');
      h.abandoned.add(idByNumber.get(m.number)!);
    });
    return h;
  } catch (e) {
    await close();
    throw e;
  }
}

test('messages past their lifetime during an outage are abandoned; reliable ones between them and later ones all arrive once, in order', async () => {
  const h = await open(0x9a);
  try {
    const rng = new Prng(0x51);
    const size = (): number => 4 + rng.int(3500); // one to four fragments
    // Before the outage: delivered well inside their lifetime.
    const before = Array.from({ length: 10 }, (_, i) => 100 + i);
    for (const id of before) h.write(id, size(), LIFETIME_MS);
    assert.ok(await h.until(() => h.delivered.size === before.length, 3000), `before: ${h.delivered.size} delivered, ${h.received.length} received, abandoned ${[...h.abandoned]}`);

    // The outage: nothing reaches the server. Partially reliable and reliable messages alternate
    // on the same flow, so the receiver must skip the abandoned ones between reliable ones.
    h.pair.clientHost.up.configure({ loss: 1 });
    const partial: number[] = [];
    const reliable: number[] = [];
    for (let i = 0; i < 20; i++) {
      const id = 200 + i;
      if (i % 2 === 0) {
        partial.push(id);
        h.write(id, size(), LIFETIME_MS);
      } else {
        reliable.push(id);
        h.write(id, size());
      }
      await h.sleep(10);
    }
    await h.sleep(OUTAGE_MS - 200);
    const droppedInOutage = h.pair.clientHost.up.counters.droppedLoss;
    // Every lifetime ran out while nothing could get through: all of them, and only them, abandoned.
    assert.equal([...h.abandoned].sort((a, b) => a - b), partial, 'abandoned during the outage');
    assert.is(h.received.filter((id) => id >= 200).length, 0, 'nothing got through the outage');
    h.pair.clientHost.up.configure({ loss: 0 });

    // After the outage: later messages (a lifetime long enough for the post-outage retransmission
    // backoff) and the reliable ones from the outage arrive.
    const after = Array.from({ length: 10 }, (_, i) => 300 + i);
    for (const id of after) h.write(id, size(), 5000);
    const expected = [...before, ...reliable, ...after];
    const ok = await h.until(() => h.received.length >= expected.length && h.delivered.size >= expected.length, 10_000);
    await h.sleep(100); // anything delivered twice or late would show up now
    console.log(
      `  ${before.length} before, ${partial.length} abandoned + ${reliable.length} reliable during a ${OUTAGE_MS} ms outage ` +
        `(${droppedInOutage} datagrams dropped), ${after.length} after; receiver abandoned runs: ${JSON.stringify(h.receiverAbandoned)}; ` +
        `retransmissions ${h.session.scheduler.nackLosses + h.session.scheduler.timeoutLosses}`,
    );
    assert.ok(ok, `after the outage: ${h.received.length}/${expected.length} received, ${h.delivered.size} acked`);
    // Exactly the deliverable messages, each once, in write order (a sequenced flow).
    assert.equal(h.received, expected);
    assert.equal([...h.delivered].sort((a, b) => a - b), [...expected].sort((a, b) => a - b));
    assert.equal([...h.abandoned].sort((a, b) => a - b), partial);
    // A receiver 'abandoned' run (buffered fragments given up) may only cover abandoned messages.
    for (const [first, last] of h.receiverAbandoned) {
      const owner = [...h.handles.values()].find((m) => m.firstSequenceNumber <= first && last <= m.lastSequenceNumber);
      assert.ok(owner && owner.state === 'abandoned', `receiver abandoned ${first}..${last}, not within an abandoned message`);
    }
    assert.ok(droppedInOutage > 0);
  } finally {
    await h.close();
  }
});

test('a message cut off mid-way: the receiver reports its buffered fragments abandoned and moves on', async () => {
  // 0.5 MB/s toward the server, so a 256 KiB message needs over 500 ms: more than its lifetime.
  const h = await open(0x9b, { bandwidth: 500_000, queueBytes: 64 * 1260 });
  try {
    const records0 = h.far.receive.stats.records;
    h.write(1, 256 * 1024, LIFETIME_MS);
    // Once a few of its fragments reached the receiver, black out the path.
    assert.ok(await h.until(() => h.far.receive.stats.records >= records0 + 4, 2000), 'first fragments never arrived');
    h.pair.clientHost.up.configure({ loss: 1 });
    await h.sleep(OUTAGE_MS);
    h.pair.clientHost.up.configure({ loss: 0 });
    assert.equal([...h.abandoned], [1], 'sender abandoned the cut-off message');
    // The next message (reliable) carries the receiver past the gap.
    h.write(2, 3000);
    const ok = await h.until(() => h.received.length >= 1 && h.receiverAbandoned.length >= 1, 10_000);
    await h.sleep(100);
    const big = [...h.handles.values()].find((m) => m.number === 1)!;
    console.log(
      `  message 1: sequence ${big.firstSequenceNumber}..${big.lastSequenceNumber}; receiver abandoned runs ${JSON.stringify(h.receiverAbandoned)}; ` +
        `records seen ${h.far.receive.stats.records - records0}`,
    );
    assert.ok(ok, `received ${JSON.stringify(h.received)}, receiver abandoned ${JSON.stringify(h.receiverAbandoned)}`);
    assert.equal(h.received, [2]);
    // Its ack may come up to the receiver's delayed-ack time later (RFC 7016 3.6.3.4.1).
    assert.ok(await h.until(() => h.delivered.has(2), 1000), 'message 2 acknowledged');
    // Every run the receiver gave up on lies inside the cut-off message, and starts at its start
    // (its first fragments were buffered when the path went dark).
    for (const [first, last] of h.receiverAbandoned) {
      assert.ok(first >= big.firstSequenceNumber && last <= big.lastSequenceNumber, `run ${first}..${last}`);
    }
    assert.is(h.receiverAbandoned[0]![0], big.firstSequenceNumber);
  } finally {
    await h.close();
  }
});

test.run();
