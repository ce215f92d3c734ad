// Issue 9, findings 5 and 8-10 (silence): sessions that complete the handshake and never send
// `connect` were kept forever and counted toward the cap, so one host could fill the server; and
// refusals were neither answered nor visible to an operator. Here one address (127.0.0.4) opens
// more bare sessions than its cap while a correct client connects from elsewhere: the server
// closes every silent session by its connect deadline, keeps serving the correct client, counts
// the refusals and logs them in a few summary lines, not one per session.
import { Endpoint } from '../../../src/session/endpoint.js';
import type { Session } from '../../../src/session/session.js';
import { CorrectClient, Expectations, LOOPBACK, ServerProcess, waitFor, type Attack } from '../harness.js';

const ATTACKER = '127.0.0.4';
const PER_ADDRESS = 16;
/** The server's connect deadline (RtmfpServer connectTimeoutMs default) plus slack. */
const DEADLINE_MS = 10_000 + 4_000;

export const silentSessions: Attack = {
  name: 'silent-sessions',
  finding: 'issue 9.5 and 9.8: sessions that never connect are closed by a deadline and capped per address; refusals are counted and summarised in the log',
  async run({ short }) {
    const e = new Expectations();
    const server = await ServerProcess.start(['--max-sessions-per-address', String(PER_ADDRESS)]);
    const count = short ? 24 : 200;
    const endpoints: Endpoint[] = [];
    const sessions: Session[] = [];
    let closedByServer = 0;
    let client: CorrectClient | undefined;
    const t0 = Date.now();
    try {
      for (let i = 0; i < count; i++) {
        const ep = await Endpoint.listen({ host: ATTACKER });
        endpoints.push(ep);
        try {
          const s = await ep.connect({ uri: `rtmfp://${LOOPBACK}:${server.port}/live`, addresses: [{ address: LOOPBACK, port: server.port }] });
          s.on('close', () => closedByServer++);
          sessions.push(s);
        } catch {
          /* refused at the handshake: fine */
        }
      }
      client = await CorrectClient.connect(server.port);
      e.check(await client.probe(), 'the correct client is not served while the silent sessions are held');
      await waitFor(() => closedByServer >= sessions.length, DEADLINE_MS, 100);
    } catch (err) {
      e.check(false, `threw: ${(err as Error).message}`);
    } finally {
      await client?.close();
      for (const ep of endpoints) await ep.close();
      await server.stop();
    }
    const elapsed = Date.now() - t0;
    e.check(closedByServer === sessions.length, `${sessions.length - closedByServer} of ${sessions.length} silent sessions still open after ${elapsed} ms`);
    const refusedLines = server.linesMatching(/^refused/).length;
    e.check(refusedLines > 0, 'no refusal was logged');
    e.check(refusedLines <= 6, `${refusedLines} refusal log lines for one attack (want a few summaries)`);
    return {
      metrics: { silentSessions: sessions.length, refusedAtHandshake: count - sessions.length, closedByServer, refusedLogLines: refusedLines, elapsedMs: elapsed },
      failures: e.failures,
    };
  },
};
