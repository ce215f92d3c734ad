// Issue 9, finding 8: a connect whose arguments were too large, too deep or declared impossible
// sizes got no reply and the session stayed "connecting". Each must be answered
// NetConnection.Connect.Rejected with a reason promptly, and the server must keep serving a
// correct client. The connects are written raw on a bare session (our own NetConnection refuses
// to encode them).
import { Endpoint } from '../../../src/session/endpoint.js';
import { encodeTcMetadata } from '../../../src/wire/flash/tc-metadata.js';
import { connectMessage, HOSTILE_CONNECT_ARGS as CASES } from '../../../test/support/hostile-connects.js';
import { CorrectClient, Expectations, LOOPBACK, ServerProcess, waitFor, type Attack } from '../harness.js';

const REJECTED = Buffer.from('NetConnection.Connect.Rejected');

export const hostileConnect: Attack = {
  name: 'hostile-connect',
  finding: 'issue 9.8: connects too large, too deep or declaring impossible sizes are answered Connect.Rejected',
  async run({ short }) {
    const e = new Expectations();
    const server = await ServerProcess.start();
    const rounds = short ? 1 : 10;
    let rejected = 0;
    let slowest = 0;
    let client: CorrectClient | undefined;
    const ep = await Endpoint.listen({ host: LOOPBACK });
    try {
      for (let r = 0; r < rounds; r++) {
        for (const [name, args] of CASES) {
          const s = await ep.connect({ uri: `rtmfp://${LOOPBACK}:${server.port}/live`, addresses: [{ address: LOOPBACK, port: server.port }] });
          let answered = false;
          s.on('message', (_f, m) => {
            if (Buffer.from(m).includes(REJECTED)) answered = true;
          });
          const t0 = Date.now();
          s.openFlow(encodeTcMetadata(0)).write(connectMessage(args));
          await waitFor(() => answered, 5000);
          slowest = Math.max(slowest, Date.now() - t0);
          if (e.check(answered, `${name}: no Connect.Rejected within 5 s`)) rejected++;
          s.abort();
        }
      }
      client = await CorrectClient.connect(server.port);
      e.check(await client.probe(), 'the correct client is not served');
    } finally {
      await client?.close();
      await ep.close();
      await server.stop();
    }
    return { metrics: { connects: rounds * CASES.length, rejected, slowestAnswerMs: slowest }, failures: e.failures };
  },
};
