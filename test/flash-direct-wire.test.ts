// Wire form of a direct stream (RFC 7425 5.4, wire-reference E.8), checked against bare Endpoints
// that speak it by hand: a hand-made player against our publisher, and a librtmfp-style hand-made
// publisher (onStatus without the null, `@setDataFrame` to players) against our player.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetStream } from '../src/flash/net-stream.js';
import { Endpoint } from '../src/session/endpoint.js';
import type { Session } from '../src/session/session.js';
import type { ReceiveFlowInfo } from '../src/flow/receive-flow.js';
import { fromHex, toHex } from '../src/crypto/hex.js';
import { decodeFlashMessage, encodeCommandMessage, encodeDataMessage, FlashMessageType } from '../src/wire/flash/message.js';
import { makeStatusInfo } from '../src/wire/flash/status.js';
import type { AmfValue } from '../src/wire/amf/types.js';
import { connect, LOOP, statusLog, statusOf, until } from './flash-direct-support.js';

const test = suite('direct stream wire form');

/** TC metadata for stream 2000001 exactly as librtmfp sends it (wire-reference E.1). */
const TC_2000001 = Uint8Array.from([0x54, 0x43, 0x04, 0xfa, 0x89, 0x01]);

interface Seen {
  flow: ReceiveFlowInfo;
  bytes: Uint8Array;
}

test('our publisher answers a hand-made player: every flow carries the request\'s TC metadata and answers the request flow; StreamBegin, Reset, Start, |RtmpSampleAccess, onMetaData, then media', async () => {
  const a = await connect('rtmfp:');
  const raw = await Endpoint.listen({ host: LOOP });
  try {
    const pub = new NetStream(a, NetStream.DIRECT_CONNECTIONS);
    const started = statusOf(pub, 'NetStream.Publish.Start');
    pub.publish('cam');
    await started;
    pub.send('@setDataFrame', 'onMetaData', { width: 2 });

    const session: Session = await raw.connect({ peerId: fromHex(a.nearID, 32), addresses: [{ address: LOOP, port: a.localAddress!.port }] });
    const seen: Seen[] = [];
    session.on('message', (flow, m) => void seen.push({ flow, bytes: m.slice() }));
    const request = session.openFlow(TC_2000001);
    request.write(encodeCommandMessage({ name: 'play', transactionId: 0, commandObject: null, args: ['cam'] }));
    await until(() => seen.length >= 5, 3000, 'the publisher\'s answer');

    const audio = Uint8Array.from([0xaf, 0x01, 1, 2, 3]);
    const video = Uint8Array.from([0x17, 0x01, 9, 8, 7, 6]);
    assert.ok(pub.sendVideo(1000, video));
    assert.ok(pub.sendAudio(1001, audio));
    await until(() => seen.length >= 7, 3000, 'media');

    for (const s of seen) {
      assert.equal([...s.flow.metadata], [...TC_2000001], 'same TC metadata on every flow');
      assert.is(s.flow.associatedFlowId, request.flowId, 'every flow answers the request flow');
    }
    const control = seen.filter((s) => s.flow.flowId === seen[0]!.flow.flowId).map((s) => decodeFlashMessage(s.bytes));
    const c0 = control[0]!;
    assert.ok(c0.kind === 'user-control' && c0.event.kind === 'StreamBegin' && c0.event.streamId === 2_000_001, 'StreamBegin for the stream');
    const codes = control.flatMap((m) => (m.kind === 'command' && m.command.name === 'onStatus' ? [(m.command.args[0] as { code: string }).code] : []));
    assert.equal(codes, ['NetStream.Play.Reset', 'NetStream.Play.Start']);
    const data = control.flatMap((m) => (m.kind === 'data' ? [[m.data.handler, ...m.data.args]] : []));
    assert.equal(data, [
      ['|RtmpSampleAccess', true, true],
      ['onMetaData', { width: 2 }],
    ]);
    // Audio and video on two more flows, each message as it was published (E.2).
    const media = seen.filter((s) => s.flow.flowId !== seen[0]!.flow.flowId);
    assert.is(new Set(media.map((s) => s.flow.flowId)).size, 2);
    const v = media.find((s) => s.bytes[0] === FlashMessageType.Video)!;
    const au = media.find((s) => s.bytes[0] === FlashMessageType.Audio)!;
    assert.equal([...v.bytes], [0x09, 0, 0, 0x03, 0xe8, ...video]);
    assert.equal([...au.bytes], [0x08, 0, 0, 0x03, 0xe9, ...audio]);
    assert.is(pub.peerStreams?.[0]?.farID, toHex(raw.peerId));
  } finally {
    await a.close();
    await raw.close();
  }
});

test('our player against a librtmfp-style publisher: request flow TC/2000001 with no association, `play name`; onStatus without null and @setDataFrame are understood', async () => {
  const b = await connect('rtmfp:');
  const raw = await Endpoint.listen({ host: LOOP });
  try {
    const requests: Seen[] = [];
    raw.on('session', (s) => {
      s.on('message', (flow, m) => {
        requests.push({ flow, bytes: m.slice() });
        if (requests.length !== 1) return;
        // Answer as librtmfp's P2P publisher does (E.4 onStatus without the null, E.8 step 4).
        const out = s.openFlow(flow.metadata, { returnFlowAssociation: flow.flowId });
        const status = (code: string): Uint8Array =>
          encodeCommandMessage({ name: 'onStatus', transactionId: 0, commandObjectOmitted: true, args: [makeStatusInfo('status', code, code)] });
        out.write(status('NetStream.Play.Reset'));
        out.write(status('NetStream.Play.Start'));
        out.write(encodeDataMessage({ handler: '@setDataFrame', args: ['onMetaData', { fps: 25 }] }));
        const media = s.openFlow(flow.metadata, { returnFlowAssociation: flow.flowId });
        media.write(Uint8Array.from([0x08, 0, 0, 0, 40, 0xaf, 1, 0x55]));
      });
    });
    b.setPeerAddresses(toHex(raw.peerId), [{ address: LOOP, port: raw.address.port }]);
    const player = new NetStream(b, toHex(raw.peerId));
    const codes = statusLog(player);
    const meta: AmfValue[] = [];
    player.client.onMetaData = (m: AmfValue) => void meta.push(m);
    const audio: number[][] = [];
    player.on('audio', (t, p) => void audio.push([t, ...p]));
    player.play('stage');
    await until(() => audio.length === 1 && meta.length === 1, 3000, 'status, metadata and audio');
    assert.equal(codes, ['NetStream.Connect.Success', 'NetStream.Play.Reset', 'NetStream.Play.Start']);
    assert.equal(meta, [{ fps: 25 }]);
    assert.equal(audio, [[40, 0xaf, 1, 0x55]]);

    // What our player sent: one flow, TC metadata for 2000001, no association, then `play "stage"`.
    const first = requests[0]!;
    assert.equal([...first.flow.metadata], [...TC_2000001]);
    assert.is(first.flow.associatedFlowId, undefined);
    const m = decodeFlashMessage(first.bytes);
    assert.ok(m.kind === 'command');
    if (m.kind === 'command') {
      assert.is(m.command.name, 'play');
      assert.is(m.command.transactionId, 0);
      assert.is(m.command.commandObject, null);
      assert.equal(m.command.args, ['stage']);
    }

    // closeStream then FIN on the request flow when the player closes.
    const complete = new Promise<void>((r) => {
      for (const s of raw.allSessions()) s.on('flowComplete', () => r());
    });
    player.close();
    await complete;
    const last = decodeFlashMessage(requests[requests.length - 1]!.bytes);
    assert.ok(last.kind === 'command' && last.command.name === 'closeStream');
    assert.is(requests[requests.length - 1]!.flow.flowId, first.flow.flowId);
  } finally {
    await b.close();
    await raw.close();
  }
});

test('hostile player input: garbage and a non-string name are refused without harm; a valid play on the same session still works', async () => {
  const a = await connect('rtmfp:');
  const raw = await Endpoint.listen({ host: LOOP });
  try {
    const pub = new NetStream(a, NetStream.DIRECT_CONNECTIONS);
    const started = statusOf(pub, 'NetStream.Publish.Start');
    pub.publish('cam');
    await started;
    const session = await raw.connect({ peerId: fromHex(a.nearID, 32), addresses: [{ address: LOOP, port: a.localAddress!.port }] });
    const seen: Seen[] = [];
    session.on('message', (flow, m) => void seen.push({ flow, bytes: m.slice() }));
    // Undecodable bytes, then a command that is not play, then play with a number for a name.
    const bad = session.openFlow(Uint8Array.from([0x54, 0x43, 0x04, 0x07]));
    bad.write(Uint8Array.from([0x14, 0, 0, 0, 0, 0x02, 0xff, 0xff]));
    bad.write(encodeCommandMessage({ name: 'publish', transactionId: 0, commandObject: null, args: ['cam'] }));
    bad.write(encodeCommandMessage({ name: 'play', transactionId: 0, commandObject: null, args: [42] }));
    // Metadata that is not TC: no subsystem claims it, so the peer sessions reject it.
    session.openFlow(Uint8Array.from([0x47, 0x43])).write(Uint8Array.from([1, 2, 3]));
    await until(() => seen.length >= 1, 3000, 'the refusal');
    const refusal = decodeFlashMessage(seen[0]!.bytes);
    assert.ok(refusal.kind === 'command' && (refusal.command.args[0] as { code: string }).code === 'NetStream.Play.StreamNotFound');
    assert.is(seen[0]!.flow.associatedFlowId, bad.flowId);
    assert.is(a.directStreams.counters.malformed, 1);
    await until(() => a.directStreams.peerSessions?.counters.flowsRejected === 1, 3000, 'the GC flow rejected');
    assert.is(pub.peerStreams?.length, 0);

    const good = session.openFlow(TC_2000001);
    good.write(encodeCommandMessage({ name: 'play', transactionId: 0, commandObject: null, args: ['cam'] }));
    await until(() => pub.peerStreams?.length === 1, 3000, 'the valid play');
    assert.is(pub.peerStreams![0]!.streamId, 2_000_001);
  } finally {
    await a.close();
    await raw.close();
  }
});

test.run();
