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
import { NetConnectionCode } from '../flash/net-status.js';
import { SystemClock, type Clock, type TimerHandle } from '../time/clock.js';
import type { Session } from '../session/session.js';
import { RtmfpError } from '../errors.js';
import type { DatagramTransport } from '../transport/datagram-transport.js';
import { formatIp, formatSocketAddress } from '../transport/socket-address.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, type SessionRefusal } from './server-client.js';
import { RefusalLog, DEFAULT_REFUSAL_LOG_INTERVAL_MS, type ServerRefusalCounters } from './refusal-log.js';
import { mayPublishUnder, requiredToken, tokenMatches, type ServerAccessRules } from './access.js';

export interface RtmfpServerOptions extends ServerApplication {
  /** Bind address. Default 0.0.0.0 (every interface). Ignored with `transport`. */
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
  /** Every timer and deferral of the server (and its endpoint). Default: a SystemClock. */
  clock?: Clock;
  /** The datagram transport to serve on (a VirtualNetwork port...). Default: UDP on host:port. */
  transport?: DatagramTransport;
  /**
   * Most clients served at once. Sessions beyond it get Connect.Rejected ("server full") and
   * are closed; past a small headroom more the handshake itself is not answered. Default 4096.
   */
  maxSessions?: number;
  /** Most sessions from one IP address; more are answered Connect.Rejected. Default 64. */
  maxSessionsPerAddress?: number;
  /** How long a session may stay without a decided `connect` before it is closed. Default 10 s. */
  connectTimeoutMs?: number;
  /** Token and per-application rules (connect, publish, record). Default: open to anyone. */
  access?: ServerAccessRules;
  /** Interval of the rate-limited refusal log's summary line. Default 10 s. */
  refusalLogIntervalMs?: number;
}

/** Default of RtmfpServerOptions.maxSessions. */
export const DEFAULT_MAX_SESSIONS = 4096;
/** Default of RtmfpServerOptions.maxSessionsPerAddress. */
export const DEFAULT_MAX_SESSIONS_PER_ADDRESS = 64;

/** A snapshot of what the server holds and what its relay did. */
export interface RtmfpServerStats {
  clients: number;
  instances: number;
  streams: number;
  publishers: number;
  players: number;
  relay: RelayCounters;
  /** Sessions and connects refused, by reason (each also logged, rate-limited). */
  refusals: ServerRefusalCounters & {
    /** Handshakes not completed because even the endpoint's headroom was full. */
    handshakes: number;
  };
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
  readonly clock: Clock;
  readonly maxSessions: number;
  readonly maxSessionsPerAddress: number;
  private readonly options: RtmfpServerOptions;
  private readonly clientContext: ServerClientContext;
  private readonly refusals: RefusalLog;
  /** Sessions admitted (not refused) by IP address. */
  private readonly perAddress = new Map<string, number>();
  private admitted = 0;
  /** Refused sessions still open (waiting for their connect to answer it). */
  private refusing = 0;
  private readonly refusingLimit: number;
  private closing: Promise<void> | undefined;

  static async listen(options: RtmfpServerOptions = {}): Promise<RtmfpServer> {
    const maxSessions = positiveInteger(options.maxSessions, DEFAULT_MAX_SESSIONS, 'maxSessions');
    positiveInteger(options.maxSessionsPerAddress, DEFAULT_MAX_SESSIONS_PER_ADDRESS, 'maxSessionsPerAddress');
    const clock = options.clock ?? new SystemClock();
    const endpoint = await Endpoint.listen({
      // A Flash server introduces its clients to each other (direct NetStreams, RFC 7425 5.4).
      introductions: true,
      // Room for the sessions refused with a reason; beyond it the handshake is refused.
      maxSessions: maxSessions + refusalHeadroom(maxSessions),
      ...options.endpoint,
      ...(options.transport ? { transport: options.transport } : {}),
      clock,
      host: options.host ?? '0.0.0.0',
      port: options.port ?? 1935,
      identity: options.identity ?? createServerIdentity(),
    });
    return new RtmfpServer(endpoint, options, clock, maxSessions);
  }

  private constructor(endpoint: Endpoint, options: RtmfpServerOptions, clock: Clock, maxSessions: number) {
    super();
    this.endpoint = endpoint;
    this.options = options;
    this.clock = clock;
    this.maxSessions = maxSessions;
    this.maxSessionsPerAddress = options.maxSessionsPerAddress ?? DEFAULT_MAX_SESSIONS_PER_ADDRESS;
    this.refusingLimit = refusalHeadroom(maxSessions);
    this.logger = options.logger ?? SILENT_LOGGER;
    this.refusals = new RefusalLog(clock, this.logger, options.refusalLogIntervalMs ?? DEFAULT_REFUSAL_LOG_INTERVAL_MS);
    const access = options.access;
    const ruled = access?.applications ? new Set(Object.keys(access.applications)) : undefined;
    const listed = options.applications?.length ? new Set(options.applications) : undefined;
    this.clientContext = {
      clock,
      refusals: this.refusals,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      admit: (client, args) => {
        const token = requiredToken(access, client.app);
        if (token === undefined || tokenMatches(token, args)) return undefined;
        return { code: NetConnectionCode.ConnectRejected, description: args.length === 0 || typeof args[0] !== 'string' ? 'A token is required (first connect argument).' : 'Bad token.' };
      },
      mayPublish: (client, _name, type) => mayPublishUnder(access, client.app, type),
      counters: this.relayCounters,
      logger: this.logger,
      mediaLifetimeMs: options.mediaLifetimeMs ?? DEFAULT_RELAY_MEDIA_LIFETIME_MS,
      hasApplication: (app) => app.length > 0 && (!listed || listed.has(app)) && (!ruled || ruled.has(app)),
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
    endpoint.on('session', (session) => this.onSession(session));
  }

  private onSession(session: Session): void {
    const ip = formatIp(session.farAddress);
    const fromIp = this.perAddress.get(ip) ?? 0;
    let refusal: SessionRefusal | undefined;
    if (this.admitted >= this.maxSessions) {
      refusal = { kind: 'serverFull', description: `Server full (${this.maxSessions} sessions).` };
    } else if (fromIp >= this.maxSessionsPerAddress) {
      refusal = { kind: 'perAddress', description: `Too many sessions from ${ip} (at most ${this.maxSessionsPerAddress}).` };
    }
    if (refusal) {
      this.refusals.note(refusal.kind, { address: formatSocketAddress(session.farAddress) });
      if (this.refusing >= this.refusingLimit) {
        // No room left even to answer: close it without a word (after the endpoint's turn).
        this.clock.defer(() => session.close());
        return;
      }
      this.refusing++;
    } else {
      this.admitted++;
      this.perAddress.set(ip, fromIp + 1);
    }
    const client = new ServerClient(session, this.endpoint.peerId, this.options, this.clientContext, refusal);
    this.clients.add(client);
    client.once('close', () => {
      if (refusal) this.refusing--;
      else {
        this.admitted--;
        const n = (this.perAddress.get(ip) ?? 1) - 1;
        if (n > 0) this.perAddress.set(ip, n);
        else this.perAddress.delete(ip);
      }
      this.clients.delete(client);
      this.emit('clientClose', client);
    });
    this.emit('client', client);
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
      inst = new AppInstance(app, name, this.relayCounters, { idleUnloadMs: this.options.instanceIdleUnloadMs ?? DEFAULT_IDLE_UNLOAD_MS, clock: this.clock, ...options });
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
    return {
      clients: this.clients.size,
      instances: this.instances.size,
      streams,
      publishers,
      players,
      relay: { ...this.relayCounters },
      refusals: { ...this.refusals.counters, handshakes: this.endpoint.counters.refusedSessions },
    };
  }

  /** Closes every client's session (orderly, bounded by closeWaitMs), then the socket. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const open = [...this.clients];
      const closed = Promise.all(open.map((c) => (c.state === 'closed' ? undefined : new Promise<void>((r) => c.once('close', () => r())))));
      for (const c of open) c.close();
      let timer: TimerHandle | undefined;
      const waitMs = this.options.closeWaitMs ?? 3000;
      await Promise.race([closed, new Promise<void>((r) => (timer = this.clock.setTimer(this.clock.now() + waitMs, r)))]);
      timer?.cancel();
      this.refusals.close();
      for (const inst of [...this.instances.values()]) inst.unload();
      await this.endpoint.close();
    })();
    return this.closing;
  }
}

/** Sessions the server keeps open beyond maxSessions only to answer them Connect.Rejected. */
function refusalHeadroom(maxSessions: number): number {
  return Math.max(8, Math.ceil(maxSessions / 16));
}

function positiveInteger(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1) throw new RtmfpError('ERR_SERVER_OPTIONS', `${name} must be a positive integer, got ${v}`);
  return v;
}
