import { EventEmitter } from 'node:events';
import { toHex } from '../crypto/hex.js';
import { Endpoint, type EndpointOptions } from '../session/endpoint.js';
import { createServerIdentity, type Identity } from '../session/handshake/identity.js';
import { ServerClient, type ServerApplication, type ServerClientContext } from './server-client.js';
import { AppInstance, DEFAULT_IDLE_UNLOAD_MS, DEFAULT_INSTANCE_NAME, type AppInstanceOptions } from './app-instance.js';
import { createRelayCounters, type RelayCounters } from '../stream/relay-counters.js';
import { DEFAULT_RELAY_MEDIA_LIFETIME_MS } from './server-net-stream.js';
import { SILENT_LOGGER, type ServerLogger } from './server-logger.js';
import { recordFilePath } from './flv-recorder.js';
import { NetStreamCode } from '../flash/net-status.js';

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
  /** Application names served; undefined or empty: any name (one open application). */
  applications?: readonly string[];
  /** Where streams published with type "record" / "append" are written (<app>/<instance>/<name>.flv). */
  recordDirectory?: string;
  /** pino-compatible logger. Default: silent. */
  logger?: ServerLogger;
  /** Lifetime of relayed audio/video messages (partial reliability). Default 2000 ms. */
  mediaLifetimeMs?: number;
  /** How long an idle instance stays loaded. Default 30 s. */
  instanceIdleUnloadMs?: number;
}

/** A snapshot of what the server holds and what its relay did. */
export interface RtmfpServerStats {
  clients: number;
  instances: number;
  streams: number;
  publishers: number;
  players: number;
  relay: RelayCounters;
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
  /** Loaded application instances by "app/instance". */
  readonly instances = new Map<string, AppInstance>();
  /** What the relay did since the server started. */
  readonly relayCounters: RelayCounters = createRelayCounters();
  readonly logger: ServerLogger;
  private readonly options: RtmfpServerOptions;
  private readonly clientContext: ServerClientContext;
  private closing: Promise<void> | undefined;

  static async listen(options: RtmfpServerOptions = {}): Promise<RtmfpServer> {
    const endpoint = await Endpoint.listen({
      // A Flash server introduces its clients to each other (direct NetStreams, RFC 7425 5.4).
      introductions: true,
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
    this.logger = options.logger ?? SILENT_LOGGER;
    const apps = options.applications?.length ? new Set(options.applications) : undefined;
    this.clientContext = {
      counters: this.relayCounters,
      logger: this.logger,
      mediaLifetimeMs: options.mediaLifetimeMs ?? DEFAULT_RELAY_MEDIA_LIFETIME_MS,
      hasApplication: (app) => app.length > 0 && (!apps || apps.has(app)),
      instanceFor: (app, name) => this.instance(app, name),
      ...(options.recordDirectory !== undefined
        ? {
            startRecording: async (instance, stream, name, append) => {
              let path: string;
              try {
                path = recordFilePath(options.recordDirectory!, instance.app, instance.name, name);
              } catch (e) {
                return { code: NetStreamCode.RecordNoAccess, description: (e as Error).message };
              }
              try {
                const recorder = await instance.record(stream.name, path, { append });
                recorder.on('error', (err) => this.logger.error({ path, err: err.message }, 'recording failed'));
                recorder.once('close', (c) => this.logger.info({ path, ...c }, 'recording closed'));
                this.logger.info({ app: instance.app, instance: instance.name, stream: name, path }, 'recording');
                return { code: NetStreamCode.RecordStart, description: `Recording ${name}.` };
              } catch (e) {
                this.logger.error({ path, err: (e as Error).message }, 'cannot record');
                return { code: NetStreamCode.RecordFailed, description: (e as Error).message };
              }
            },
          }
        : {}),
    };
    endpoint.on('session', (session) => {
      const client = new ServerClient(session, endpoint.peerId, options, this.clientContext);
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

  /**
   * The instance `app/name`, loaded on first use (a client connecting loads it too). Options apply
   * when it is loaded here; `keepLoaded` can also be set later on the instance.
   */
  instance(app: string, name: string = DEFAULT_INSTANCE_NAME, options: AppInstanceOptions = {}): AppInstance {
    const key = `${app}/${name}`;
    let inst = this.instances.get(key);
    if (!inst) {
      inst = new AppInstance(app, name, this.relayCounters, { idleUnloadMs: this.options.instanceIdleUnloadMs ?? DEFAULT_IDLE_UNLOAD_MS, ...options });
      this.instances.set(key, inst);
      this.logger.info({ app, instance: name }, 'instance loaded');
      const loaded = inst;
      loaded.once('unload', () => {
        if (this.instances.get(key) === loaded) this.instances.delete(key);
        this.logger.info({ app, instance: name }, 'instance unloaded');
      });
    } else if (options.keepLoaded !== undefined) {
      inst.keepLoaded = options.keepLoaded;
      inst.checkIdle();
    }
    return inst;
  }

  stats(): RtmfpServerStats {
    let streams = 0;
    let publishers = 0;
    let players = 0;
    for (const inst of this.instances.values()) {
      for (const s of inst.streams.values()) {
        streams++;
        if (s.publisher) publishers++;
        players += s.subscribers.size;
      }
    }
    return { clients: this.clients.size, instances: this.instances.size, streams, publishers, players, relay: { ...this.relayCounters } };
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
      for (const inst of [...this.instances.values()]) inst.unload();
      await this.endpoint.close();
    })();
    return this.closing;
  }
}
