// What sessions cost: the reassembly memory shared and taken on demand, the key table and
// endpoint batches grown on demand, and a far-closed session lingering without buffers
// (issue "The engine for many peers" item 3; hardening item 4). Over the in-memory loop network.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ReferenceReassembler } from '../src/engine/reassembly/index.js';
import { KeyTable } from '../src/engine/key-table.js';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import { SESSION_REASSEMBLY_DEFAULTS, type Session } from '../src/session/session.js';
import { SharedReassembly } from '../src/session/shared-reassembly.js';
import { VirtualNetwork } from '../src/transport/virtual-network.js';
import { ManualClock } from '../src/time/clock.js';
import { runUntil, settle } from '../src/time/run-until.js';
import { Verdict } from '../src/engine/reassembly/types.js';
import { FragmentControl } from '../src/wire/chunks/user-data.js';

const test = suite('session memory');
const META = new TextEncoder().encode('memory-test');

test('a session-sized reference reassembler allocates nothing until data comes, and gives it back when its flows close', () => {
  const before = process.memoryUsage().arrayBuffers;
  const rs = Array.from({ length: 20 }, () => new ReferenceReassembler(SESSION_REASSEMBLY_DEFAULTS));
  const grown = process.memoryUsage().arrayBuffers - before;
  // It used to be 4.3 MiB each, zero-filled at construction.
  assert.ok(grown < 256 * 1024, `20 idle reassemblers took ${grown} bytes`);
  const r = rs[0]!;
  assert.ok(r.allocatedBytes() < 8 * 1024, `idle: ${r.allocatedBytes()}`);
  // Out-of-order fragments of one message far into the window: the flow's ring and the pool grow.
  const f = r.openFlow();
  const n = 40;
  for (let i = 0; i < n; i++) {
    r.batchFlow[i] = f;
    r.batchFlags[i] = (i === 0 ? FragmentControl.Begin : FragmentControl.Middle) << 4;
    r.batchSequence[i] = 500 + i;
    r.batchForward[i] = 0;
    r.batchOffset[i] = i * 1000;
    r.batchLength[i] = 1000;
  }
  r.process(n);
  for (let i = 0; i < n; i++) assert.is(r.batchVerdict[i], Verdict.Accepted);
  assert.is(r.stats().poolBlocksUsed, n);
  assert.ok(r.allocatedBytes() > 40 * 1000);
  r.closeFlow(f);
  assert.is(r.stats().poolBlocksUsed, 0);
  assert.ok(r.allocatedBytes() < 8 * 1024, `after close: ${r.allocatedBytes()}`);
});

test('the key table starts small, grows when a high slot is set, and never past its capacity', () => {
  const keys = new KeyTable(8192);
  assert.is(keys.capacity, 8192);
  assert.ok(keys.keys.byteLength <= KeyTable.INITIAL_SLOTS * KeyTable.KEY_BYTES, `initial ${keys.keys.byteLength}`);
  const key = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  keys.set(5000, key);
  assert.ok(keys.allocated > 5000 && keys.allocated <= 8192);
  assert.equal([...keys.key(5000)], [...key]);
  assert.ok(keys.generation(5000) > 0);
  assert.is(keys.generation(8000), 0);
  // A view made from the shared buffers (as a worker makes it) sees the growth and the key.
  const view = KeyTable.fromShared(keys.shared);
  assert.is(view.capacity, 8192);
  keys.set(8191, key);
  assert.equal([...view.key(8191)], [...key]);
  assert.throws(() => keys.set(8192, key), RangeError);
});

test('sessions share their endpoint reassembly: many idle sessions cost kilobytes, not megabytes', async () => {
  const clock = new ManualClock(1000, 7);
  const net = new VirtualNetwork({ clock });
  const server = await Endpoint.listen({ transport: net.bind(), clock, identity: createServerIdentity(), engine: { reassembly: 'reference' } });
  const clients: Endpoint[] = [];
  try {
    const before = process.memoryUsage().arrayBuffers;
    const n = 30;
    for (let i = 0; i < n; i++) clients.push(await Endpoint.listen({ transport: net.bind(), clock, engine: { reassembly: 'reference' } }));
    await settle(clock, Promise.all(clients.map((c) => c.connect({ uri: 'rtmfp://x/app', addresses: [{ address: server.address.address, port: server.address.port }] }))));
    assert.is(server.sessionCount, n);
    const perSession = (process.memoryUsage().arrayBuffers - before) / (2 * n);
    // Each session used to allocate 4.3 MiB (its own reassembler); each endpoint 2.7 MiB.
    assert.ok(perSession < 64 * 1024, `${perSession} bytes of array buffers per session`);
  } finally {
    for (const c of clients) await c.close();
    await server.close();
    net.close();
  }
});

test('a far-closed session lingers with sequence sets only: its flows give their buffers back', async () => {
  const clock = new ManualClock(1000, 7);
  const net = new VirtualNetwork({ clock });
  const server = await Endpoint.listen({ transport: net.bind(), clock, identity: createServerIdentity() });
  const client = await Endpoint.listen({ transport: net.bind(), clock });
  try {
    let far: Session | undefined;
    server.on('session', (s) => (far = s));
    const session = await settle(clock, client.connect({ uri: 'rtmfp://x/app', addresses: [{ address: server.address.address, port: server.address.port }] }));
    await runUntil(clock, () => far !== undefined);
    const far_ = far!;
    let got = false;
    far_.once('message', () => (got = true));
    session.openFlow(META).write(new Uint8Array(3000)); // the flow stays open (no FIN)
    await runUntil(clock, () => got);
    assert.is(far_.receive.stats.openFlows, 1);
    session.close();
    await runUntil(clock, () => far_.state === 'farclose');
    assert.is(far_.receive.stats.openFlows, 0, 'the lingering session holds no open receive flow');
    assert.is(far_.receive.stats.parkedFlows, 1, 'but remembers it, to re-ack');
  } finally {
    await client.close();
    await server.close();
    net.close();
  }
});

test('shards: each takes as many sessions as it has flow slots for, and an empty one is dropped', () => {
  const shared = new SharedReassembly({ reassembly: { maxFlows: 64 }, flowsPerSession: 32 });
  const a = shared.acquire();
  const b = shared.acquire();
  assert.is(a, b);
  const c = shared.acquire();
  assert.is.not(c, a);
  assert.is(shared.shardCount, 2);
  shared.release(c);
  assert.is(shared.shardCount, 1);
  shared.release(a);
  shared.release(b);
  assert.is(shared.shardCount, 0);
});

test.run();
