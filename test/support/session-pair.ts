// Two Sessions wired back to back under a ManualClock, without an Endpoint, crypto or sockets:
// every plaintext packet a session hands to `transmit` is copied, decoded with the real wire codec,
// recorded, and delivered to the other session after `latencyMs`, unless that direction is cut
// (a far end that died). Protocol timers run only when the test advances the clock.
import { ManualClock } from '../../src/time/clock.js';
import { Session, type SessionContext, type SessionOptions } from '../../src/session/session.js';
import { EndpointTimeCritical } from '../../src/flow/congestion.js';
import type { EstablishedSession } from '../../src/session/handshake/actions.js';
import { decodePacket, type DecodedPacket } from '../../src/wire/packet.js';
import { PacketMode, chunkAllowedInMode } from '../../src/wire/chunk-type.js';
import type { SocketAddress } from '../../src/wire/address.js';

export interface SentPacket {
  at: number;
  /** The plaintext bytes as transmitted (flags byte onward), a copy. */
  bytes: Uint8Array;
  packet: DecodedPacket;
}

/** One end of the pair: its session, what it sent, and whether its packets still arrive. */
export interface PairEnd {
  session: Session;
  sent: SentPacket[];
  /** False: this end's packets are lost (it died, or its path did). */
  delivering: boolean;
}

function addr(last: number, port: number): SocketAddress {
  return { family: 4, ip: new Uint8Array([10, 0, 0, last]), port, origin: 0 };
}

function established(role: 'initiator' | 'responder', near: number, far: number, farAddress: SocketAddress): EstablishedSession {
  const id = (n: number): Uint8Array => new Uint8Array([0, 0, 0, n]);
  const peerId = new Uint8Array(32).fill(far);
  // Session reads only the role, IDs, far identity and address; keys belong to the endpoint.
  return {
    role,
    attemptId: undefined,
    nearSessionId: id(near),
    farSessionId: id(far),
    farAddress,
    farCertificate: new Uint8Array([far]),
    farPeerId: peerId,
    farCanonicalEpd: peerId,
    epd: undefined,
    skic: new Uint8Array(0),
    skrc: new Uint8Array(0),
  } as unknown as EstablishedSession;
}

export class SessionPair {
  readonly clock: ManualClock;
  readonly a: PairEnd;
  readonly b: PairEnd;
  latencyMs: number;
  /** Fraction of packets lost at random (both ways), from a seeded generator. */
  lossRate: number;
  private seed = 12345;

  constructor(options: { latencyMs?: number; lossRate?: number; start?: number; a?: SessionOptions; b?: SessionOptions } = {}) {
    this.clock = new ManualClock(options.start ?? 1000);
    this.latencyMs = options.latencyMs ?? 5;
    this.lossRate = options.lossRate ?? 0;
    const addrA = addr(1, 1935);
    const addrB = addr(2, 1935);
    const ends = new Map<Session, PairEnd>();
    const ctx = (from: SocketAddress): SessionContext => ({
      clock: this.clock,
      timeCritical: new EndpointTimeCritical(),
      transmit: (s, packet) => {
        const end = ends.get(s)!;
        const bytes = packet.slice();
        end.sent.push({ at: this.clock.now(), bytes, packet: decodePacket(bytes) });
        if (!end.delivering || (this.lossRate > 0 && this.random() < this.lossRate)) return;
        const other = end === this.a ? this.b : this.a;
        this.clock.setTimer(this.clock.now() + this.latencyMs, () => {
          const p = decodePacket(bytes);
          const mode = s.role === 'initiator' ? PacketMode.Initiator : PacketMode.Responder;
          const chunks = p.chunks.filter((c) => c.type === 'unknown' || chunkAllowedInMode(c.type, mode));
          other.session.receivePacket(p.header, chunks, from, bytes.length + 4, this.clock.now());
        });
      },
      forwardedIHello: () => {},
      closed: () => {},
    });
    const sa = new Session(ctx(addrA), established('initiator', 1, 2, addrB), options.a);
    const sb = new Session(ctx(addrB), established('responder', 2, 1, addrA), options.b);
    this.a = { session: sa, sent: [], delivering: true };
    this.b = { session: sb, sent: [], delivering: true };
    ends.set(sa, this.a);
    ends.set(sb, this.b);
  }

  private random(): number {
    // xorshift32: reproducible loss patterns.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed / 2 ** 32;
  }

  /** Advances virtual time by `ms`, running every timer and delivery due on the way. */
  run(ms: number): void {
    this.clock.advance(ms);
  }
}
