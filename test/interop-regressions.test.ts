// Wire shapes that broke interop with rtmfp-cpp (docs/interop.md), reproduced without it: a bare
// Endpoint plays the server and records what our NetConnection / NetStream put on the wire.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetConnection } from '../src/flash/net-connection.js';
import { NetStream } from '../src/flash/net-stream.js';
import { Endpoint } from '../src/session/endpoint.js';
import { createServerIdentity } from '../src/session/handshake/identity.js';
import type { OutgoingFlow } from '../src/session/session.js';
import { encodeCommandMessage, FlashMessageDecoder } from '../src/wire/flash/message.js';

const test = suite('interop regressions');
const LOOP = '127.0.0.1';
const TC0 = [0x54, 0x43, 0x04, 0x00];
const TC1 = [0x54, 0x43, 0x04, 0x01];

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ascii = (s: string) => [...new TextEncoder().encode(s)];
/** AMF0 string (marker 02, u16 length). */
const amf0String = (s: string) => [0x02, 0x00, s.length, ...ascii(s)];
/** AMF0 number (marker 00, IEEE double big-endian). */
function amf0Number(n: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, n);
  return [0x00, ...b];
}
/** An AMF0 command message (type 14, timestamp 0): name, transaction 0, null, then `args` bytes. */
const command0 = (name: string, ...args: number[][]) => [0x14, 0, 0, 0, 0, ...amf0String(name), ...amf0Number(0), 0x05, ...args.flat()];

interface Seen {
  flowId: number;
  meta: number[];
  assoc: number | undefined;
  bytes: number[];
}

test('objectEncoding 3 negotiated (tcserver echoes it): publish, play, setPeerInfo and deleteStream are still plain AMF0, no AVM+ switch', async () => {
  // rtmfp-cpp's tcserver answers connect with the client's objectEncoding (3 for Flash-style
  // clients) but its AMF0 decoder stops at the AVM+ marker 0x11, so a switched publish name was
  // dropped and the publish never happened (issue 4).
  const raw = await Endpoint.listen({ host: LOOP, identity: createServerIdentity() });
  const nc = new NetConnection({ endpointOptions: { host: LOOP } });
  const seen: Seen[] = [];
  const decoder = new FlashMessageDecoder();
  let back: OutgoingFlow | undefined;
  let nextStream = 1;
  raw.on('session', (session) => {
    session.on('message', (f, m) => {
      seen.push({ flowId: f.flowId, meta: [...f.metadata], assoc: f.associatedFlowId, bytes: [...m] });
      if (f.associatedFlowId !== undefined) return;
      const msg = decoder.decode(m.slice());
      if (msg.kind !== 'command') return;
      back ??= session.openFlow(Uint8Array.from(TC0), { returnFlowAssociation: f.flowId });
      const c = msg.command;
      if (c.name === 'connect') {
        const info = { level: 'status', code: 'NetConnection.Connect.Success', objectEncoding: 3 };
        back.write(encodeCommandMessage({ name: '_result', transactionId: c.transactionId, commandObject: null, args: [info] }, { objectEncoding: 0 }));
      } else if (c.name === 'createStream') {
        back.write(encodeCommandMessage({ name: '_result', transactionId: c.transactionId, commandObject: null, args: [nextStream++] }, { objectEncoding: 0 }));
      }
    });
  });
  try {
    const info = await nc.connect(`rtmfp://${LOOP}:${raw.address.port}/live`);
    assert.is(info.code, 'NetConnection.Connect.Success');
    assert.is(nc.objectEncoding, 3);
    const pub = new NetStream(nc);
    pub.publish('cam');
    const player = new NetStream(nc);
    player.play('cam');
    await until(() => seen.filter((s) => s.assoc !== undefined).length >= 2, 5000, 'publish and play');
    pub.close();
    await until(() => seen.some((s) => s.bytes.length > 5 && s.bytes[7] === 12 && String.fromCharCode(...s.bytes.slice(8, 20)) === 'deleteStream'), 5000, 'deleteStream');

    const control = seen.filter((s) => s.assoc === undefined);
    const streamMsgs = seen.filter((s) => s.assoc !== undefined);
    // Stream 1 (publish) and 2 (play): TC metadata names the stream, association is our return flow.
    const publish = streamMsgs.find((s) => s.meta.join() === TC1.join());
    assert.ok(publish, 'a flow with TC metadata for stream 1');
    assert.equal(publish!.bytes, command0('publish', amf0String('cam'), amf0String('live')));
    const play = streamMsgs.find((s) => s.meta.join() === [0x54, 0x43, 0x04, 0x02].join());
    assert.ok(play, 'a flow with TC metadata for stream 2');
    assert.equal(play!.bytes, command0('play', amf0String('cam')));
    // closeStream on the stream's flow, deleteStream 1 on the NetConnection flow.
    assert.ok(streamMsgs.some((s) => s.meta.join() === TC1.join() && s.bytes.join() === command0('closeStream').join()), 'closeStream');
    assert.ok(control.some((s) => s.bytes.join() === command0('deleteStream', amf0Number(1)).join()), 'deleteStream 1 in AMF0');
    // setPeerInfo: our address as an AMF0 string.
    const peerInfo = control.find((s) => s.bytes.join().startsWith(command0('setPeerInfo').join()));
    assert.ok(peerInfo, 'setPeerInfo sent');
    const rest = peerInfo!.bytes.slice(command0('setPeerInfo').length);
    assert.is(rest[0], 0x02, 'first address is an AMF0 string, not an AVM+ switch (0x11)');
    const text = String.fromCharCode(...rest.slice(3, 3 + ((rest[1]! << 8) | rest[2]!)));
    assert.match(text, /^127\.0\.0\.1:\d+$/);
    player.close();
  } finally {
    await nc.close();
    await raw.close();
  }
});

test.run();
