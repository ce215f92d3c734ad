// What `rtmfp-server` checks before it binds: the --config file and the --record-dir directory.
// Each failure is a CliConfigError with a one-line message; cli/main.ts prints it and exits 2.
import { readFile, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RtmfpError } from '../errors.js';
import { AccessConfigError, validateAccessRules, type ServerAccessRules } from '../server/access.js';
import { makeDirectory } from '../server/make-directory.js';

export class CliConfigError extends RtmfpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CLI_CONFIG', message, options);
  }
}

/** Largest config file read (rules for a few thousand applications). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Bound on the record directory check (a hung filesystem must not hang the start). */
export const RECORD_DIR_CHECK_MS = 3000;

/** Reads and validates a --config file. */
export async function loadConfig(path: string): Promise<ServerAccessRules> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_CONFIG_BYTES) throw new CliConfigError(`--config ${path}: larger than ${MAX_CONFIG_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (e) {
    if (e instanceof CliConfigError) throw e;
    throw new CliConfigError(`--config ${path}: cannot read: ${oneLine(e)}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliConfigError(`--config ${path}: not JSON: ${oneLine(e)}`, { cause: e });
  }
  try {
    return validateAccessRules(value, path);
  } catch (e) {
    if (e instanceof AccessConfigError) throw new CliConfigError(`--config ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Makes sure recordings can be written under `dir`: it exists or can be created, and a probe
 * file can be created, written and removed there, all within `timeoutMs`.
 */
export async function checkRecordDirectory(dir: string, timeoutMs = RECORD_DIR_CHECK_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliConfigError(`--record-dir ${dir}: no answer from the filesystem within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([probe(dir), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function probe(dir: string): Promise<void> {
  try {
    await makeDirectory(dir);
  } catch (e) {
    throw new CliConfigError(`--record-dir ${dir}: cannot create the directory: ${oneLine(e)}`, { cause: e });
  }
  const path = join(dir, `.rtmfp-server-probe-${process.pid}`);
  try {
    const f = await open(path, 'wx');
    try {
      const { bytesWritten } = await f.write(new Uint8Array([0x46]));
      if (bytesWritten !== 1) throw new Error('the probe file took no bytes');
    } finally {
      await f.close();
    }
    await unlink(path);
  } catch (e) {
    throw new CliConfigError(`--record-dir ${dir}: not writable: ${oneLine(e)}`, { cause: e });
  }
}

function oneLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n', 1)[0] ?? m;
}
