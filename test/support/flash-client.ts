// Helpers shared by the tests that drive NetConnection / NetStream over loopback.
import * as assert from 'uvu/assert';
import { NetConnection, type NetConnectionOptions } from '../../src/flash/net-connection.js';
import type { NetStream } from '../../src/flash/net-stream.js';
import type { NetStatusInfo } from '../../src/flash/net-status.js';

export const LOOP = '127.0.0.1';

/** Polls `cond` every 10 ms; throws after `ms` naming `what`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves with the first status with this code (or rejects after `ms`). */
export function statusOf(target: NetStream | NetConnection, code: string, ms = 5000): Promise<NetStatusInfo> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${code} within ${ms} ms`)), ms);
    const on = (i: NetStatusInfo): void => {
      if (i.code !== code) return;
      clearTimeout(timer);
      target.off('netStatus', on);
      resolve(i);
    };
    target.on('netStatus', on);
  });
}

/** A NetConnection on loopback connected to `uri`; fails the test unless it gets Connect.Success. */
export async function connect(uri: string, options: NetConnectionOptions = {}): Promise<NetConnection> {
  const nc = new NetConnection({ endpointOptions: { host: LOOP }, ...options });
  const info = await nc.connect(uri);
  assert.is(info.code, 'NetConnection.Connect.Success', `connect to ${uri}`);
  return nc;
}

/** `connect` to rtmfp://127.0.0.1:<port>/<app>. */
export function connectLocal(port: number, app = 'live', options: NetConnectionOptions = {}): Promise<NetConnection> {
  return connect(`rtmfp://${LOOP}:${port}/${app}`, options);
}
