// The `rtmfp-server` run loop: parse flags, bind an RtmfpServer, log JSON lines (pino) to stdout,
// shut down cleanly on SIGINT / SIGTERM. Exit codes: 0 clean, 1 bind / close failure, 2 bad flags,
// config or record directory, 128 + signal number when a second signal cuts the shutdown short.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { RtmfpServer } from '../server/rtmfp-server.js';
import { CliUsageError, parseCliArgs, USAGE, type CliCommand, type CliServerOptions } from './args.js';
import { CliConfigError, checkRecordDirectory, loadConfig } from './preflight.js';
import type { ServerAccessRules } from '../server/access.js';

/** How long server.close() may take before the process gives up on it. */
export const SHUTDOWN_TIMEOUT_MS = 5000;

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type ShutdownSignal = keyof typeof SIGNAL_EXIT_CODES;

/** The package version, from package.json (dist/src/cli/main.js -> ../../../package.json). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** Runs the CLI with `argv` (process.argv.slice(2)). Sets process.exitCode or exits. */
export async function main(argv: readonly string[]): Promise<void> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (e) {
    if (!(e instanceof CliUsageError)) throw e;
    process.stderr.write(`rtmfp-server: ${e.message} (see --help)\n`);
    process.exitCode = 2;
    return;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return;
    case 'run':
      await serve(command.options);
  }
}

async function serve(options: CliServerOptions): Promise<void> {
  let access: ServerAccessRules | undefined;
  try {
    access = options.configPath !== undefined ? await loadConfig(options.configPath) : undefined;
    if (options.token !== undefined) access = { ...access, token: options.token };
    if (options.recordDirectory !== undefined) await checkRecordDirectory(options.recordDirectory);
  } catch (e) {
    if (!(e instanceof CliConfigError)) throw e;
    process.stderr.write(`rtmfp-server: ${e.message}\n`);
    process.exitCode = 2;
    return;
  }
  // Synchronous writes: with pino's asynchronous default a line could reach stdout after a later
  // one ("closed" before "shutting down") or be lost at exit.
  const logger = pino({ name: 'rtmfp-server', level: options.logLevel }, pino.destination({ dest: 1, sync: true }));
  const exit = (code: number): void => {
    logger.flush(() => process.exit(code));
  };
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    exit(1);
  });

  let server: RtmfpServer;
  try {
    server = await RtmfpServer.listen({
      host: options.host,
      port: options.port,
      ...(options.applications.length > 0 ? { applications: options.applications } : {}),
      ...(options.recordDirectory !== undefined ? { recordDirectory: options.recordDirectory } : {}),
      ...(access ? { access } : {}),
      ...(options.maxSessions !== undefined ? { maxSessions: options.maxSessions } : {}),
      ...(options.maxSessionsPerAddress !== undefined ? { maxSessionsPerAddress: options.maxSessionsPerAddress } : {}),
      logger: logger.child({ component: 'server' }),
    });
  } catch (err) {
    logger.error({ err, host: options.host, port: options.port }, 'cannot listen');
    process.stderr.write(`rtmfp-server: cannot listen on udp ${options.host}:${options.port}: ${bindFailure(err)}\n`);
    exit(1);
    return;
  }

  let stopping = false;
  const onSignal = (signal: ShutdownSignal): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting for close');
      exit(SIGNAL_EXIT_CODES[signal]);
      return;
    }
    stopping = true;
    void shutdown(signal);
  };
  const shutdown = async (signal: ShutdownSignal): Promise<void> => {
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'close timed out');
      exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    try {
      await server.close();
    } catch (err) {
      clearTimeout(timer);
      logger.error({ err }, 'close failed');
      exit(1);
      return;
    }
    clearTimeout(timer);
    logger.info('closed');
    exit(0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // Signal handlers first: a script may stop the server as soon as it reads "listening".
  logger.info(
    {
      host: server.address.address,
      port: server.port,
      peerID: server.peerID,
      applications: options.applications.length > 0 ? options.applications : '*',
      ...(options.recordDirectory !== undefined ? { recordDirectory: options.recordDirectory } : {}),
      version: packageVersion(),
    },
    'listening',
  );
  const exposure = describeExposure(options, access);
  logger[exposure.open ? 'warn' : 'info'](exposure, 'exposure');
}

/** What the running server lets whom do: logged at start-up so that openness is a decision. */
export function describeExposure(
  options: Pick<CliServerOptions, 'host' | 'applications' | 'recordDirectory'>,
  access: ServerAccessRules | undefined,
): { open: boolean; summary: string; everyInterface: boolean; applications: string[] | '*'; token: 'none' | 'required' | 'some applications'; recording: string | false } {
  const everyInterface = options.host === '0.0.0.0' || options.host === '::';
  const ruled = access?.applications ? Object.keys(access.applications) : undefined;
  let apps: string[] | '*' = '*';
  if (ruled && options.applications.length > 0) apps = ruled.filter((a) => options.applications.includes(a));
  else if (ruled) apps = ruled;
  else if (options.applications.length > 0) apps = options.applications;
  const appRules = Object.values(access?.applications ?? {});
  const token = access?.token !== undefined ? 'required' : appRules.some((r) => r.token !== undefined) ? 'some applications' : 'none';
  const publishRestricted = appRules.some((r) => r.publish === false);
  const recordAllowed = options.recordDirectory !== undefined && (appRules.length === 0 || appRules.some((r) => r.record !== false && r.publish !== false));
  const parts = [
    everyInterface ? `binds every interface (${options.host})` : `binds ${options.host} only`,
    apps === '*' ? 'any application name' : `applications ${apps.join(', ') || '(none)'}`,
    token === 'none' ? 'anyone may connect, publish and play' : token === 'required' ? 'connecting needs the token' : 'some applications need a token',
  ];
  if (publishRestricted) parts.push('publishing restricted by --config');
  parts.push(recordAllowed ? `clients may record to ${options.recordDirectory}${token === 'none' ? ' (anyone)' : ''}` : 'no recording');
  return {
    open: token === 'none',
    summary: parts.join('; '),
    everyInterface,
    applications: apps,
    token,
    recording: recordAllowed ? options.recordDirectory! : false,
  };
}

/** A bind failure in words: the system error of the cause chain (EADDRINUSE...), else the message. */
function bindFailure(err: unknown): string {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return 'the port is in use (EADDRINUSE)';
    if (code === 'EADDRNOTAVAIL') return 'no such local address (EADDRNOTAVAIL)';
    if (code === 'EACCES') return 'permission denied (EACCES)';
  }
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n', 1)[0] ?? m;
}
