// The server's per-session AMF decoding budget (issue 9 item 7): a token bucket of decoded values
// per second. Unit tests on a manual time source, then one real-UDP smoke test: a client that
// keeps sending maximum-size AMF calls is refused, counted, and closed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DecodeBudget, DecodeBudgetError, DEFAULT_DECODE_BURST_VALUES, DEFAULT_DECODE_VALUES_PER_SECOND } from '../src/server/decode-budget.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import type { ServerClient } from '../src/server/server-client.js';
import { AmfError } from '../src/wire/amf/errors.js';
import { encodeCommandMessage, encodeFlashMessageFrame, FlashMessageDecoder, FlashMessageType } from '../src/wire/flash/message.js';
import type { AmfValue } from '../src/wire/amf/types.js';
import { LOOP, until, statusOf, connectLocal } from './support/flash-client.js';

const test = suite('AMF decode budget');

/** A call whose argument is an array of n nulls: n + 5 values. */
const call = (n: number): Uint8Array =>
  encodeCommandMessage({ name: 'echo', transactionId: 1, commandObject: null, args: [new Array<AmfValue>(n).fill(null)] });
const valuesOf = (n: number): number => n + 4; // name, id, null, array, n nulls

function refused(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof DecodeBudgetError && e.code === 'ERR_DECODE_BUDGET') return true;
    throw e;
  }
}

test('values are charged; an empty bucket refuses AMF messages undecoded and refills with time', () => {
  let now = 0;
  const b = new DecodeBudget(() => now, { valuesPerSecond: 1000, burstValues: 2000, maxRefusals: 100 });
  const d = new FlashMessageDecoder();
  const m = call(996); // 1000 values
  assert.is(b.decode(d, m).kind, 'command');
  assert.is(b.available, 1000);
  b.decode(d, m);
  assert.is(b.available, 0);
  assert.ok(refused(() => b.decode(d, m)));
  assert.is(b.refused, 1);
  // Audio and video carry no AMF: never refused.
  assert.is(b.decode(d, encodeFlashMessageFrame({ type: FlashMessageType.Video, timestamp: 0, payload: new Uint8Array(10) })).kind, 'video');
  now += 1; // one value's worth: enough to admit one message, which overdraws
  assert.is(b.decode(d, m).kind, 'command');
  assert.ok(b.available < 0);
  assert.ok(refused(() => b.decode(d, m)));
  now += 3000;
  assert.is(b.available, 2000, 'refilled up to the burst, no further');
  assert.is(b.charged, 3000);
});

test('a message that fails to decode is charged the values it read', () => {
  const b = new DecodeBudget(() => 0, { valuesPerSecond: 1, burstValues: 100_000 });
  const d = new FlashMessageDecoder({ maxValues: 500 });
  try {
    b.decode(d, call(1000));
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof AmfError && e.code === 'ERR_AMF_LIMIT', String(e));
  }
  assert.is(b.charged, 4, 'the array was refused at its count, after 4 values');
  // A short frame charges nothing (no AMF was read).
  assert.throws(() => b.decode(d, new Uint8Array([0x14, 0])));
  assert.is(b.charged, 4);
});

test('maxRefusals refusals within one refusal window: onExhausted once; refusals spread wider do not add up', () => {
  let now = 0;
  let exhausted = 0;
  const b = new DecodeBudget(() => now, { valuesPerSecond: 1000, burstValues: 1000, maxRefusals: 3, refusalWindowMs: 1000, onExhausted: () => exhausted++ });
  const d = new FlashMessageDecoder();
  const m = call(996);
  b.decode(d, m);
  // Two refusals, then the window passes (and the bucket refills): the count starts again.
  assert.ok(refused(() => b.decode(d, m)));
  assert.ok(refused(() => b.decode(d, m)));
  now += 1000;
  b.decode(d, m);
  for (let i = 0; i < 2; i++) assert.ok(refused(() => b.decode(d, m)));
  assert.is(exhausted, 0);
  // An admitted message in between does not reset the window: a client alternating one admitted
  // message with refused ones is still persisting.
  now += 999;
  b.decode(d, m);
  assert.ok(refused(() => b.decode(d, m)));
  assert.is(exhausted, 1);
  assert.ok(refused(() => b.decode(d, m)));
  assert.is(exhausted, 1, 'reported once');
  assert.is(b.refused, 6);
});

test('over UDP: a client flooding maximum-size AMF calls is refused (counted) and closed; the server answers the calls it decoded', async () => {
  let client: ServerClient | undefined;
  let answered = 0;
  const server = await RtmfpServer.listen({
    host: LOOP,
    port: 0,
    onConnect: (c) => ((client = c), true),
    methods: { echo: () => ++answered },
  });
  const nc = await connectLocal(server.port);
  try {
    const closed = statusOf(nc, 'NetConnection.Connect.Closed', 20_000);
    const t0 = Date.now();
    // 65,000 nulls: ~65 KB and 65,004 values a call, just under the per-message limit. The
    // burst admits four; refill (131,072/s) two a second. The client sends as fast as its flow
    // takes them (a full send buffer throws; wait and retry) until the server closes it.
    const big = new Array<AmfValue>(65_000).fill(null);
    let over = false;
    void closed.then(() => (over = true), () => (over = true));
    for (let i = 0; i < 400 && !over; i++) {
      try {
        nc.call('echo', null, big).catch(() => undefined);
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await closed;
    await until(() => client?.state === 'closed', 5000, 'the server to close the client');
    const budget = client!.decodeBudget;
    assert.ok(budget.refused >= 32, `refused ${budget.refused}`);
    assert.is(client!.malformedMessages, 0, 'refusals are not counted as malformed');
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(answered >= 4, `answered ${answered} calls`);
    const rest = budget.charged - answered * valuesOf(65_000);
    assert.ok(rest >= 0 && rest < 1000, `only the answered calls (and connect) were decoded: ${rest} other values`);
    // The bucket's bound: the burst, the refill over the elapsed time, and one message's overdraft.
    const bound = DEFAULT_DECODE_BURST_VALUES + DEFAULT_DECODE_VALUES_PER_SECOND * seconds + valuesOf(65_000);
    assert.ok(budget.charged <= bound, `charged ${budget.charged} values in ${seconds} s, bound ${bound}`);
  } finally {
    await nc.close();
    await server.close();
  }
});

test.run();
