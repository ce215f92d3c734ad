// Issue 9, finding 8: a connect whose arguments were too large, too deep or declared impossible
// sizes got no reply and the session stayed "connecting". Each must be answered
// NetConnection.Connect.Rejected with a reason promptly, and the server must keep serving a
// correct client. The connects are written raw on a bare session (our own NetConnection refuses
// to encode them).
import { Endpoint } from '../../../src/session/endpoint.js';
import { encodeTcMetadata } from '../../../src/wire/flash/tc-metadata.js';
import { CorrectClient, Expectations, LOOPBACK, ServerProcess, waitFor, type Attack } from '../harness.js';

/** A command message (type 0x14) `connect 1 {app: "live"}` followed by `args` (raw AMF0). */
function connectMessage(args: Uint8Array): Uint8Array {
  const str = (s: string): number[] => [0x02, 0, s.length, ...Buffer.from(s)];
  const key = (s: string): number[] => [0, s.length, ...Buffer.from(s)];
  const one = [0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0];
  const start = Uint8Array.from([0x14, 0, 0, 0, 0, ...str('connect'), ...one, 0x03, ...key('app'), ...str('live'), 0, 0, 0x09]);
  const out = new Uint8Array(start.length + args.length);
  out.set(start);
  out.set(args, start.length);
  return out;
}

function deep(levels: number): Uint8Array {
  const out = new Uint8Array(levels * 5 + 1);
  for (let i = 0; i < levels; i++) out.set([0x0a, 0, 0, 0, 1], i * 5); // a strict array of one
  out[levels * 5] = 0x05;
  return out;
}

const CASES: [string, Uint8Array][] = [
  ['nested 70 deep', deep(70)],
  ['1.1 MB of nulls', new Uint8Array(1_100_000).fill(0x05)],
  ['a string declared 4 GB', Uint8Array.from([0x0c, 0xff, 0xff, 0xff, 0xff, 0x41, 0x41])],
];

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
