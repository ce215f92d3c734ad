// Per-flow state of a server client (issue 9 item 6): the map from a client's NetStream flows to
// its streams held an entry for every flow the session ever opened (about 35 bytes each, for the
// life of the session). It now holds the open flows only: entries go when a flow completes, its
// stream is deleted or it is refused. Real UDP on 127.0.0.1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetStream } from '../src/flash/net-stream.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { LOOP, until, statusOf, connectLocal } from './support/flash-client.js';

const test = suite('server stream flows');

test('publishing and closing 30 NetStreams in turn leaves no per-flow entries behind', async () => {
  const server = await RtmfpServer.listen({ host: LOOP, port: 0 });
  const nc = await connectLocal(server.port);
  try {
    const client = [...server.clients][0]!;
    let peak = 0;
    for (let i = 0; i < 30; i++) {
      const ns = new NetStream(nc);
      const started = statusOf(ns, 'NetStream.Publish.Start');
      ns.publish(`s${i}`);
      await started;
      ns.sendAudio(i, new Uint8Array([0xaf, 1, 2, 3]));
      await until(() => client.trackedStreamFlows > 0, 2000, 'the server to see the stream flow');
      peak = Math.max(peak, client.trackedStreamFlows);
      ns.close();
      await until(() => client.streams.size === 0, 2000, `stream ${i} deleted`);
    }
    await until(() => client.trackedStreamFlows === 0, 3000, `per-flow entries to go (left: ${client.trackedStreamFlows})`);
    assert.ok(peak <= 2, `at most the open flows are tracked (peak ${peak})`);
  } finally {
    await nc.close();
    await server.close();
  }
});

test.run();
