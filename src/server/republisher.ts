// Server-side republishing ("multipoint publishing"): a local LiveStream is published again on
// another RTMFP server through a client NetConnection / NetStream of our own (RFC 7425 section 5,
// wire-reference E.3/E.4). The republisher is a subscriber of the local stream like a playing
// client; it mirrors the local publish state on the remote stream: while the local stream is
// published it publishes remotely (metadata and decoder configuration first, then the live
// messages with their timestamps), and when the local publisher stops it closes the remote
// stream, so the remote players see NetStream.Play.UnpublishNotify as local players do.
//
// Nothing here may throw into the relay: deliver() runs inside LiveStream.relay's loop. What the
// remote flows do not take is dropped and counted, and video then waits for a keyframe, as the
// relay does for a slow player. A lost remote connection is reported ('status') and, with
// `reconnectMs`, retried with a doubling, capped delay and a bounded number of attempts.
import { EventEmitter } from 'node:events';
import { RtmfpError } from '../errors.js';
import { NetConnection, type NetConnectionOptions } from '../flash/net-connection.js';
import { NetConnectionCode, NetStreamCode, type NetStatusInfo } from '../flash/net-status.js';
import { DEFAULT_MEDIA_LIFETIME_MS, NetStream } from '../flash/net-stream.js';
import { parseRtmfpUri } from '../flash/rtmfp-uri.js';
import type { AmfValue } from '../wire/amf/types.js';
import { FlashMessageDecoder, FlashMessageType } from '../wire/flash/message.js';
import type { InstanceMember, MemberInstance } from './instance-member.js';
import type { LiveStream, RelayedMessage, StreamSubscriber } from '../stream/live-stream.js';
import { SILENT_LOGGER, type ServerLogger } from './server-logger.js';
import { SystemClock, type Clock, type TimerHandle } from '../time/clock.js';

export const RepublisherErrorCode = {
  /** The remote server refused the connection (Rejected / InvalidApp). */
  Rejected: 'ERR_REPUBLISH_REJECTED',
  /** The remote server refused the stream name (NetStream.Publish.BadName). */
  BadName: 'ERR_REPUBLISH_BAD_NAME',
  /** The remote connection failed or was lost and no (further) reconnect is allowed. */
  Failed: 'ERR_REPUBLISH_FAILED',
  /** Bad options. */
  Options: 'ERR_REPUBLISH_OPTIONS',
} as const;
export type RepublisherErrorCode = (typeof RepublisherErrorCode)[keyof typeof RepublisherErrorCode];

export class RepublisherError extends RtmfpError {
  /** The status that caused the error, when there was one. */
  readonly info: NetStatusInfo | undefined;
  constructor(code: RepublisherErrorCode, message: string, info?: NetStatusInfo) {
    super(code, message);
    this.info = info;
  }
}

export interface RepublishTarget {
  /** rtmfp://host[:port]/app[/instance] of the remote server. */
  uri: string;
  /** Stream name on the remote server. Default: the local stream's name. */
  name?: string;
  /** Values after the command object of the remote `connect`. */
  connectArgs?: AmfValue[];
}

export interface StreamRepublisherOptions {
  logger?: ServerLogger;
  /**
   * First reconnect delay after the remote connection failed or was lost; each further attempt
   * doubles it up to `maxReconnectDelayMs`. Undefined or 0: no reconnect (the republisher stops).
   */
  reconnectMs?: number;
  /** Cap of the reconnect delay. Default 30 s. */
  maxReconnectDelayMs?: number;
  /** Consecutive failed attempts after which the republisher gives up and stops. Default 10. */
  maxReconnectAttempts?: number;
  /** Options of the NetConnection to the remote server (endpointOptions: {host} picks the bind address). */
  netConnection?: NetConnectionOptions;
  /** How long the remote server may take to answer publish (Publish.Start / BadName). Default 10 s. */
  publishTimeoutMs?: number;
  /** Lifetime of forwarded audio / video (partial reliability). Default: NetStream's (2000 ms). */
  mediaLifetimeMs?: number;
  /** Join this instance while running (keeps it loaded) and stop when it unloads. */
  instance?: MemberInstance;
  /**
   * Timers and deferrals (publish timeout, reconnect delay), also given to the remote
   * NetConnection (and so to its own endpoint). Default: a SystemClock (AppInstance passes the server's).
   */
  clock?: Clock;
}

export interface StreamRepublisherCounters {
  /** Messages queued on the remote stream's flows. */
  forwarded: number;
  /**
   * Messages not forwarded: the remote flow was full, video waiting for a keyframe after such a
   * drop, or media relayed while the remote stream was not publishing (connecting, reconnecting).
   */
  dropped: number;
  /** Connection attempts after the first successful connection. */
  reconnects: number;
}

export interface StreamRepublisherEvents {
  /** Every NetStatus info of the remote NetConnection and NetStream. */
  status: [info: NetStatusInfo];
  /** Emitted only when someone listens (an unheard 'error' must not throw into the relay). */
  error: [error: RepublisherError];
  close: [];
}

/**
 * `connecting`: opening the remote connection; `connected`: connected, the local stream is not
 * published; `starting`: remote publish sent, waiting for Publish.Start; `publishing`: forwarding;
 * `waiting`: a reconnect (or a publish retry) is scheduled; `closed`: stopped.
 */
export type StreamRepublisherState = 'connecting' | 'connected' | 'starting' | 'publishing' | 'waiting' | 'closed';

/** Default time the remote server has to answer publish. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
/** Default cap of the reconnect delay. */
export const DEFAULT_MAX_RECONNECT_DELAY_MS = 30_000;
/** Default bound on consecutive failed reconnect attempts. */
export const DEFAULT_MAX_RECONNECT_ATTEMPTS = 10;
/** Decoder configuration must not expire: a player cannot decode anything without it. */
const CONFIG_LIFETIME_MS = Infinity;

export class StreamRepublisher extends EventEmitter<StreamRepublisherEvents> implements StreamSubscriber, InstanceMember {
  readonly kind = 'republisher';
  readonly stream: LiveStream;
  readonly uri: string;
  /** Stream name on the remote server. */
  readonly remoteName: string;
  readonly counters: StreamRepublisherCounters = { forwarded: 0, dropped: 0, reconnects: 0 };
  /** The latest remote status (connection or stream). */
  lastStatus: NetStatusInfo | undefined;
  /** The error that stopped the republisher, if one did. */
  error: RepublisherError | undefined;

  private readonly connectArgs: AmfValue[];
  private readonly options: StreamRepublisherOptions;
  private readonly logger: ServerLogger;
  private readonly instance: MemberInstance | undefined;
  private readonly decoder = new FlashMessageDecoder();
  private nc: NetConnection | undefined;
  private ns: NetStream | undefined;
  private connected = false;
  private publishing = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Consecutive failed attempts (connection or publish); reset by Publish.Start. */
  private failures = 0;
  private everConnected = false;
  private readonly clock: Clock;
  private retryTimer: TimerHandle | undefined;
  private publishTimer: TimerHandle | undefined;
  /** After a refused video frame (or at the start), video resumes at a keyframe. */
  private needKeyframe = true;
  /** A refused decoder configuration is sent again before the next keyframe. */
  private resendVideoConfig = false;
  private resendAudioConfig = false;
  /** Resolves start(): the first attempt settled (publishing, connected and idle, or failed). */
  private settle: (() => void) | undefined;

  private constructor(stream: LiveStream, target: RepublishTarget, options: StreamRepublisherOptions) {
    super();
    this.stream = stream;
    this.uri = target.uri;
    this.remoteName = target.name ?? stream.name;
    this.connectArgs = target.connectArgs ?? [];
    this.options = options;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.instance = options.instance;
    this.clock = options.clock ?? new SystemClock();
  }

  /**
   * Starts republishing `stream` to `target`. Throws RepublisherError (Options) or RtmfpError
   * (ERR_NETCONNECTION_URI) for bad arguments, before anything is subscribed. Otherwise resolves
   * once the first attempt settled: remote publish started, connected while the local stream is
   * not published, or failed (see `state`, `lastStatus`; a failure without reconnect leaves it
   * closed). Remote failures never reject.
   */
  static async start(stream: LiveStream, target: RepublishTarget, options: StreamRepublisherOptions = {}): Promise<StreamRepublisher> {
    parseRtmfpUri(target.uri);
    if (target.name !== undefined && target.name.length === 0) throw new RepublisherError(RepublisherErrorCode.Options, 'empty remote stream name');
    for (const key of ['reconnectMs', 'maxReconnectDelayMs', 'maxReconnectAttempts', 'mediaLifetimeMs', 'publishTimeoutMs'] as const) {
      const v = options[key];
      if (v !== undefined && !(v >= 0)) throw new RepublisherError(RepublisherErrorCode.Options, `${key} must be a non-negative number, got ${v}`);
    }
    const r = new StreamRepublisher(stream, target, options);
    const settled = new Promise<void>((resolve) => (r.settle = resolve));
    r.begin();
    await settled;
    return r;
  }

  get state(): StreamRepublisherState {
    if (this.closed) return 'closed';
    if (this.publishing) return 'publishing';
    if (this.ns) return 'starting';
    if (this.retryTimer) return 'waiting';
    return this.connected ? 'connected' : 'connecting';
  }

  /** Unpublishes remotely, closes the remote connection and leaves the local stream. Idempotent. */
  stop(): Promise<void> {
    return this.shutdown(undefined);
  }

  // ---- StreamSubscriber ----

  onPublish(_stream: LiveStream): void {
    this.needKeyframe = true;
    if (this.publishing) this.sendCached();
    else this.reconcile();
  }

  onUnpublish(_stream: LiveStream): void {
    this.reconcile();
  }

  /** The relay's per-subscriber step: must not throw and must return quickly. */
  deliver(m: RelayedMessage): void {
    const ns = this.ns;
    if (!this.publishing || !ns) {
      if (m.type === FlashMessageType.Audio || m.type === FlashMessageType.Video) this.counters.dropped++;
      return;
    }
    try {
      if (m.type === FlashMessageType.Audio) return this.forwardAudio(ns, m);
      if (m.type === FlashMessageType.Video) return this.forwardVideo(ns, m);
      if (m.type === FlashMessageType.DataAmf0 || m.type === FlashMessageType.DataAmf3) return this.forwardData(ns, m);
    } catch (e) {
      // A write the flows refused outright (backlog limit, closed flow): the remote stream is broken.
      this.counters.dropped++;
      this.logger.warn({ stream: this.stream.name, uri: this.uri, err: String(e) }, 'republish write failed');
      this.dropStream();
      this.retryOrStop(new RepublisherError(RepublisherErrorCode.Failed, `writing to the remote stream failed: ${String(e)}`));
    }
  }

  // ---- forwarding ----

  private forwardAudio(ns: NetStream, m: RelayedMessage): void {
    if (this.resendAudioConfig && !m.config && this.stream.audioConfig) {
      if (!this.sendConfig(ns, this.stream.audioConfig)) return void this.counters.dropped++;
    }
    const ok = m.config ? this.sendConfig(ns, m) : ns.sendAudio(m.timestamp, m.payload);
    this.count(ok);
  }

  private forwardVideo(ns: NetStream, m: RelayedMessage): void {
    if (m.config) return this.count(this.sendConfig(ns, m));
    if (this.needKeyframe) {
      if (!m.keyframe) return void this.counters.dropped++;
      if (this.resendVideoConfig && this.stream.videoConfig && !this.sendConfig(ns, this.stream.videoConfig)) return void this.counters.dropped++;
    }
    const ok = ns.sendVideo(m.timestamp, m.payload);
    this.count(ok);
    this.needKeyframe = !ok;
  }

  /** onMetaData goes out as `@setDataFrame onMetaData`, so the remote server keeps it for late players (E.7). */
  private forwardData(ns: NetStream, m: RelayedMessage): void {
    let handler: string;
    let args: AmfValue[];
    try {
      const d = this.decoder.decode(m.bytes);
      if (d.kind !== 'data') return;
      ({ handler, args } = d.data);
    } catch (e) {
      if (e instanceof RtmfpError) return void this.counters.dropped++;
      throw e;
    }
    if (handler === 'onMetaData') ns.send('@setDataFrame', 'onMetaData', ...args);
    else ns.send(handler, ...args);
    this.counters.forwarded++;
  }

  /** A decoder configuration, with no lifetime; a refusal is remembered and retried before the next frame. */
  private sendConfig(ns: NetStream, m: RelayedMessage): boolean {
    const lifetime = ns.mediaLifetimeMs;
    ns.mediaLifetimeMs = CONFIG_LIFETIME_MS;
    const ok = m.type === FlashMessageType.Video ? ns.sendVideo(m.timestamp, m.payload) : ns.sendAudio(m.timestamp, m.payload);
    ns.mediaLifetimeMs = lifetime;
    if (m.type === FlashMessageType.Video) {
      this.resendVideoConfig = !ok;
      if (!ok) this.needKeyframe = true;
    } else {
      this.resendAudioConfig = !ok;
    }
    return ok;
  }

  private count(ok: boolean): void {
    if (ok) this.counters.forwarded++;
    else this.counters.dropped++;
  }

  /** What the remote stream needs first: metadata and decoder configuration held by the local stream. */
  private sendCached(): void {
    const ns = this.ns;
    if (!ns) return;
    this.needKeyframe = true;
    this.resendAudioConfig = this.resendVideoConfig = false;
    const s = this.stream;
    if (s.metadata) this.deliver(s.metadata);
    if (s.audioConfig) this.deliver(s.audioConfig);
    if (s.videoConfig) this.deliver(s.videoConfig);
  }

  // ---- remote connection and stream ----

  private begin(): void {
    if (this.instance) {
      this.instance.join(this);
      this.instance.once('unload', this.onInstanceUnload);
    }
    this.stream.subscribe(this);
    this.reconcile();
  }

  private readonly onInstanceUnload = (): void => void this.shutdown(undefined);

  /** Brings the remote side in line with the local stream: connect, publish or unpublish. */
  private reconcile(): void {
    if (this.closed || this.retryTimer) return;
    if (!this.nc) return this.connect();
    if (!this.connected) return;
    if (this.stream.published && !this.ns) return this.publish();
    if (!this.stream.published && this.ns) {
      this.dropStream();
      this.logger.info({ stream: this.stream.name, uri: this.uri, remote: this.remoteName }, 'republish stopped: local stream unpublished');
    }
    if (!this.stream.published) this.settled();
  }

  private connect(): void {
    const o = this.options.netConnection ?? {};
    // The remote connection (and its own endpoint) runs on our clock unless it brings its own.
    const nc = new NetConnection(o.clock || o.endpoint || o.endpointOptions?.clock ? o : { ...o, clock: this.clock });
    this.nc = nc;
    this.connected = false;
    nc.on('netStatus', (info) => this.onConnectionStatus(nc, info));
    if (this.everConnected) this.counters.reconnects++;
    this.logger.info({ stream: this.stream.name, uri: this.uri }, 'republish connecting');
    void nc.connect(this.uri, ...this.connectArgs);
  }

  private onConnectionStatus(nc: NetConnection, info: NetStatusInfo): void {
    if (nc !== this.nc || this.closed) return;
    this.report(info);
    switch (info.code) {
      case NetConnectionCode.ConnectSuccess:
        this.connected = true;
        this.everConnected = true;
        this.logger.info({ stream: this.stream.name, uri: this.uri }, 'republish connected');
        return this.reconcile();
      case NetConnectionCode.ConnectRejected:
      case NetConnectionCode.ConnectInvalidApp:
        this.fail(RepublisherErrorCode.Rejected, `${this.uri} refused the connection: ${info.code}`, info);
        return;
      case NetConnectionCode.ConnectFailed:
      case NetConnectionCode.ConnectClosed:
        this.fail(RepublisherErrorCode.Failed, `connection to ${this.uri}: ${info.code}${info.description ? ` (${info.description})` : ''}`, info);
        return;
      default:
        return;
    }
  }

  private publish(): void {
    const ns = new NetStream(this.nc!);
    ns.mediaLifetimeMs = this.options.mediaLifetimeMs ?? DEFAULT_MEDIA_LIFETIME_MS;
    this.ns = ns;
    this.publishing = false;
    ns.on('netStatus', (info) => this.onStreamStatus(ns, info));
    ns.publish(this.remoteName);
    const timeoutMs = this.options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    this.publishTimer?.cancel();
    this.publishTimer = this.clock.setTimer(this.clock.now() + timeoutMs, () => {
      this.publishTimer = undefined;
      if (this.ns !== ns || this.publishing || this.closed) return;
      this.dropStream();
      this.retryOrStop(new RepublisherError(RepublisherErrorCode.Failed, `${this.uri} did not answer publish ${JSON.stringify(this.remoteName)} within ${timeoutMs} ms`));
    });
  }

  private onStreamStatus(ns: NetStream, info: NetStatusInfo): void {
    if (ns !== this.ns || this.closed) return;
    this.report(info);
    switch (info.code) {
      case NetStreamCode.PublishStart:
        this.publishTimer?.cancel();
        this.publishTimer = undefined;
        this.publishing = true;
        this.failures = 0;
        this.logger.info({ stream: this.stream.name, uri: this.uri, remote: this.remoteName }, 'republishing');
        this.sendCached();
        this.settled();
        return;
      case NetStreamCode.PublishBadName:
        this.dropStream();
        this.retryOrStop(new RepublisherError(RepublisherErrorCode.BadName, `${this.uri} refused to publish ${JSON.stringify(this.remoteName)}`, info));
        return;
      case NetStreamCode.UnpublishSuccess:
        // The remote server stopped our stream (its instance unloaded, say): publish again later.
        this.dropStream();
        this.retryOrStop(new RepublisherError(RepublisherErrorCode.Failed, `${this.uri} stopped ${JSON.stringify(this.remoteName)}: ${info.description ?? info.code}`, info));
        return;
      case NetStreamCode.ConnectFailed:
      case NetStreamCode.ConnectClosed: {
        // The NetStream is failing itself (no close() from here). When its connection is what
        // ended, the connection's own status follows in the same tick and handles the retry.
        const nc = this.nc;
        this.ns = undefined;
        this.publishing = false;
        this.clock.defer(() => {
          if (!this.closed && this.nc === nc && this.connected && !this.ns) {
            this.retryOrStop(new RepublisherError(RepublisherErrorCode.Failed, `remote stream: ${info.description ?? info.code}`, info));
          }
        });
        return;
      }
      default:
        return;
    }
  }

  /** Closes the remote stream (the remote players see Play.UnpublishNotify). */
  private dropStream(): void {
    this.publishTimer?.cancel();
    this.publishTimer = undefined;
    const ns = this.ns;
    this.ns = undefined;
    this.publishing = false;
    if (ns && ns.state !== 'closed') {
      try {
        ns.close();
      } catch (e) {
        this.logger.warn({ stream: this.stream.name, err: String(e) }, 'republish stream close failed');
      }
    }
  }

  /** The connection failed or ended: drop it and retry later, or stop. */
  private fail(code: RepublisherErrorCode, message: string, info: NetStatusInfo): void {
    const nc = this.nc;
    this.nc = undefined;
    this.connected = false;
    this.ns = undefined; // its NetConnection fails it
    this.publishing = false;
    if (nc) void closeOutsideCallbacks(nc, this.clock);
    this.logger.warn({ stream: this.stream.name, uri: this.uri, code: info.code }, 'republish connection failed');
    this.retryOrStop(new RepublisherError(code, message, info));
  }

  /** Reports `error` and tries again later, or stops with it when no (further) attempt is allowed. */
  private retryOrStop(error: RepublisherError): void {
    if (this.scheduleRetry()) this.emitError(error);
    else void this.shutdown(error);
  }

  /** Schedules the next attempt; false when reconnecting is off or the attempts are used up. */
  private scheduleRetry(): boolean {
    if (this.closed) return false;
    this.failures++;
    const base = this.options.reconnectMs ?? 0;
    const max = this.options.maxReconnectAttempts ?? DEFAULT_MAX_RECONNECT_ATTEMPTS;
    if (base <= 0 || this.failures > max) {
      this.settled();
      return false;
    }
    const delay = Math.min(base * 2 ** (this.failures - 1), this.options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS);
    this.retryTimer?.cancel();
    this.retryTimer = this.clock.setTimer(this.clock.now() + delay, () => {
      this.retryTimer = undefined;
      this.reconcile();
    });
    this.settled();
    return true;
  }

  private settled(): void {
    const s = this.settle;
    this.settle = undefined;
    s?.();
  }

  private report(info: NetStatusInfo): void {
    this.lastStatus = info;
    this.emit('status', info);
  }

  private emitError(error: RepublisherError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private shutdown(error: RepublisherError | undefined): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.error = error;
      this.retryTimer?.cancel();
      this.retryTimer = undefined;
      this.stream.unsubscribe(this);
      if (this.instance) {
        this.instance.off('unload', this.onInstanceUnload);
        this.instance.leave(this);
        if (this.instance.loaded) this.instance.releaseStream(this.stream);
      }
      const nc = this.nc;
      this.dropStream();
      this.nc = undefined;
      this.connected = false;
      if (nc) await closeOutsideCallbacks(nc, this.clock);
      this.logger.info({ stream: this.stream.name, uri: this.uri, ...this.counters }, 'republish stopped');
      if (error) this.emitError(error);
      this.settled();
      this.emit('close');
    })();
    return this.closing;
  }
}

/**
 * Closes a NetConnection on a later turn: statuses arrive from inside its session's receive
 * callbacks, and closing the session there re-enters its flow machinery.
 */
async function closeOutsideCallbacks(nc: NetConnection, clock: Clock): Promise<void> {
  await new Promise<void>((resolve) => clock.immediate(resolve));
  await nc.close();
}
