// Connects that do not decode (issue 9 item 8): too deep, too many values (1.2 MB), a 4 GB
// declared string. Each is answered `_error` NetConnection.Connect.Rejected with the decoder's
// reason (the session was left "connecting" in silence), counted in stats().refusals and logged
// once per interval, not once per connect. Real UDP on 127.0.0.1; raw sessions write the bytes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../src/session/endpoint.js';
import { RtmfpServer } from '../src/server/rtmfp-server.js';
import { RefusalLog } from '../src/server/refusal-log.js';
import type { ServerLogger } from '../src/server/server-logger.js';
import { encodeTcMetadata } from '../src/wire/flash/tc-metadata.js';
import { decodeFlashMessage } from '../src/wire/flash/message.js';
import { ManualClock } from '../src/time/clock.js';
import { LOOP, until } from './support/flash-client.js';
import { connectMessage, HOSTILE_CONNECT_ARGS as CASES } from './support/hostile-connects.js';

const test = suite('hostile connect');

class Capture implements ServerLogger {
  readonly lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
  debug(): void {}
  info(): void {}
  warn(obj: object, msg?: string): void {
    this.lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg?: string): void {
    this.lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg });
  }
}

test('each undecodable connect is answered Connect.Rejected with the reason; counted; logged once', async () => {
  const logger = new Capture();
  const server = await RtmfpServer.listen({ host: LOOP, port: 0, logger, refusalLogIntervalMs: 60_000 });
  const client = await Endpoint.listen({ host: LOOP });
  try {
    for (const [what, args] of CASES) {
      const session = await client.connect({ addresses: [{ address: LOOP, port: server.port }], uri: `rtmfp://${LOOP}/live` });
      let reply: ReturnType<typeof decodeFlashMessage> | undefined;
      session.on('message', (_flow, m) => (reply ??= decodeFlashMessage(m.slice())));
      session.openFlow(encodeTcMetadata(0)).write(connectMessage(args));
      await until(() => reply !== undefined, 8000, `an answer to the connect ${what}`);
      const r = reply!;
      assert.is(r.kind, 'command', what);
      if (r.kind !== 'command') return;
      const c = r.command;
      assert.is(c.name, '_error', what);
      assert.is(c.transactionId, 1, what);
      const info = c.args[0] as Record<string, unknown>;
      assert.is(info.code, 'NetConnection.Connect.Rejected', what);
      assert.match(String(info.description), /ERR_AMF_/, what);
      // The rejected session is closed after the answer, not left "connecting".
      await until(() => session.state !== 'open', 5000, `the session (${what}) to close`);
    }
    assert.is(server.stats().refusals.malformedConnect, CASES.length);
    const refused = logger.lines.filter((l) => String(l.msg).startsWith('refused'));
    assert.is(refused.length, 1, `one line for three refusals in the interval: ${JSON.stringify(refused)}`);
    assert.is(refused[0]!.obj.refusal, 'malformedConnect');
  } finally {
    await client.close();
    await server.close();
  }
});

test('RefusalLog: the first refusal logged, the rest of the interval in one summary, quiet intervals silent', () => {
  const clock = new ManualClock();
  const logger = new Capture();
  const log = new RefusalLog(clock, logger, 1000);
  for (let i = 0; i < 500; i++) log.note(i % 2 ? 'perAddress' : 'connectTimeout', { i });
  assert.is(logger.lines.length, 1);
  assert.is(log.counters.connectTimeout, 250);
  assert.is(log.counters.perAddress, 250);
  clock.advance(1000);
  assert.is(logger.lines.length, 2);
  assert.equal(logger.lines[1]!.obj.refusals, { perAddress: 250, connectTimeout: 249 });
  assert.is(logger.lines[1]!.obj.total, 499);
  clock.advance(5000);
  assert.is(logger.lines.length, 2, 'nothing more while quiet');
  log.note('serverFull', {});
  assert.is(logger.lines.length, 3, 'after a quiet interval the next refusal is logged at once');
  log.close();
});

test.run();
