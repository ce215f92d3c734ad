// Random and mutated datagrams (1 million in the full run) against a live server while a correct
// client keeps making round trips: the server answers the client throughout, sends the flood no
// more than the amplification factor allows, and exits cleanly afterwards.
import { udpFlood } from '../../../test/support/udp-flood.js';
import { Endpoint } from '../../../src/session/endpoint.js';
import { CorrectClient, Expectations, LOOPBACK, ServerProcess, type Attack } from '../harness.js';

export const fuzz: Attack = {
  name: 'fuzz',
  finding: 'issue 9: a flood of random and mutated datagrams never stops the server serving a correct client',
  async run({ short }) {
    const e = new Expectations();
    const server = await ServerProcess.start();
    const count = short ? 20_000 : 1_000_000;
    let client: CorrectClient | undefined;
    let stop = false;
    const cpu0 = server.cpuMs();
    try {
      client = await CorrectClient.connect(server.port);
      // Valid datagrams to mutate: what a real client sends while connecting (its startup packets).
      const valid: Uint8Array[] = [];
      const tap = await Endpoint.listen({ host: LOOPBACK });
      const send = tap.transport.send.bind(tap.transport);
      tap.transport.send = (d, to) => {
        if (valid.length < 64) valid.push(d.slice());
        send(d, to);
      };
      const s = await tap.connect({ uri: `rtmfp://${LOOPBACK}:${server.port}/live`, addresses: [{ address: LOOPBACK, port: server.port }] });
      s.openFlow(new Uint8Array([0x00, 0x54, 0x43, 0x04, 0x00])).write(new Uint8Array(200));
      await new Promise((r) => setTimeout(r, 200));
      await tap.close();
      const probing = (async () => {
        while (!stop) {
          await client!.probe();
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const report = await udpFlood({ target: { address: LOOPBACK, port: server.port }, count, seed: 9, valid, ratePerSec: short ? 20_000 : 50_000 });
      stop = true;
      await probing;
      const finalOk = await client.probe();
      e.check(finalOk, 'the correct client is not served after the flood');
      e.check(client.failed === 0, `${client.failed} of ${client.ok + client.failed} round trips failed during the flood`);
      e.check(server.child.exitCode === null, 'the server exited');
      return {
        metrics: { datagrams: report.sent, bytes: report.bytes, repliesToFlood: report.replies, probesOk: client.ok, probesFailed: client.failed, serverCpuMs: server.cpuMs() - cpu0 },
        failures: e.failures,
      };
    } finally {
      stop = true;
      await client?.close();
      const code = await server.stop();
      e.check(code === 0, `server exit code ${code}`);
    }
  },
};
