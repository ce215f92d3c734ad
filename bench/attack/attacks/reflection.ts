// Issue 9, finding 2: a connected client sent Forwarded IHello chunks (RFC 7016 3.5.1.5) naming
// addresses of its choosing, and the server sent RHellos there, outside any budget. A plain
// client is not a server this endpoint trusts: nothing may reach the victim.
import dgram from 'node:dgram';
import { Endpoint } from '../../../src/session/endpoint.js';
import { ChunkType } from '../../../src/wire/chunk-type.js';
import { encodeEpd } from '../../../src/wire/epd.js';
import { socketAddressFromEndpoint } from '../../../src/transport/socket-address.js';
import type { ForwardedIHelloChunk } from '../../../src/wire/chunks/hello.js';
import { Expectations, LOOPBACK, ServerProcess, sleep, type Attack } from '../harness.js';

const VICTIM = '127.0.0.3';

export const reflection: Attack = {
  name: 'reflection',
  finding: 'issue 9.2: only trusted servers may forward hellos; a client cannot aim the server at a victim',
  async run({ short }) {
    const e = new Expectations();
    const server = await ServerProcess.start();
    const victim = dgram.createSocket('udp4');
    await new Promise<void>((r) => victim.bind(0, VICTIM, () => r()));
    let victimBytes = 0;
    let victimDatagrams = 0;
    victim.on('message', (m) => {
      victimBytes += m.length;
      victimDatagrams++;
    });
    const client = await Endpoint.listen({ host: LOOPBACK });
    const count = short ? 50 : 2000;
    let sentBytes = 0;
    try {
      const session = await client.connect({ uri: `rtmfp://${LOOPBACK}:${server.port}/live`, addresses: [{ address: LOOPBACK, port: server.port }] });
      const replyAddress = socketAddressFromEndpoint({ address: VICTIM, port: victim.address().port });
      const epd = encodeEpd({ ancillaryData: `rtmfp://${LOOPBACK}:${server.port}/live` });
      for (let i = 0; i < count; i++) {
        const chunk: ForwardedIHelloChunk = { type: ChunkType.ForwardedIHello, epd, replyAddress, tag: new Uint8Array(16).fill(i & 0xff) };
        session.sendForwardedIHello(chunk);
        sentBytes += epd.length + 7 + 16 + 4;
        if (i % 20 === 19) await sleep(5);
      }
      await sleep(1000);
      session.close();
    } finally {
      await client.close();
      victim.close();
      await server.stop();
    }
    e.check(victimDatagrams === 0, `the victim received ${victimDatagrams} datagrams (${victimBytes} bytes) reflected by the server`);
    return { metrics: { forwardedHellos: count, forwardedBytes: sentBytes, victimDatagrams, victimBytes }, failures: e.failures };
  },
};
