// One session with a peer as PeerSessions shares it: who holds it, which incoming flows which
// subsystem claimed, and the timer that closes it once nobody holds it any more.
import { EventEmitter } from 'node:events';
import { toHex } from '../crypto/hex.js';
import type { ReceiveFlowInfo } from '../flow/receive-flow.js';
import type { Session, SessionCloseReason } from '../session/session.js';
import type { TimerHandle } from '../time/clock.js';
import type { FlowHandler } from './flow-handler.js';

/** A user's hold on a peer session; the session may close once every hold is released. */
export interface PeerHold {
  readonly peer: PeerSession;
  /** Idempotent. */
  release(): void;
}

/** What a PeerSession needs from its PeerSessions. */
export interface PeerSessionOwner {
  /** Nobody holds `peer` any more (or never did): arm its idle close. */
  idle(peer: PeerSession): void;
  /** Somebody holds `peer` again: disarm its idle close. */
  busy(peer: PeerSession): void;
}

export interface PeerSessionEvents {
  /** The session closed (either way); its holds are void. */
  close: [reason: SessionCloseReason];
}

export class PeerSession extends EventEmitter<PeerSessionEvents> {
  readonly session: Session;
  /** The far end's peer ID, lowercase hex (wire-reference D.6). */
  readonly farId: string;
  /** We opened it (true) or the peer did (false). */
  readonly outbound: boolean;
  /** Incoming flows a route claimed, and their handlers. */
  readonly flows = new Map<ReceiveFlowInfo, FlowHandler>();
  /** The owner's idle-close timer, while armed. */
  idleTimer: TimerHandle | undefined;
  private holds = 0;
  private readonly owner: PeerSessionOwner;

  constructor(session: Session, outbound: boolean, owner: PeerSessionOwner) {
    super();
    this.session = session;
    this.outbound = outbound;
    this.owner = owner;
    this.farId = toHex(session.farPeerId);
  }

  get open(): boolean {
    return this.session.state === 'open';
  }

  /** How many holds are not released. */
  get users(): number {
    return this.holds;
  }

  /** Takes a hold: the session stays open (as far as we decide) until it is released. */
  hold(): PeerHold {
    this.holds++;
    if (this.holds === 1) this.owner.busy(this);
    let released = false;
    return {
      peer: this,
      release: () => {
        if (released) return;
        released = true;
        this.holds--;
        if (this.holds === 0) this.owner.idle(this);
      },
    };
  }
}
