// What the members of an application instance (file publishers, recorders, republishers) see of
// it. Kept apart from AppInstance, which starts those members, so that neither imports the other.
import type { LiveStream } from '../stream/live-stream.js';

/** Something that keeps an instance busy: a connected client, a file publisher, a recorder. */
export interface InstanceMember {
  readonly kind: string;
}

/** The instance as its members use it (AppInstance implements it). */
export interface MemberInstance {
  readonly loaded: boolean;
  join(member: InstanceMember): void;
  leave(member: InstanceMember): void;
  /** Forgets a stream nobody publishes or plays any more. */
  releaseStream(stream: LiveStream): void;
  once(event: 'unload', listener: () => void): unknown;
  off(event: 'unload', listener: () => void): unknown;
}
