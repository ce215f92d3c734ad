// The `rtmfp-server` run loop: parse flags, bind an RtmfpServer, log JSON lines (pino) to stdout,
// shut down cleanly on SIGINT / SIGTERM. Exit codes: 0 clean, 1 bind / close failure, 2 bad flags,
// 128 + signal number when a second signal cuts the shutdown short.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { RtmfpServer } from '../server/rtmfp-server.js';
import { CliUsageError, parseCliArgs, USAGE, type CliCommand, type CliServerOptions } from './args.js';

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
  const logger = pino({ name: 'rtmfp-server', level: options.logLevel });
  // pino's default destination writes synchronously, so flush() only guards a future async one.
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
      logger: logger.child({ component: 'server' }),
    });
  } catch (err) {
    logger.error({ err, host: options.host, port: options.port }, 'cannot listen');
    exit(1);
    return;
  }

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
}
