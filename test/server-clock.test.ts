// The server's timers run on the Clock it is given (issue 8 item 2): an instance's idle unload,
// a republisher's retry delay, close()'s wait for clients. On a ManualClock nothing happens until
// the clock moves, and everything due happens when it does, without sleeping.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AppInstance } from '../src/server/app-instance.js';
import { createRelayCounters } from '../src/stream/relay-counters.js';
import { ManualClock } from '../src/time/clock.js';
import { KeepAliveClock } from '../src/time/keep-alive-clock.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { Endpoint } from '../src/session/endpoint.js';
import { LOOP, until } from './support/flash-client.js';
import { PumpedClock } from './support/pumped-clock.js';

const test = suite('server clock');

/** Advances `clock` 100 ms at a time (letting I/O run between steps) until `p` settles. */
async function moving<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let settled = false;
  void p.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < 300 && !settled; i++) {
    clock.advance(100);
    await new Promise((res) => setTimeout(res, 2));
  }
  if (!settled) throw new Error('did not settle');
  return p;
}

test('AppInstance: idle unload at exactly idleUnloadMs on the given clock', () => {
  const clock = new ManualClock();
  const inst = new AppInstance('live', '_definst_', createRelayCounters(), { clock, idleUnloadMs: 30_000 });
  clock.advance(29_999);
  assert.ok(inst.loaded);
  const member = { kind: 'test' };
  inst.join(member);
  clock.advance(60_000);
  assert.ok(inst.loaded, 'a member keeps it');
  inst.leave(member);
  clock.advance(29_999);
  assert.ok(inst.loaded);
  clock.advance(1);
  assert.not.ok(inst.loaded);
});

test('StreamRepublisher: the reconnect delay runs on the instance clock', async () => {
  const clock = new ManualClock();
  const inst = new AppInstance('live', '_definst_', createRelayCounters(), { clock, keepLoaded: true });
  // Nothing listens there: the remote connection fails fast (its endpoint shares the clock, so
  // its handshake deadline is moved on by hand).
  const started = inst.republish('s', { uri: 'rtmfp://127.0.0.1:9/live' }, { reconnectMs: 5000, netConnection: { handshakeTimeoutMs: 1000 } });
  const r = await moving(clock, started);
  assert.is(r.state, 'waiting');
  const attempts = r.counters.reconnects;
  clock.advance(4999 - 100);
  assert.is(r.state, 'waiting', 'not before the delay');
  clock.advance(200);
  assert.is.not(r.state, 'waiting', 'the retry ran when the clock reached the delay');
  assert.ok(r.counters.reconnects >= attempts);
  await moving(clock, r.stop());
  inst.unload();
});

test('RtmfpServer: close() waits for clients at most closeWaitMs of its clock', async () => {
  const clock = new PumpedClock();
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, clock, closeWaitMs: 60_000 });
  const client = await Endpoint.listen({ host: LOOP });
  try {
    await client.connect({ addresses: [{ address: LOOP, port: server.port }], uri: `rtmfp://${LOOP}/live` });
    await until(() => server.clients.size === 1, 2000, 'the session');
    // The client stops hearing anything: it never answers the close.
    client.transport.attach(() => undefined);
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.not.ok(closed, 'waiting for the client');
    clock.jump(60_000);
    await closing;
    assert.ok(closed);
  } finally {
    clock.stop();
    await server.close();
    await client.close();
  }
});

test('KeepAliveClock: a timer holds the process (ref), never fires early', async () => {
  const clock = new KeepAliveClock();
  const t0 = clock.now();
  const fired = await new Promise<number>((resolve) => clock.setTimer(t0 + 20, () => resolve(clock.now())));
  assert.ok(fired >= t0 + 20);
  // The handle keeps the event loop alive: check through the active handles node reports.
  const h = clock.setTimer(clock.now() + 10_000, () => undefined);
  const active = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo();
  assert.ok(active.includes('Timeout'));
  h.cancel();
});

test.run();
