import { EventEmitter } from 'node:events';
import { toHex } from '../crypto/hex.js';
import { Endpoint, type EndpointOptions } from '../session/endpoint.js';
import { createServerIdentity, type Identity } from '../session/handshake/identity.js';
import { ServerClient, type ServerApplication } from './server-client.js';

export interface RtmfpServerOptions extends ServerApplication {
  /** Bind address. Default 0.0.0.0. */
  host?: string;
  /** UDP port; 0 picks one (see `port`). Default 1935. */
  port?: number;
  /** Server identity. Default: a fresh server certificate (RFC 7425 4.4.2.2). */
  identity?: Identity;
  /** Further endpoint options (sessions, handshake, introductions...). */
  endpoint?: Omit<EndpointOptions, 'host' | 'port' | 'identity'>;
  /** How long close() waits for clients' orderly session closes. Default 3000. */
  closeWaitMs?: number;
}

export interface RtmfpServerEvents {
  /** A session opened; its NetConnection `connect` has not been decided yet. */
  client: [client: ServerClient];
  /** A client's session closed. */
  clientClose: [client: ServerClient];
}

/**
 * A minimal RTMFP server (RFC 7425 section 5, wire-reference E.3/E.4): one endpoint with a
 * server identity on one UDP port; every inbound session becomes a ServerClient that answers
 * `connect` through the application's onConnect hook and named calls through its methods.
 */
export class RtmfpServer extends EventEmitter<RtmfpServerEvents> {
  readonly endpoint: Endpoint;
  readonly clients = new Set<ServerClient>();
  private readonly options: RtmfpServerOptions;
  private closing: Promise<void> | undefined;

  static async listen(options: RtmfpServerOptions = {}): Promise<RtmfpServer> {
    const endpoint = await Endpoint.listen({
      ...options.endpoint,
      host: options.host ?? '0.0.0.0',
      port: options.port ?? 1935,
      identity: options.identity ?? createServerIdentity(),
    });
    return new RtmfpServer(endpoint, options);
  }

  private constructor(endpoint: Endpoint, options: RtmfpServerOptions) {
    super();
    this.endpoint = endpoint;
    this.options = options;
    endpoint.on('session', (session) => {
      const client = new ServerClient(session, endpoint.peerId, options);
      this.clients.add(client);
      client.once('close', () => {
        this.clients.delete(client);
        this.emit('clientClose', client);
      });
      this.emit('client', client);
    });
  }

  get port(): number {
    return this.endpoint.address.port;
  }

  get address(): { address: string; port: number; family: 4 | 6 } {
    return this.endpoint.address;
  }

  /** The server's peer ID (hex). */
  get peerID(): string {
    return toHex(this.endpoint.peerId);
  }

  /** Closes every client's session (orderly, bounded by closeWaitMs), then the socket. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const open = [...this.clients];
      const closed = Promise.all(open.map((c) => (c.state === 'closed' ? undefined : new Promise<void>((r) => c.once('close', () => r())))));
      for (const c of open) c.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, this.options.closeWaitMs ?? 3000)))]);
      clearTimeout(timer);
      await this.endpoint.close();
    })();
    return this.closing;
  }
}
