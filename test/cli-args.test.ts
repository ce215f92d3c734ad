// rtmfp-server flags: defaults, every flag, repeated --app, and the refused forms (each a
// CliUsageError with a one-line message, never a TypeError from node:util).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CliUsageError, parseCliArgs, type CliCommand, type CliServerOptions } from '../src/cli/args.js';

const test = suite('rtmfp-server flags');

function run(argv: string[]): CliServerOptions {
  const c: CliCommand = parseCliArgs(argv);
  if (c.kind !== 'run') throw new Error(`expected run, got ${c.kind}`);
  return c.options;
}

function refused(argv: string[], mentions: RegExp): void {
  let caught: unknown;
  try {
    parseCliArgs(argv);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CliUsageError, `${JSON.stringify(argv)} should throw CliUsageError, got ${String(caught)}`);
  const e = caught as CliUsageError;
  assert.is(e.code, 'ERR_CLI_USAGE');
  assert.not.ok(e.message.includes('\n'), `one-line message: ${JSON.stringify(e.message)}`);
  assert.match(e.message, mentions);
}

test('defaults: 0.0.0.0:1935, any application, no recording, info', () => {
  assert.equal(run([]), { host: '0.0.0.0', port: 1935, applications: [], recordDirectory: undefined, logLevel: 'info' });
});

test('every flag, both --flag value and --flag=value forms', () => {
  assert.equal(run(['--port', '10000', '--host', '127.0.0.1', '--app', 'live', '--record-dir', 'rec', '--log-level', 'debug']), {
    host: '127.0.0.1',
    port: 10000,
    applications: ['live'],
    recordDirectory: 'rec',
    logLevel: 'debug',
  });
  assert.equal(run(['--port=0', '--host=::1', '--app=vod', '--record-dir=/tmp/x', '--log-level=silent']), {
    host: '::1',
    port: 0,
    applications: ['vod'],
    recordDirectory: '/tmp/x',
    logLevel: 'silent',
  });
});

test('port bounds: 0 and 65535 accepted, leading zeros are decimal', () => {
  assert.is(run(['--port', '0']).port, 0);
  assert.is(run(['--port', '65535']).port, 65535);
  assert.is(run(['--port', '01935']).port, 1935);
});

test('repeated --app keeps order and drops duplicates', () => {
  assert.equal(run(['--app', 'live', '--app', 'chat', '--app', 'live']).applications, ['live', 'chat']);
});

test('every log level is accepted', () => {
  for (const l of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) assert.is(run(['--log-level', l]).logLevel, l);
});

test('--help and --version win over the other flags', () => {
  assert.equal(parseCliArgs(['--help']), { kind: 'help' });
  assert.equal(parseCliArgs(['--port', '1', '--version']), { kind: 'version' });
  assert.equal(parseCliArgs(['--version', '--help']), { kind: 'help' });
});

test('bad port values', () => {
  refused(['--port', '70000'], /--port.*70000.*out of range/);
  refused(['--port', '65536'], /out of range/);
  refused(['--port', 'abc'], /--port.*'abc'/);
  refused(['--port', '-1'], /--port/); // node:util: a value starting with '-' is ambiguous
  refused(['--port=-1'], /--port.*'-1'/);
  refused(['--port', '0x10'], /'0x10'/);
  refused(['--port', '1e3'], /'1e3'/);
  refused(['--port', '1.5'], /'1.5'/);
  refused(['--port', ''], /--port/);
  refused(['--port', '123456'], /'123456'/);
});

test('--token, --config, --max-sessions, --max-sessions-per-address', () => {
  const o = run(['--token', 't0k', '--config', 'rules.json', '--max-sessions', '100', '--max-sessions-per-address=4']);
  assert.is(o.token, 't0k');
  assert.is(o.configPath, 'rules.json');
  assert.is(o.maxSessions, 100);
  assert.is(o.maxSessionsPerAddress, 4);
  refused(['--token', ''], /--token/);
  refused(['--token', 'x'.repeat(1025)], /--token/);
  refused(['--config', ''], /--config: empty path/);
  refused(['--max-sessions', '0'], /--max-sessions: expected a positive integer, got '0'/);
  refused(['--max-sessions', 'many'], /'many'/);
  refused(['--max-sessions-per-address', '1.5'], /'1.5'/);
});

test('unknown flags, missing values, positionals, boolean with a value', () => {
  refused(['--bogus'], /Unknown option '--bogus'/);
  refused(['-p', '1'], /Unknown option '-p'/);
  refused(['--port'], /--port/);
  refused(['--app'], /--app/);
  refused(['serve'], /Unexpected argument 'serve'/);
  refused(['--help=yes'], /--help/);
});

test('bad names and levels', () => {
  refused(['--log-level', 'verbose'], /--log-level.*'verbose'/);
  refused(['--log-level', 'INFO'], /'INFO'/);
  refused(['--app', 'a/b'], /--app.*'a\/b'/);
  refused(['--app='], /--app/);
  refused(['--host='], /--host/);
  refused(['--record-dir='], /--record-dir/);
});

test.run();
