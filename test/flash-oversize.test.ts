// Oversized messages (issue 9 item 8): a message longer than a receiver reassembles used to be
// accepted, fill the receiver's flow buffer (window 0) and stall the flow for good. The sender
// now refuses it with a typed error; the largest allowed message is delivered and the stream
// keeps flowing. Flow limits with no network; one real-UDP run through the server.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_NETSTREAM_MESSAGE_BYTES, NetStream } from '../src/flash/net-stream.js';
import { MAX_MESSAGE_FRAGMENTS, SendFlow, SendFlowError } from '../src/flow/send-flow.js';
import { DEFAULT_REASSEMBLY_CONFIG, resolveReassemblyConfig } from '../src/engine/reassembly/types.js';
import { mssForPacketLength } from '../src/flow/congestion.js';
import { SESSION_REASSEMBLY_DEFAULTS } from '../src/session/session.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import type { NetConnection } from '../src/flash/net-connection.js';
import { ManualClock } from '../src/time/clock.js';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { Session } from '../src/session/session.js';
import { LOOP, until, statusOf, connectLocal as connect } from './support/flash-client.js';

const test = suite('oversized messages');

const tooLarge = (e: unknown): boolean => e instanceof SendFlowError && e.code === 'ERR_FLOW_MESSAGE_TOO_LARGE';

test('a flow takes messages up to what a receiver reassembles (MAX_MESSAGE_FRAGMENTS fragments), no more', () => {
  // The receiver's cap, as sessions configure it.
  assert.is(resolveReassemblyConfig({ ...DEFAULT_REASSEMBLY_CONFIG, ...SESSION_REASSEMBLY_DEFAULTS }).maxFragmentsPerMessage, MAX_MESSAGE_FRAGMENTS);
  const mss = mssForPacketLength(1192);
  const flow = new SendFlow({ flowId: 1, metadata: new Uint8Array(1), clock: new ManualClock(), mss, bufferCapacity: 64 << 20 });
  assert.is(flow.maxMessageLength, MAX_MESSAGE_FRAGMENTS * mss);
  flow.write(new Uint8Array(flow.maxMessageLength));
  assert.throws(() => flow.write(new Uint8Array(flow.maxMessageLength + 1)), tooLarge);
  assert.throws(() => flow.write(new Uint8Array(10_000_000)), tooLarge);
  // NetStream's documented maximum fits every packet length down to 1063 bytes.
  assert.ok(MAX_NETSTREAM_MESSAGE_BYTES <= MAX_MESSAGE_FRAGMENTS * mssForPacketLength(1063));
});

test('over UDP: a 10 MB video message throws ERR_FLOW_MESSAGE_TOO_LARGE (before and after Publish.Start); a 1 MiB one is delivered and the stream goes on', async () => {
  // Long lifetimes: on a loaded machine 1 MiB may take longer than the default 2 s to cross.
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, mediaLifetimeMs: 30_000 });
  const ncs: NetConnection[] = [];
  try {
    const playerNc = await connect(server.port);
    const pubNc = await connect(server.port);
    ncs.push(playerNc, pubNc);
    const player = new NetStream(playerNc);
    const playing = statusOf(player, 'NetStream.Play.Start');
    player.play('big');
    await playing;
    const got: number[] = [];
    player.on('video', (t, p) => got.push(t, p.length));

    const pub = new NetStream(pubNc);
    pub.mediaLifetimeMs = 30_000;
    const started = statusOf(pub, 'NetStream.Publish.Start');
    pub.publish('big');
    const huge = new Uint8Array(10_000_000);
    huge[0] = 0x17;
    huge[1] = 1;
    assert.throws(() => pub.sendVideo(0, huge), tooLarge, 'refused while waiting for Publish.Start');
    assert.throws(() => pub.send('onBlob', huge), tooLarge, 'a data message too');
    await started;
    assert.throws(() => pub.sendVideo(0, huge), tooLarge, 'refused once publishing');
    const max = huge.subarray(0, MAX_NETSTREAM_MESSAGE_BYTES - 5);
    assert.throws(() => pub.sendVideo(0, huge.subarray(0, max.length + 1)), tooLarge);
    assert.ok(pub.sendVideo(0, max), 'the largest message is accepted');
    // Keyframes after it (the relay may drop some while the player's flow holds the 1 MiB frame).
    let t = 0;
    const ticker = setInterval(() => pub.sendVideo((t += 40), Uint8Array.of(0x17, 1, 0, 0, 0, 1)), 40);
    try {
      await until(() => got.length >= 2 && got[got.length - 2]! >= 400, 10_000, 'the 1 MiB frame and frames well after it');
    } finally {
      clearInterval(ticker);
    }
    assert.equal(got.slice(0, 2), [0, max.length], 'the 1 MiB frame first, whole');
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test('over UDP: a sender that ignores the limit (a foreign implementation) gets a flow exception instead of retransmitting forever into a zero window', async () => {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const client = await Endpoint.listen({ host: LOOP });
  try {
    const accepted = new Promise<Session>((r) => server.once('session', r));
    const session = await client.connect({ uri: 'rtmfp://localhost/app', addresses: [server.address] });
    const far = await accepted;
    const got: number[] = [];
    far.on('message', (_f, m) => got.push(m.length));
    const flow = session.openFlow(new TextEncoder().encode('big'), { bufferCapacity: 8 << 20 });
    // What a sender without our check would do: lift the flow's limit.
    (flow.flow as { maxMessageLength: number }).maxMessageLength = 64 << 20;
    const exception = new Promise<number>((r) => flow.once('exception', r));
    flow.write(new Uint8Array(1000));
    flow.write(new Uint8Array(3 << 20));
    const code = await Promise.race([exception, new Promise<string>((r) => setTimeout(() => r('none'), 8000))]);
    assert.is(typeof code, 'number', 'the sender was told by a Flow Exception Report');
    assert.ok(far.receive.stats.refusedMessageLimit >= 1);
    assert.equal(got, [1000], 'the message before it was delivered');
    assert.is(flow.bufferedBytes, 0, 'nothing left to retransmit');
  } finally {
    await client.close();
    await server.close();
  }
});

test.run();
