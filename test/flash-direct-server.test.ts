// Direct (peer-to-peer) NetStreams between two clients of one RtmfpServer over real UDP on
// 127.0.0.1 (RFC 7425 5.4, wire-reference E.8): the server introduces the player to the
// publisher (B.5) and the media never passes through it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetStream } from '../src/flash/net-stream.js';
import type { NetConnection } from '../src/flash/net-connection.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { MAX_PEER_INFO_ADDRESSES as SERVER_MAX_PEER_INFO } from '../src/server/server-client.js';
import { formatIp } from '../src/wire/address.js';
import { MAX_PEER_INFO_ADDRESSES, peerInfoAddresses } from '../src/flash/direct/local-addresses.js';
import { PLAY_STREAM_ID_BASE } from '../src/flash/direct/direct-streams.js';
import type { AmfValue } from '../src/wire/amf/types.js';
import { connect, LOOP, makeMessages, mediaBytes, publishAll, Received, statusLog, statusOf, until } from './flash-direct-support.js';

const test = suite('direct streams through a server');

interface Rig {
  server: RtmfpServer;
  ncs: NetConnection[];
  uri: string;
}

async function rig(): Promise<Rig> {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0 });
  return { server, ncs: [], uri: `rtmfp://${LOOP}:${server.port}/live` };
}

async function teardown(r: Rig): Promise<void> {
  await Promise.all(r.ncs.map((nc) => nc.close()));
  await r.server.close();
}

async function client(r: Rig): Promise<NetConnection> {
  const nc = await connect(r.uri);
  r.ncs.push(nc);
  return nc;
}

test('setPeerInfo reports our address: the server holds it for introductions', async () => {
  const r = await rig();
  try {
    const nc = await client(r);
    await until(() => [...r.server.clients].some((c) => c.reportedAddresses.length > 0), 2000, 'setPeerInfo at the server');
    const c = [...r.server.clients][0]!;
    assert.equal(
      c.reportedAddresses.map((a) => `${formatIp(a)}:${a.port}`),
      [`${LOOP}:${nc.localAddress!.port}`],
    );
    // The bound matches the server's (it keeps no more than that).
    assert.is(MAX_PEER_INFO_ADDRESSES, SERVER_MAX_PEER_INFO);
    // Unspecified bind: every non-loopback interface address, no IPv6 link-local, IPv4 only for 0.0.0.0.
    const ifs = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '', mac: '', cidr: null }],
      eth0: [
        { address: '192.0.2.7', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null },
        { address: 'fe80::1', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 2 },
        { address: 'fd00::2', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 0 },
      ],
    } as unknown as Parameters<typeof peerInfoAddresses>[1];
    assert.equal(peerInfoAddresses({ address: '0.0.0.0', port: 4000, family: 4 }, ifs), ['192.0.2.7:4000']);
    assert.equal(peerInfoAddresses({ address: '::', port: 4000, family: 6 }, ifs), ['192.0.2.7:4000', '[fd00::2]:4000']);
    assert.equal(peerInfoAddresses({ address: '10.1.2.3', port: 5, family: 4 }, ifs), ['10.1.2.3:5']);
    const many = { eth: Array.from({ length: 40 }, (_, i) => ({ address: `10.0.0.${i + 1}`, family: 'IPv4', internal: false })) } as unknown as Parameters<typeof peerInfoAddresses>[1];
    assert.is(peerInfoAddresses({ address: '0.0.0.0', port: 1, family: 4 }, many).length, MAX_PEER_INFO_ADDRESSES);
  } finally {
    await teardown(r);
  }
});

test('A publishes DIRECT_CONNECTIONS, B plays by peer ID: every message intact and in order; media bytes never reach the server', async () => {
  const r = await rig();
  try {
    const a = await client(r);
    const b = await client(r);
    const pub = new NetStream(a, NetStream.DIRECT_CONNECTIONS);
    pub.mediaLifetimeMs = 30_000; // loopback: nothing should be given up
    const pubCodes = statusLog(pub);
    const started = statusOf(pub, 'NetStream.Publish.Start');
    pub.publish('cam');
    await started;
    // No server stream was created for it.
    assert.is(r.server.stats().streams, 0);
    // Metadata before any player: cached and replayed as onMetaData.
    pub.send('@setDataFrame', 'onMetaData', { width: 320, height: 240, codec: 'avc' });

    const serverBefore = { ...r.server.endpoint.counters };
    const player = new NetStream(b, a.nearID);
    const codes = statusLog(player);
    const got = new Received(player);
    const playStart = statusOf(player, 'NetStream.Play.Start');
    player.play('cam');
    await playStart;
    assert.equal(codes.slice(0, 3), ['NetStream.Connect.Success', 'NetStream.Play.Reset', 'NetStream.Play.Start']);
    assert.is(player.streamId, PLAY_STREAM_ID_BASE);
    await until(() => got.metadata.length === 1, 2000, 'onMetaData');
    assert.equal(got.metadata[0], { width: 320, height: 240, codec: 'avc' });
    // The publisher sees its subscriber.
    assert.is(pub.peerStreams?.length, 1);
    assert.is(pub.peerStreams![0]!.farID, b.nearID);
    assert.is(pub.peerStreams![0]!.name, 'cam');
    const introduced = { ...r.server.endpoint.counters };
    // The introduction itself is a handful of handshake packets through the server.
    assert.ok(introduced.bytesIn - serverBefore.bytesIn < 2000, `introduction: ${introduced.bytesIn - serverBefore.bytesIn} bytes in at the server`);

    const messages = makeMessages(11, 100);
    publishAll(pub, messages);
    const expected = messages.length;
    await until(() => got.count() >= expected, 10_000, `${expected} messages at the player`);
    got.assertMatches(messages, 'B');

    const stats = r.server.stats();
    assert.is(stats.relay.messagesIn, 0, 'the server relayed nothing');
    assert.is(stats.relay.bytesIn, 0);
    assert.is(stats.relay.messagesOut, 0);
    assert.is(stats.streams, 0);
    const after = r.server.endpoint.counters;
    const media = mediaBytes(messages);
    assert.ok(media > 150_000, `media ${media} bytes`);
    // Not one media byte went through the server: its traffic during the stream is at most keepalives.
    const through = after.bytesIn - introduced.bytesIn + (after.bytesOut - introduced.bytesOut);
    assert.ok(through < 1000, `server traffic during ${media} media bytes: ${through} bytes`);
    // The server's sessions with A and B carried only NetConnection traffic.
    for (const c of r.server.clients) assert.ok(c.session.counters.bytesIn < 10_000, `server session bytes in: ${c.session.counters.bytesIn}`);
    assert.equal(pubCodes, ['NetStream.Publish.Start']);

    // The publisher closes: the player is told.
    const unpublished = statusOf(player, 'NetStream.Play.UnpublishNotify');
    pub.close();
    await unpublished;
    assert.is(pub.peerStreams?.length ?? 0, 0);
  } finally {
    await teardown(r);
  }
});

test('two subscribers of one direct publisher share the stream; one leaving does not disturb the other', async () => {
  const r = await rig();
  try {
    const a = await client(r);
    const b = await client(r);
    const c = await client(r);
    const pub = new NetStream(a, NetStream.DIRECT_CONNECTIONS);
    pub.mediaLifetimeMs = 30_000;
    const connected: string[] = [];
    pub.client.onPeerConnect = (s: AmfValue) => {
      connected.push((s as unknown as { farID: string }).farID);
      return true;
    };
    const started = statusOf(pub, 'NetStream.Publish.Start');
    pub.publish('show');
    await started;

    const players = [new NetStream(b, a.nearID), new NetStream(c, a.nearID)];
    const got = players.map((p) => new Received(p));
    await Promise.all(
      players.map((p) => {
        const s = statusOf(p, 'NetStream.Play.Start');
        p.play('show');
        return s;
      }),
    );
    assert.equal(connected.sort(), [b.nearID, c.nearID].sort());
    assert.is(pub.peerStreams?.length, 2);

    const first = makeMessages(21, 50);
    publishAll(pub, first);
    await until(() => got.every((g) => g.count() >= first.length), 10_000, 'both players got the first part');
    got[0]!.assertMatches(first, 'B');
    got[1]!.assertMatches(first, 'C');
    // One encoding per message for both subscribers: the publication relayed each message once.
    const pubState = a.directStreams.publications.get('show')!;
    const media = first.filter((m) => m.kind !== 'data').length;
    assert.is(pubState.relayCounters.messagesIn, first.length);
    assert.is(pubState.relayCounters.messagesOut, 2 * first.length);
    assert.ok(media > 0);

    // B leaves; C keeps playing.
    players[0]!.close();
    await until(() => pub.peerStreams?.length === 1, 3000, 'the publisher to see B leave');
    assert.is(pub.peerStreams![0]!.farID, c.nearID);
    const second = makeMessages(22, 25).map((m) => (m.kind === 'data' ? m : { ...m, timestamp: m.timestamp + 10_000 }));
    publishAll(pub, second);
    await until(() => got[1]!.count() >= first.length + second.length, 10_000, 'C got the second part');
    got[1]!.assertMatches([...first, ...second], 'C');
    assert.is(got[0]!.count(), first.length, 'B got nothing after leaving');
  } finally {
    await teardown(r);
  }
});

test('unknown name -> Play.StreamNotFound; onPeerConnect false -> Play.Failed; unknown peer -> Connect.Failed; publisher NetConnection closes -> Connect.Closed', async () => {
  const r = await rig();
  try {
    const a = await client(r);
    const b = await client(r);
    const pub = new NetStream(a, NetStream.DIRECT_CONNECTIONS);
    let refuse = true;
    pub.client.onPeerConnect = () => !refuse;
    const started = statusOf(pub, 'NetStream.Publish.Start');
    pub.publish('room');
    await started;

    // The same name twice on one connection is refused.
    const dup = new NetStream(a, NetStream.DIRECT_CONNECTIONS);
    const bad = statusOf(dup, 'NetStream.Publish.BadName');
    dup.publish('room');
    await bad;

    const lost = new NetStream(b, a.nearID);
    const notFound = statusOf(lost, 'NetStream.Play.StreamNotFound');
    lost.play('nothing-here');
    const info = await notFound;
    assert.is(info.level, 'error');

    const refused = new NetStream(b, a.nearID);
    const failed = statusOf(refused, 'NetStream.Play.Failed');
    const refusedCodes = statusLog(refused);
    refused.play('room');
    assert.is((await failed).level, 'error');
    assert.not.ok(refusedCodes.includes('NetStream.Play.Start'));
    assert.is(pub.peerStreams?.length, 0);
    assert.ok(a.directStreams.counters.playRefused >= 2);

    // A peer ID nobody has: the server does not know it, the attempt times out.
    const b2 = await connect(r.uri, { direct: { peerConnectTimeoutMs: 600 } });
    r.ncs.push(b2);
    const ghost = new NetStream(b2, 'ab'.repeat(32));
    const gone = await statusOf(ghost, 'NetStream.Connect.Failed', 3000);
    assert.is(gone.level, 'error');
    assert.is(ghost.state, 'closed');
    // Not a peer ID at all.
    const junk = new NetStream(b2, 'xyz');
    await statusOf(junk, 'NetStream.Connect.Failed', 1000);

    // Accepted now; then the publisher's NetConnection goes away.
    refuse = false;
    const ok = new NetStream(b, a.nearID);
    const okCodes = statusLog(ok);
    const playing = statusOf(ok, 'NetStream.Play.Start');
    ok.play('room');
    await playing;
    const ended = statusOf(ok, 'NetStream.Connect.Closed', 5000);
    await a.close();
    await ended;
    assert.ok(okCodes.includes('NetStream.Play.UnpublishNotify') || okCodes.includes('NetStream.Connect.Closed'));
    assert.is(ok.state, 'closed');
  } finally {
    await teardown(r);
  }
});

test.run();
