// Real-UDP smoke test of the live relay (127.0.0.1, port 0): one publisher, three players, one
// second of synthetic audio and video; every message arrives intact and in order. The relay's
// behaviour (20 players, a throttled player, hooks, late joiners) is covered on the virtual
// network in server-relay.test.ts; 20 players over UDP is a soak run (soak/relay.soak.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetStream } from '../src/flash/net-stream.js';
import type { NetConnection } from '../src/flash/net-connection.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { connectLocal as connect, LOOP, statusOf } from './support/flash-client.js';
import { waitFor } from './support/wait.js';

function frame(kind: 'audio' | 'video', i: number): Uint8Array {
  const p = new Uint8Array(kind === 'video' ? 1500 + ((i * 997) % 3000) : 200);
  for (let k = 0; k < p.length; k++) p[k] = (i * 31 + k) & 0xff;
  p[0] = kind === 'video' ? (i % 25 === 0 ? 0x17 : 0x27) : 0xaf;
  p[1] = 1;
  return p;
}

test('one publisher, three players over UDP: every message intact and in order', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const ncs: NetConnection[] = [];
  try {
    const got: string[][] = [];
    for (let n = 0; n < 3; n++) {
      const nc = await connect(server.port);
      ncs.push(nc);
      const ns = new NetStream(nc);
      const start = statusOf(ns, 'NetStream.Play.Start', 30_000);
      ns.play('cam');
      await start;
      const list: string[] = [];
      ns.on('video', (t, p) => list.push(`v${t}:${p.length}:${p[2]}`));
      ns.on('audio', (t, p) => list.push(`a${t}:${p.length}:${p[2]}`));
      got.push(list);
    }
    const pubNc = await connect(server.port);
    ncs.push(pubNc);
    const pub = new NetStream(pubNc);
    const started = statusOf(pub, 'NetStream.Publish.Start', 30_000);
    pub.publish('cam');
    await started;
    const expected: string[] = [];
    // One second of 25 fps video and 50 audio messages, paced a tick at a time.
    for (let i = 0; i < 25; i++) {
      const v = frame('video', i);
      const a = frame('audio', i);
      assert.ok(pub.sendVideo(i * 40, v) && pub.sendAudio(i * 40, a));
      expected.push(`v${i * 40}:${v.length}:${v[2]}`, `a${i * 40}:${a.length}:${a[2]}`);
      await new Promise((r) => setTimeout(r, 40));
    }
    await waitFor(() => got.every((l) => l.length >= expected.length), 60_000, () => `players: ${got.map((l) => l.length).join(', ')} of ${expected.length}`);
    const only = (l: string[], k: string): string[] => l.filter((x) => x[0] === k);
    for (const l of got) {
      assert.equal(only(l, 'v'), only(expected, 'v'));
      assert.equal(only(l, 'a'), only(expected, 'a'));
    }
    assert.is(server.stats().players, 3);
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await server.close();
  }
});

test.run();
