// Two Endpoints on the virtual network under a ManualClock: the rig most protocol tests share.
// Nothing here sleeps or reads the wall clock; the same seeds give the same run.
import { Endpoint, type EndpointOptions } from '../../src/session/endpoint.js';
import { createServerIdentity } from '../../src/session/handshake/identity.js';
import type { Session } from '../../src/session/session.js';
import { ManualClock } from '../../src/time/clock.js';
import { runUntil, settle, type RunOptions } from '../../src/time/run-until.js';
import { VirtualNetwork, type VirtualNetworkOptions } from '../../src/transport/virtual-network.js';
import type { VirtualHost } from '../../src/transport/virtual-host.js';

export const SERVER_IP = '20.1.1.1';
export const SERVER_PORT = 1935;

export interface VnetPair {
  clock: ManualClock;
  net: VirtualNetwork;
  server: Endpoint;
  client: Endpoint;
  clientHost: VirtualHost;
  /** The client's session to the server. */
  session: Session;
  /** The server's session for that client. */
  far: Session;
  /** Moves virtual time until `done()` holds. */
  until(done: () => boolean, options?: RunOptions): Promise<number>;
  /** Moves virtual time until `p` settles. */
  settle<T>(p: PromiseLike<T>, options?: RunOptions): Promise<T>;
  close(): Promise<void>;
}

export interface VnetPairOptions {
  /** Seed of the network's randomness (loss, jitter...). */
  seed: number;
  /** Seed of the clock's random bytes (session IDs, nonces). Default 42. */
  clockSeed?: number;
  network?: Omit<VirtualNetworkOptions, 'clock' | 'seed'>;
  /** Creates the client's host (default: a public host). */
  clientHost?: (net: VirtualNetwork) => VirtualHost;
  server?: Omit<EndpointOptions, 'transport' | 'clock'>;
  client?: Omit<EndpointOptions, 'transport' | 'clock'>;
}

/** A server endpoint at 20.1.1.1:1935 and a client endpoint connected to it. */
export async function vnetPair(o: VnetPairOptions): Promise<VnetPair> {
  const clock = new ManualClock(1000, o.clockSeed ?? 42);
  const net = new VirtualNetwork({ clock, seed: o.seed, ...o.network });
  const clientHost = o.clientHost ? o.clientHost(net) : net.addHost();
  const server = await Endpoint.listen({ identity: createServerIdentity(), ...o.server, transport: net.bind({ host: SERVER_IP, port: SERVER_PORT }), clock });
  const client = await Endpoint.listen({ ...o.client, transport: net.bind({ host: clientHost }), clock });
  const until = (done: () => boolean, options?: RunOptions): Promise<number> => runUntil(clock, done, options);
  const settleIt = <T>(p: PromiseLike<T>, options?: RunOptions): Promise<T> => settle(clock, p, options);
  const close = async (): Promise<void> => {
    await settle(clock, Promise.all([client.close(), server.close()]), { maxMs: 60_000 });
    net.close();
  };
  try {
    let far: Session | undefined;
    server.on('session', (s) => (far ??= s));
    const session = await settleIt(client.connect({ uri: `rtmfp://${SERVER_IP}/app`, addresses: [{ address: SERVER_IP, port: SERVER_PORT }] }), { maxMs: 30_000 });
    await until(() => far !== undefined);
    return { clock, net, server, client, clientHost, session, far: far!, until, settle: settleIt, close };
  } catch (e) {
    await close();
    throw e;
  }
}
