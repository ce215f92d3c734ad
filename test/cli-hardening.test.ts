// rtmfp-server exposure and refusals (issue 9 items 3, 10): the "exposure" line at start-up,
// --token for connecting, --config rules for applications (token, publish), refused configs and
// record directories exit 2 with one line on stderr (a directory under /proc used to hang the
// recorder with a core spinning), --max-sessions. The compiled CLI on 127.0.0.1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetConnection } from '../src/flash/net-connection.js';
import { NetStream } from '../src/flash/net-stream.js';
import { FlvRecorder } from '../src/server/flv-recorder.js';
import type { AmfValue } from '../src/wire/amf/types.js';
import { CliProcess, STEP_MS } from './support/cli-process.js';
import { LOOP, statusOf } from './support/flash-client.js';

const test = suite('rtmfp-server hardening');
const dir = mkdtempSync(join(tmpdir(), 'rtmfp-cli-'));

async function connect(port: number, app: string, ...args: AmfValue[]) {
  const nc = new NetConnection({ endpointOptions: { host: LOOP }, connectTimeoutMs: STEP_MS });
  const info = await nc.connect(`rtmfp://${LOOP}:${port}/${app}`, ...args);
  return { nc, info };
}

test('no flags: an "exposure" warning says every interface, any application, anyone publishes', async () => {
  const cli = new CliProcess(['--port', '0']);
  try {
    const e = await cli.line('exposure');
    assert.is(e.level, 40);
    assert.is(e.open, true);
    assert.is(e.everyInterface, true);
    assert.is(e.applications, '*');
    assert.is(e.token, 'none');
    assert.match(String(e.summary), /binds every interface.*any application name.*anyone may connect, publish and play.*no recording/);
    cli.child.kill('SIGTERM');
    assert.is((await cli.exit()).code, 0);
  } finally {
    cli.kill();
  }
});

test('--token: a connect without it or with a wrong one is Connect.Rejected with the reason; with it, Success', async () => {
  const cli = new CliProcess(['--port', '0', '--host', LOOP, '--token', 's3cret', '--record-dir', join(dir, 'rec')]);
  const open: NetConnection[] = [];
  try {
    const { port } = await cli.line('listening');
    const e = await cli.line('exposure');
    assert.is(e.level, 30);
    assert.is(e.token, 'required');
    assert.is(e.recording, join(dir, 'rec'));
    const none = await connect(port as number, 'live');
    open.push(none.nc);
    assert.is(none.info.code, 'NetConnection.Connect.Rejected');
    assert.match(String(none.info.description), /token is required/);
    const wrong = await connect(port as number, 'live', 'guess');
    open.push(wrong.nc);
    assert.is(wrong.info.code, 'NetConnection.Connect.Rejected');
    assert.match(String(wrong.info.description), /Bad token/);
    const right = await connect(port as number, 'live', 's3cret');
    open.push(right.nc);
    assert.is(right.info.code, 'NetConnection.Connect.Success');
    cli.child.kill('SIGTERM');
    assert.is((await cli.exit()).code, 0);
  } finally {
    for (const nc of open) await nc.close();
    cli.kill();
  }
});

test('--config: listed applications only, a token per application, publish refused where the rules say so', async () => {
  const config = join(dir, 'rules.json');
  writeFileSync(config, JSON.stringify({ applications: { live: { token: 'L' }, watch: { publish: false } } }));
  const cli = new CliProcess(['--port', '0', '--host', LOOP, '--config', config]);
  const open: NetConnection[] = [];
  try {
    const { port } = await cli.line('listening');
    const e = await cli.line('exposure');
    assert.equal(e.applications, ['live', 'watch']);
    assert.is(e.token, 'some applications');
    const other = await connect(port as number, 'other');
    open.push(other.nc);
    assert.is(other.info.code, 'NetConnection.Connect.InvalidApp');
    const live = await connect(port as number, 'live');
    open.push(live.nc);
    assert.is(live.info.code, 'NetConnection.Connect.Rejected');
    const liveOk = await connect(port as number, 'live', 'L');
    open.push(liveOk.nc);
    assert.is(liveOk.info.code, 'NetConnection.Connect.Success');
    const watch = await connect(port as number, 'watch');
    open.push(watch.nc);
    assert.is(watch.info.code, 'NetConnection.Connect.Success');
    const ns = new NetStream(watch.nc);
    const bad = statusOf(ns, 'NetStream.Publish.BadName');
    ns.publish('cam');
    await bad;
    cli.child.kill('SIGTERM');
    assert.is((await cli.exit()).code, 0);
  } finally {
    for (const nc of open) await nc.close();
    cli.kill();
  }
});

test('bad --config (unreadable, not JSON, unknown member, bad type): one line on stderr, exit 2', async () => {
  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{"token": ');
  const unknown = join(dir, 'unknown.json');
  writeFileSync(unknown, JSON.stringify({ applications: { live: { tokn: 'x' } } }));
  const badType = join(dir, 'type.json');
  writeFileSync(badType, JSON.stringify({ applications: { live: { publish: 'yes' } } }));
  const cases: [string, RegExp][] = [
    [join(dir, 'missing.json'), /cannot read: ENOENT/],
    [notJson, /not JSON/],
    [unknown, /unknown member "tokn"/],
    [badType, /publish: expected true or false/],
  ];
  for (const [path, why] of cases) {
    const cli = new CliProcess(['--port', '0', '--config', path]);
    const { code } = await cli.exit();
    assert.is(code, 2, path);
    assert.equal(cli.lines, []);
    assert.is(cli.stderr.trimEnd().split('\n').length, 1, cli.stderr);
    assert.match(cli.stderr, /^rtmfp-server: --config /);
    assert.match(cli.stderr, why);
  }
});

test('--record-dir that cannot be written (under /proc, a file): exit 2 at once with one line, no probe left behind', async () => {
  const file = join(dir, 'plain-file');
  writeFileSync(file, 'x');
  for (const [path, why] of [
    ['/proc/rtmfp-test/rec', /cannot create the directory/],
    ['/proc/self', /not writable/],
    [join(file, 'rec'), /cannot create the directory/],
  ] as const) {
    const t0 = Date.now();
    const cli = new CliProcess(['--port', '0', '--record-dir', path]);
    const { code } = await cli.exit(5000);
    assert.is(code, 2, `${path}: ${cli.stderr}`);
    assert.ok(Date.now() - t0 < 5000);
    assert.match(cli.stderr, new RegExp(`^rtmfp-server: --record-dir ${path.replace(/[/.]/g, '\\$&')}: `));
    assert.match(cli.stderr, why);
  }
  const ok = join(dir, 'ok', 'nested');
  const cli = new CliProcess(['--port', '0', '--host', LOOP, '--record-dir', ok]);
  try {
    await cli.line('listening');
    assert.ok(existsSync(ok), 'created');
    assert.equal(readdirSync(ok), [], 'the probe file is removed');
    cli.child.kill('SIGTERM');
    assert.is((await cli.exit()).code, 0);
  } finally {
    cli.kill();
  }
});

test('FlvRecorder.open under /proc rejects promptly (it hung, one core spinning)', async () => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r('hung'), 3000)));
  const outcome = await Promise.race([FlvRecorder.open('/proc/rtmfp-test/live/_definst_/s.flv').then(() => 'opened', (e: Error & { code?: string }) => String(e.code)), late]);
  clearTimeout(timer);
  assert.is(outcome, 'ERR_FLV_RECORD_OPEN');
});

test('--max-sessions 1: the second client gets Connect.Rejected "Server full"', async () => {
  const open: NetConnection[] = [];
  const cli2 = new CliProcess(['--port', '0', '--host', LOOP, '--max-sessions', '1']);
  try {
    const { port } = await cli2.line('listening');
    const a = await connect(port as number, 'live');
    open.push(a.nc);
    assert.is(a.info.code, 'NetConnection.Connect.Success');
    const b = await connect(port as number, 'live');
    open.push(b.nc);
    assert.is(b.info.code, 'NetConnection.Connect.Rejected');
    assert.match(String(b.info.description), /Server full \(1 sessions\)/);
    const refused = await cli2.line('refused');
    assert.is(refused.refusal, 'serverFull');
    cli2.child.kill('SIGTERM');
    assert.is((await cli2.exit()).code, 0);
  } finally {
    for (const nc of open) await nc.close();
    cli2.kill();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
