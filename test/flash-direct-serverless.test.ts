// Serverless direct streams (`connect("rtmfp:")`) over real UDP on 127.0.0.1: the player reaches
// the publisher by its address and peer ID (RFC 7425 5.4, wire-reference E.8) with no server.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetStream } from '../src/flash/net-stream.js';
import { NetCallError } from '../src/flash/errors.js';
import type { NetConnection } from '../src/flash/net-connection.js';
import { PLAY_STREAM_ID_BASE } from '../src/flash/direct/direct-streams.js';
import { connect, LOOP, makeMessages, publishAll, Received, statusLog, statusOf, until } from './flash-direct-support.js';

const test = suite('serverless direct streams');

async function pair(): Promise<[NetConnection, NetConnection]> {
  return [await connect('rtmfp:'), await connect('rtmfp:')];
}

test('connect("rtmfp:") succeeds locally: our peer ID and a bound address, no server calls', async () => {
  const nc = await connect('rtmfp:');
  try {
    assert.ok(nc.connected);
    assert.match(nc.nearID, /^[0-9a-f]{64}$/);
    assert.is(nc.farID, '');
    assert.is(nc.localAddress?.address, LOOP);
    assert.ok((nc.localAddress?.port ?? 0) > 0);
    try {
      await nc.call('anything', {});
      assert.unreachable('call without a server');
    } catch (e) {
      assert.instance(e, NetCallError);
    }
    // Server streams do not exist here.
    const s = new NetStream(nc);
    await statusOf(s, 'NetStream.Connect.Failed', 1000);
    const closed = statusOf(nc, 'NetConnection.Connect.Closed', 1000);
    await nc.close();
    await closed;
    assert.is(nc.state, 'closed');
  } finally {
    await nc.close();
  }
});

test('one publishes, the other plays by address + peer ID: every message intact and in order; two plays share one session', async () => {
  const [a, b] = await pair();
  try {
    const pub = new NetStream(a, NetStream.DIRECT_CONNECTIONS);
    pub.mediaLifetimeMs = 30_000;
    const pub2 = new NetStream(a, NetStream.DIRECT_CONNECTIONS);
    await Promise.all([statusOf(pub, 'NetStream.Publish.Start'), statusOf(pub2, 'NetStream.Publish.Start'), (pub.publish('main'), pub2.publish('side'))]);
    pub.send('@setDataFrame', 'onMetaData', { duration: 0, audiocodecid: 10 });

    b.setPeerAddresses(a.nearID, [{ address: LOOP, port: a.localAddress!.port }]);
    const player = new NetStream(b, a.nearID);
    const codes = statusLog(player);
    const got = new Received(player);
    const start = statusOf(player, 'NetStream.Play.Start');
    player.play('main');
    await start;
    assert.equal(codes, ['NetStream.Connect.Success', 'NetStream.Play.Reset', 'NetStream.Play.Start']);

    const side = new NetStream(b, a.nearID);
    const sideStart = statusOf(side, 'NetStream.Play.Start');
    side.play('side');
    await sideStart;
    // The second play reused the session and took the next stream ID.
    assert.is(player.streamId, PLAY_STREAM_ID_BASE);
    assert.is(side.streamId, PLAY_STREAM_ID_BASE + 1);
    assert.is(b.directStreams.counters.peerSessionsOut, 1);
    assert.is(a.directStreams.counters.peerSessionsIn, 1);

    await until(() => got.metadata.length === 1, 2000, 'onMetaData');
    assert.equal(got.metadata[0], { duration: 0, audiocodecid: 10 });
    const messages = makeMessages(5, 75);
    publishAll(pub, messages);
    await until(() => got.count() >= messages.length, 10_000, 'every message');
    got.assertMatches(messages, 'player');
    // The other stream on the same session carried none of it.
    const sideGot = new Received(side);
    await new Promise((r) => setTimeout(r, 50));
    assert.is(sideGot.count(), 0);

    // Another subsystem (a group, say: "GR" flows, wire-reference F.4) shares the same peer
    // session through the endpoint's PeerSessions: it gets its flow, direct streams keep theirs.
    const groupGot: number[] = [];
    const unregister = a.directStreams.peerSessions!.register({
      prefix: Uint8Array.of(0x47, 0x52),
      claim: () => ({ onMessage: (_f, m) => void groupGot.push(...m) }),
    });
    const shared = b.directStreams.peerSessions!.get(a.nearID)!;
    assert.is(shared.users, 2, 'held by the two players');
    shared.session.openFlow(Uint8Array.of(0x47, 0x52, 0x1c)).write(Uint8Array.of(7, 7));
    await until(() => groupGot.length === 2, 2000, 'the group flow');
    assert.is(a.directStreams.peerSessions!.counters.flowsRejected, 0);
    unregister();
    publishAll(pub, messages.slice(0, 3));
    await until(() => got.count() >= messages.length + 3, 5000, 'direct media after the group flow');

    // The publisher's NetConnection closes: the player's stream ends.
    const ended = statusOf(player, 'NetStream.Connect.Closed', 5000);
    await a.close();
    await ended;
    assert.ok(codes.includes('NetStream.Play.UnpublishNotify') || codes.includes('NetStream.Connect.Closed'));
  } finally {
    await a.close();
    await b.close();
  }
});

test('serverless failures: no address for the peer -> Connect.Failed; nobody at the address -> Connect.Failed after the timeout; unknown name -> StreamNotFound', async () => {
  const [a, b] = await pair();
  const c = await connect('rtmfp:', { direct: { peerConnectTimeoutMs: 500 } });
  try {
    const nowhere = new NetStream(b, a.nearID);
    const failed = await statusOf(nowhere, 'NetStream.Connect.Failed', 1000);
    assert.match(String(failed.description), /no server/);

    // A's address but someone else's peer ID: A does not answer an IHello for another peer (B.2).
    c.setPeerAddresses('cd'.repeat(32), [{ address: LOOP, port: a.localAddress!.port }]);
    const wrong = new NetStream(c, 'cd'.repeat(32));
    const t0 = Date.now();
    await statusOf(wrong, 'NetStream.Connect.Failed', 3000);
    assert.ok(Date.now() - t0 >= 400, 'failed by the timeout');

    b.setPeerAddresses(a.nearID, [{ address: LOOP, port: a.localAddress!.port }]);
    const lost = new NetStream(b, a.nearID);
    const codes = statusLog(lost);
    const nf = statusOf(lost, 'NetStream.Play.StreamNotFound');
    lost.play('nobody');
    assert.is((await nf).level, 'error');
    assert.equal(codes, ['NetStream.Connect.Success', 'NetStream.Play.StreamNotFound']);
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

test.run();
