// rtmfp-server end to end: the compiled CLI in a child process on 127.0.0.1, a real NetConnection
// against the port it logs, and its exits: 0 on SIGTERM after "closed", 143 on a second SIGTERM
// while a client stalls the close, 1 when the port is taken, 2 on a bad flag.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { NetConnection } from '../src/flash/index.js';
import type { NetStatusInfo } from '../src/flash/index.js';
import { CliProcess, STEP_MS } from './support/cli-process.js';

const test = suite('rtmfp-server CLI');
const LOOP = '127.0.0.1';
// Compiled layout: <repo>/dist/test/cli-server.test.js -> <repo>/dist/src/...
const FLASH = new URL('../src/flash/index.js', import.meta.url).href;

async function connect(uri: string): Promise<{ nc: NetConnection; info: NetStatusInfo }> {
  const nc = new NetConnection({ endpointOptions: { host: LOOP }, connectTimeoutMs: STEP_MS });
  const info = await nc.connect(uri);
  return { nc, info };
}

test('--port 0: "listening" line with the bound port and peer ID; connect succeeds; SIGTERM -> "closed", exit 0', async () => {
  const cli = new CliProcess(['--port', '0', '--host', LOOP, '--log-level', 'info']);
  let nc: NetConnection | undefined;
  try {
    const listening = await cli.line('listening');
    assert.is(listening.level, 30);
    assert.is(listening.host, LOOP);
    assert.type(listening.port, 'number');
    const port = listening.port as number;
    assert.ok(port > 0 && port <= 0xffff, `port ${port}`);
    assert.match(String(listening.peerID), /^[0-9a-f]{64}$/);
    // "listening" is the first line: scripts may read exactly one line to learn the port.
    assert.is(cli.lines[0]?.msg, 'listening');

    const c = await connect(`rtmfp://${LOOP}:${port}/live`);
    nc = c.nc;
    assert.is(c.info.code, 'NetConnection.Connect.Success');
    // The client and the server agree on who the server is (RFC 7425 4.4.2.2 peer ID).
    assert.is(nc.farID, listening.peerID);

    assert.ok(cli.child.kill('SIGTERM'));
    const { code, signal } = await cli.exit();
    assert.is(signal, null);
    assert.is(code, 0, `stderr: ${cli.stderr}`);
    const msgs = cli.lines.map((l) => l.msg);
    assert.ok(msgs.indexOf('shutting down') > msgs.indexOf('listening'), msgs.join(','));
    assert.ok(msgs.indexOf('closed') > msgs.indexOf('shutting down'), msgs.join(','));
    assert.is(cli.lines.find((l) => l.msg === 'shutting down')?.signal, 'SIGTERM');
    assert.equal(cli.stdoutNoise, []);
    assert.is(cli.stderr, '');
  } finally {
    await nc?.close();
    cli.kill();
  }
});

test('--app allowed: "allowed" connects, "other" is refused with Connect.InvalidApp (a rejection)', async () => {
  const cli = new CliProcess(['--port', '0', '--host', LOOP, '--app', 'allowed']);
  const open: NetConnection[] = [];
  try {
    const listening = await cli.line('listening');
    assert.equal(listening.applications, ['allowed']);
    const base = `rtmfp://${LOOP}:${String(listening.port)}`;
    const other = await connect(`${base}/other`);
    open.push(other.nc);
    assert.is(other.info.level, 'error');
    assert.is(other.info.code, 'NetConnection.Connect.InvalidApp');
    assert.is(other.nc.state, 'rejected');
    const ok = await connect(`${base}/allowed/room1`);
    open.push(ok.nc);
    assert.is(ok.info.code, 'NetConnection.Connect.Success');
    // The server logger is wired through: its connect line names the application.
    const connectLine = await cli.line('connect');
    assert.is(connectLine.app, 'allowed');
    assert.is(connectLine.component, 'server');
    cli.child.kill('SIGINT');
    assert.is((await cli.exit()).code, 0);
    assert.ok(cli.lines.some((l) => l.msg === 'closed'));
  } finally {
    for (const nc of open) await nc.close();
    cli.kill();
  }
});

test('second SIGTERM while a stalled client holds up the close: exit 143 at once', async () => {
  const cli = new CliProcess(['--port', '0', '--host', LOOP]);
  // The client lives in its own process so that SIGSTOP can freeze it: the server's orderly
  // session close then waits for a Close Ack that cannot come (up to its closeWaitMs).
  let client: ChildProcess | undefined;
  try {
    const { port } = await cli.line('listening');
    const script =
      `const { NetConnection } = await import(${JSON.stringify(FLASH)});` +
      `const nc = new NetConnection({ endpointOptions: { host: '${LOOP}' } });` +
      `const info = await nc.connect('rtmfp://${LOOP}:${String(port)}/live');` +
      `console.log(info.code); setInterval(() => {}, 1000);`;
    client = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const code = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('client did not connect')), STEP_MS);
      createInterface({ input: client!.stdout! }).once('line', (l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
    assert.is(code, 'NetConnection.Connect.Success');
    client.kill('SIGSTOP');

    cli.child.kill('SIGTERM');
    await cli.line('shutting down');
    const t0 = Date.now();
    cli.child.kill('SIGTERM');
    const exit = await cli.exit();
    assert.is(exit.code, 143);
    assert.ok(Date.now() - t0 < 2000, `exited after ${Date.now() - t0} ms, should not wait for the close`);
    assert.not.ok(cli.lines.some((l) => l.msg === 'closed'));
  } finally {
    if (client && client.exitCode === null) {
      client.kill('SIGKILL');
      client.kill('SIGCONT');
    }
    cli.kill();
  }
});

test('port already taken: error line "cannot listen", exit 1', async () => {
  const first = new CliProcess(['--port', '0', '--host', LOOP]);
  try {
    const { port } = await first.line('listening');
    const second = new CliProcess(['--port', String(port), '--host', LOOP]);
    try {
      const { code } = await second.exit();
      assert.is(code, 1);
      const err = second.lines.find((l) => l.msg === 'cannot listen');
      assert.ok(err, JSON.stringify(second.lines));
      assert.is(err!.level, 50);
      assert.is(err!.port, port);
      assert.match(JSON.stringify(err!.err), /EADDRINUSE/);
      // And one line a person reads, on stderr.
      assert.is(second.stderr.trimEnd().split('\n').length, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`^rtmfp-server: cannot listen on udp ${LOOP.replace(/\./g, '\\.')}:${String(port)}: the port is in use \\(EADDRINUSE\\)`));
    } finally {
      second.kill();
    }
    first.child.kill('SIGINT');
    assert.is((await first.exit()).code, 0);
  } finally {
    first.kill();
  }
});

test('bad flag: one line on stderr, nothing on stdout, exit 2', async () => {
  const cli = new CliProcess(['--port', '70000']);
  const { code } = await cli.exit();
  assert.is(code, 2);
  assert.equal(cli.lines, []);
  assert.is(cli.stderr.trimEnd().split('\n').length, 1, cli.stderr);
  assert.match(cli.stderr, /^rtmfp-server: --port: 70000 is out of range/);
});

test('--version prints package.json version', async () => {
  const cli = new CliProcess(['--version']);
  assert.is((await cli.exit()).code, 0);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(cli.stdoutNoise, [pkg.version]);
});

test.run();
