/**
 * The logging interface the server writes to: pino's call shape (`info(obj, msg)`), so a pino
 * logger can be passed as it is. Default: silent.
 */
export interface ServerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const nothing = (): void => undefined;

export const SILENT_LOGGER: ServerLogger = { debug: nothing, info: nothing, warn: nothing, error: nothing };
