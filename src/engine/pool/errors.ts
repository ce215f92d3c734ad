import { RtmfpError } from '../../errors.js';

/**
 * Stable codes for engine (pool and backend plumbing) failures:
 * - `ERR_ENGINE_BATCH`: a PacketBatch broke its invariants (see validatePacketBatch).
 * - `ERR_ENGINE_WORKER`: a worker thread threw or died while running a task.
 * - `ERR_ENGINE_CLOSED`: the pool was used after close().
 * - `ERR_ENGINE_DH`: a Diffie-Hellman input was unusable (bad group, peer public key or private key);
 *   when the crypto layer refused it in a worker, `workerCode` is its code (ERR_CRYPTO_BAD_PUBLIC_KEY...).
 * - `ERR_ENGINE_BACKEND`: an unknown or unavailable backend was requested.
 */
export type EngineErrorCode =
  | 'ERR_ENGINE_BATCH'
  | 'ERR_ENGINE_WORKER'
  | 'ERR_ENGINE_CLOSED'
  | 'ERR_ENGINE_DH'
  | 'ERR_ENGINE_BACKEND';

export class EngineError extends RtmfpError {
  declare readonly code: EngineErrorCode;
  /** For ERR_ENGINE_WORKER and ERR_ENGINE_DH: the code of the typed error the worker threw (e.g. ERR_CIPHER_KEY_EMPTY), if any. */
  readonly workerCode: string | undefined;
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown; workerCode?: string }) {
    super(code, message, options);
    this.workerCode = options?.workerCode;
  }
}

/** The message of anything thrown, for wrapping it in an EngineError. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

const ENGINE_CODES: ReadonlySet<string> = new Set<EngineErrorCode>([
  'ERR_ENGINE_BATCH',
  'ERR_ENGINE_WORKER',
  'ERR_ENGINE_CLOSED',
  'ERR_ENGINE_DH',
  'ERR_ENGINE_BACKEND',
]);

/**
 * Worker side: errors cross threads by structured clone, which keeps only the message (not
 * `code` or `name`), so a worker re-throws typed errors with their code in the message.
 */
export function toTransferableError(e: unknown): Error {
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof Error && typeof code === 'string') return new Error(`[${code}] ${e.message}`);
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Main side: the code a worker put in front of the message (see toTransferableError). An engine
 * code is kept as the EngineError's code; any other (ERR_CIPHER_KEY_EMPTY, ...) is reported as
 * `workerCode` of an ERR_ENGINE_WORKER.
 */
export function engineCodeOf(message: string): { code: EngineErrorCode | undefined; workerCode: string | undefined; rest: string } {
  const m = /^\[([A-Z0-9_]+)\] ([\s\S]*)$/.exec(message);
  if (!m) return { code: undefined, workerCode: undefined, rest: message };
  if (ENGINE_CODES.has(m[1]!)) return { code: m[1] as EngineErrorCode, workerCode: undefined, rest: m[2]! };
  return { code: undefined, workerCode: m[1]!, rest: message };
}
