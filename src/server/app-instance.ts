// An application instance ("app/instance" of rtmfp://host/app/instance): the clients connected
// to it and its named live streams. An instance is loaded by its first client (or by the server
// application) and unloaded once it has been idle for `idleUnloadMs`, unless kept loaded.
import { EventEmitter } from 'node:events';
import { LiveStream } from '../stream/live-stream.js';
import { FlvFilePublisher, type FlvFilePublisherOptions } from './flv-file-publisher.js';
import { FlvRecorder, type FlvRecorderOptions } from './flv-recorder.js';
import { StreamRepublisher, type RepublishTarget, type StreamRepublisherOptions } from './republisher.js';
import type { RelayCounters } from '../stream/relay-counters.js';
import type { InstanceMember, MemberInstance } from './instance-member.js';
import { SystemClock, type Clock, type TimerHandle } from '../time/clock.js';

/** Instance name used when the URI names only the application (FMS's convention). */
export const DEFAULT_INSTANCE_NAME = '_definst_';
/** How long an instance with no clients and no streams stays loaded. */
export const DEFAULT_IDLE_UNLOAD_MS = 30_000;

export interface AppInstanceOptions {
  /** Stay loaded when idle (a server application holding state, a scheduled publish). */
  keepLoaded?: boolean;
  idleUnloadMs?: number;
  /** Time source of the idle timer (the server's). Default: a SystemClock (timers do not hold the process). */
  clock?: Clock;
}

export class AppInstance extends EventEmitter<{ unload: [] }> implements MemberInstance {
  readonly app: string;
  readonly name: string;
  readonly streams = new Map<string, LiveStream>();
  readonly members = new Set<InstanceMember>();
  keepLoaded: boolean;
  loaded = true;
  private readonly idleUnloadMs: number;
  private readonly counters: RelayCounters;
  private readonly clock: Clock;
  private idleTimer: TimerHandle | undefined;

  constructor(app: string, name: string, counters: RelayCounters, options: AppInstanceOptions = {}) {
    super();
    this.app = app;
    this.name = name;
    this.counters = counters;
    this.keepLoaded = options.keepLoaded ?? false;
    this.idleUnloadMs = options.idleUnloadMs ?? DEFAULT_IDLE_UNLOAD_MS;
    this.clock = options.clock ?? new SystemClock();
    this.checkIdle();
  }

  /** "app/instance": the key of the server's instance table. */
  get path(): string {
    return `${this.app}/${this.name}`;
  }

  /** The stream of that name, created on first use. */
  stream(name: string): LiveStream {
    let s = this.streams.get(name);
    if (!s) {
      s = new LiveStream(name, this.counters);
      this.streams.set(name, s);
    }
    return s;
  }

  /**
   * Publishes an FLV file as the live stream `name`, paced by its timestamps (see
   * FlvFilePublisher). Rejects with a typed error when the name is already published.
   */
  publishFile(name: string, path: string, options: Omit<FlvFilePublisherOptions, 'instance'> = {}): Promise<FlvFilePublisher> {
    return FlvFilePublisher.start(this.stream(name), path, { ...options, instance: this });
  }

  /** Records the live stream `name` to an FLV file at `path` (see FlvRecorder). */
  async record(name: string, path: string, options: Omit<FlvRecorderOptions, 'instance'> = {}): Promise<FlvRecorder> {
    const recorder = await FlvRecorder.open(path, { ...options, instance: this });
    return recorder.record(this.stream(name));
  }

  /**
   * Republishes the live stream `name` to another server (multipoint publishing) through a
   * server-side NetConnection; see StreamRepublisher. Keeps the instance loaded while it runs.
   */
  republish(name: string, target: RepublishTarget, options: Omit<StreamRepublisherOptions, 'instance'> = {}): Promise<StreamRepublisher> {
    return StreamRepublisher.start(this.stream(name), target, { clock: this.clock, ...options, instance: this });
  }

  /** Forgets a stream nobody publishes or plays any more. */
  releaseStream(stream: LiveStream): void {
    if (stream.idle && this.streams.get(stream.name) === stream) this.streams.delete(stream.name);
    this.checkIdle();
  }

  join(member: InstanceMember): void {
    this.members.add(member);
    this.checkIdle();
  }

  leave(member: InstanceMember): void {
    this.members.delete(member);
    this.checkIdle();
  }

  /** Unloads now: stops every publisher, forgets streams, emits 'unload'. */
  unload(): void {
    if (!this.loaded) return;
    this.loaded = false;
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    for (const s of this.streams.values()) s.publisher?.stopPublishing('instance unloaded');
    this.streams.clear();
    this.emit('unload');
  }

  /** Nothing keeps the instance: no members, no published or played stream, not kept loaded. */
  isIdle(): boolean {
    if (this.keepLoaded || this.members.size > 0) return false;
    for (const s of this.streams.values()) if (!s.idle) return false;
    return true;
  }

  /** (Re)arms the idle timer when nothing is left in the instance. */
  checkIdle(): void {
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    if (!this.loaded || !this.isIdle()) return;
    this.idleTimer = this.clock.setTimer(this.clock.now() + this.idleUnloadMs, () => {
      this.idleTimer = undefined;
      // Streams may have gained a publisher or player since (a file, a republisher): ask again.
      if (this.isIdle()) this.unload();
    });
  }
}
