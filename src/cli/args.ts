// Command-line flags of `rtmfp-server`: argv in, a typed command out. Pure (no I/O, no exit) so
// every accepted and refused form is unit-testable; cli/main.ts turns CliUsageError into exit code 2.
import { parseArgs } from 'node:util';
import { RtmfpError } from '../errors.js';
import { MAX_TOKEN_LENGTH } from '../server/access.js';
import { DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_ADDRESS } from '../server/rtmfp-server.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type CliLogLevel = (typeof LOG_LEVELS)[number];

/** RTMFP's customary port (RFC 7425 does not fix one; Flash Player and servers use 1935). */
export const DEFAULT_PORT = 1935;
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_LOG_LEVEL: CliLogLevel = 'info';

export interface CliServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Accepted application names (first path segment of the rtmfp URI); empty = any name. */
  applications: string[];
  recordDirectory: string | undefined;
  logLevel: CliLogLevel;
  /** Required as the first connect argument (every application without a token of its own). */
  token?: string;
  /** JSON file of applications and their rules (see cli/config.ts). */
  configPath?: string;
  /** Most clients served at once (RtmfpServerOptions.maxSessions). */
  maxSessions?: number;
  /** Most sessions from one IP address. */
  maxSessionsPerAddress?: number;
}

export type CliCommand = { kind: 'run'; options: CliServerOptions } | { kind: 'help' } | { kind: 'version' };

/** A flag the CLI does not accept: the message is one line, meant for stderr as is. */
export class CliUsageError extends RtmfpError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', message);
  }
}

export const USAGE = `Usage: rtmfp-server [options]

RTMFP server (RFC 7016 transport, RFC 7425 Flash profile). Logs JSON lines (pino) to stdout.

With no flags it binds every interface, serves any application name and lets anyone connect,
publish and play (an "exposure" line at start-up says so). --token, --app and --config narrow it.

Options:
  --port <n>          UDP port to listen on, 0 = any free port (default ${DEFAULT_PORT})
  --host <addr>       address to bind (default ${DEFAULT_HOST}: every interface; an IPv6 address binds udp6)
  --app <name>        accept this application name; repeatable (default: any name)
  --token <t>         require <t> as the first connect argument: nc.connect(uri, "<t>")
  --config <file>     JSON rules: {"token": "...", "applications": {"<app>": {"token": "...",
                      "publish": true, "record": false}}}; listed applications only
  --record-dir <dir>  directory for publish(name, 'record'): <app>/<instance>/<name>.flv
  --max-sessions <n>  most clients at once; more get Connect.Rejected (default ${DEFAULT_MAX_SESSIONS})
  --max-sessions-per-address <n>
                      most sessions from one IP address (default ${DEFAULT_MAX_SESSIONS_PER_ADDRESS})
  --log-level <lvl>   ${LOG_LEVELS.join(' | ')} (default ${DEFAULT_LOG_LEVEL})
  --help              print this help and exit
  --version           print the version and exit

Exit codes: 0 clean stop, 1 cannot listen / close failed, 2 bad flags, config or record directory.
`;

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  app: { type: 'string', multiple: true },
  'record-dir': { type: 'string' },
  token: { type: 'string' },
  config: { type: 'string' },
  'max-sessions': { type: 'string' },
  'max-sessions-per-address': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
} as const;

/** Parses `argv` (without node and script: `process.argv.slice(2)`). Throws only CliUsageError. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (e) {
    // node:util reports unknown flags, missing values and positionals as TypeErrors with an
    // ERR_PARSE_ARGS_* code; their messages are single sentences fit for a user.
    throw new CliUsageError(firstLine((e as Error)?.message ?? String(e)));
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  return {
    kind: 'run',
    options: {
      host: parseHost(values.host),
      port: parsePort(values.port),
      applications: parseApplications(values.app),
      recordDirectory: parseRecordDirectory(values['record-dir']),
      logLevel: parseLogLevel(values['log-level']),
      ...optional('token', parseToken(values.token)),
      ...optional('configPath', parseNonEmpty('--config', values.config)),
      ...optional('maxSessions', parseCount('--max-sessions', values['max-sessions'])),
      ...optional('maxSessionsPerAddress', parseCount('--max-sessions-per-address', values['max-sessions-per-address'])),
    },
  };
}

/** `{ key: v }`, or nothing when v is undefined (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

function parseToken(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v === '' || v.length > MAX_TOKEN_LENGTH) throw new CliUsageError(`--token: expected 1..${MAX_TOKEN_LENGTH} characters`);
  return v;
}

function parseNonEmpty(flag: string, v: string | undefined): string | undefined {
  if (v === '') throw new CliUsageError(`${flag}: empty path`);
  return v;
}

function parseCount(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw new CliUsageError(`${flag}: expected a positive integer, got '${v}'`);
  return Number(v);
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? s;
}

function parsePort(v: string | undefined): number {
  if (v === undefined) return DEFAULT_PORT;
  // Decimal digits only: Number() would take '0x10', '1e3', ' 7' and ''.
  if (!/^\d{1,5}$/.test(v)) throw new CliUsageError(`--port: expected an integer 0..65535, got '${v}'`);
  const port = Number(v);
  if (port > 0xffff) throw new CliUsageError(`--port: ${port} is out of range 0..65535`);
  return port;
}

function parseHost(v: string | undefined): string {
  if (v === undefined) return DEFAULT_HOST;
  // Whether the address can be bound is the socket's to say (reported as a bind failure).
  if (v.trim() === '') throw new CliUsageError('--host: empty address');
  return v;
}

function parseApplications(v: string[] | undefined): string[] {
  const apps: string[] = [];
  for (const name of v ?? []) {
    // The application is the first path segment of rtmfp://host/app/instance (see parseRtmfpUri).
    if (name === '' || name.includes('/')) throw new CliUsageError(`--app: expected a name without '/', got '${name}'`);
    if (!apps.includes(name)) apps.push(name);
  }
  return apps;
}

function parseRecordDirectory(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v === '') throw new CliUsageError('--record-dir: empty path');
  return v;
}

function parseLogLevel(v: string | undefined): CliLogLevel {
  if (v === undefined) return DEFAULT_LOG_LEVEL;
  const level = (LOG_LEVELS as readonly string[]).find((l) => l === v);
  if (level === undefined) throw new CliUsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got '${v}'`);
  return level as CliLogLevel;
}
