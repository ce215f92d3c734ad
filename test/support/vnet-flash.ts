// NetConnection / NetStream / RtmfpServer on the virtual network under a ManualClock: the rig of
// the Flash-layer protocol tests. A server at 20.1.1.1:1935, each NetConnection on a host of its
// own; waits are in virtual time (a missing status fails after `maxMs` virtual ms, at once).
import * as assert from 'uvu/assert';
import { NetConnection, type NetConnectionOptions } from '../../src/flash/net-connection.js';
import type { NetStream } from '../../src/flash/net-stream.js';
import type { NetStatusInfo } from '../../src/flash/net-status.js';
import { RtmfpServer, type RtmfpServerOptions } from '../../src/server/rtmfp-server.js';
import { ManualClock } from '../../src/time/clock.js';
import { runUntil, settle, type RunOptions } from '../../src/time/run-until.js';
import { VirtualNetwork, type VirtualNetworkOptions } from '../../src/transport/virtual-network.js';
import type { VirtualHost } from '../../src/transport/virtual-host.js';

export const SERVER_IP = '20.1.1.1';
export const SERVER_PORT = 1935;

export class VnetFlash {
  readonly clock: ManualClock;
  readonly net: VirtualNetwork;
  readonly connections: NetConnection[] = [];
  readonly servers: RtmfpServer[] = [];

  constructor(seed: number, network: Omit<VirtualNetworkOptions, 'clock' | 'seed'> = {}) {
    this.clock = new ManualClock(1000, seed);
    this.net = new VirtualNetwork({ clock: this.clock, seed, ...network });
  }

  /** An RtmfpServer on `ip`:1935 of this network. */
  async server(options: Omit<RtmfpServerOptions, 'host' | 'port' | 'clock' | 'transport'> = {}, ip = SERVER_IP): Promise<RtmfpServer> {
    // The server's own timers (connect deadline, idle unload, close wait) and its endpoint's on this clock.
    const s = await RtmfpServer.listen({ ...options, clock: this.clock, transport: this.net.bind({ host: ip, port: SERVER_PORT }) });
    this.servers.push(s);
    return s;
  }

  /** Options that put a NetConnection on this network and clock (its endpoint on `host`, default a new public host). */
  netConnectionOptions(options: NetConnectionOptions = {}, host?: VirtualHost): NetConnectionOptions {
    return {
      ...options,
      clock: this.clock,
      transport: () => this.net.bind(host ? { host } : {}),
      resolver: async (h) => ({ address: h, family: 4 }),
    };
  }

  /** A NetConnection on this network (closed by close()). */
  netConnection(options: NetConnectionOptions = {}, host?: VirtualHost): NetConnection {
    const nc = new NetConnection(this.netConnectionOptions(options, host));
    this.connections.push(nc);
    return nc;
  }

  /** A connected NetConnection to rtmfp://<ip>/<app>; fails the test unless Connect.Success. */
  async connect(app = 'live', options: NetConnectionOptions = {}, host?: VirtualHost, ip = SERVER_IP): Promise<NetConnection> {
    const nc = this.netConnection(options, host);
    const info = await this.settle(nc.connect(`rtmfp://${ip}:${SERVER_PORT}/${app}`), { maxMs: 30_000 });
    assert.is(info.code, 'NetConnection.Connect.Success', `connect to ${app}`);
    return nc;
  }

  /** Resolves with the first status with this code; `wait` moves virtual time until it came. */
  status(target: NetStream | NetConnection, code: string): { wait(maxMs?: number): Promise<NetStatusInfo>; readonly info: NetStatusInfo | undefined } {
    let got: NetStatusInfo | undefined;
    const on = (i: NetStatusInfo): void => {
      if (i.code !== code || got) return;
      got = i;
      target.off('netStatus', on);
    };
    target.on('netStatus', on);
    return {
      get info() {
        return got;
      },
      wait: async (maxMs = 10_000) => {
        try {
          await runUntil(this.clock, () => got !== undefined, { maxMs });
        } catch {
          throw new Error(`no ${code} within ${maxMs} virtual ms`);
        }
        return got!;
      },
    };
  }

  until(cond: () => boolean, options?: RunOptions): Promise<number> {
    return runUntil(this.clock, cond, options);
  }

  settle<T>(p: PromiseLike<T>, options?: RunOptions): Promise<T> {
    return settle(this.clock, p, options);
  }

  /** Moves virtual time by `ms`. */
  async wait(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    await runUntil(this.clock, () => this.clock.now() >= end, { maxMs: ms + 1 });
  }

  /** Closes every NetConnection and server made here, then the network. */
  async close(): Promise<void> {
    await this.settle(Promise.all(this.connections.map((nc) => nc.close())), { maxMs: 60_000 });
    await this.settle(Promise.all(this.servers.map((s) => s.close())), { maxMs: 60_000 });
    this.net.close();
  }
}
