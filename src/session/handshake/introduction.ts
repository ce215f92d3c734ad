// Introductions and load balancing (RFC 7016 sections 3.5.1.4-3.5.1.7; wire-reference B.5, B.6).
//
// Server side of a P2P introduction of A (initiator) to B (target) through S: A sends S an IHello
// whose fingerprint names B. S has a session with B, so it
//   - answers A with a Redirect listing B's observed address (origin 2) and the addresses B
//     reported about itself (origin 1), and
//   - sends B a Forwarded IHello on the S-B session carrying A's EPD and tag and A's address as S
//     observed it (origin 2).
// A then sends IHellos to B's addresses (opening A's NAT toward B) while B answers A's address
// directly with an RHello (opening B's NAT toward A; HandshakeResponder.onForwardedIHello).
//
// Load balancing is the same move with servers instead of a peer: a Redirect listing k servers
// and a Forwarded IHello to each; the servers answer the initiator directly.
import { AddressOrigin, type SocketAddress } from '../../wire/address.js';
import { ChunkType } from '../../wire/chunk-type.js';
import type { ForwardedIHelloChunk, IHelloChunk, RedirectChunk } from '../../wire/chunks/hello.js';
import { STARTUP_SESSION_ID, type HandshakeAction, type KnownSession } from './actions.js';
import { addressKey, isUnroutable, ownAddress } from './address-key.js';
import { MAX_LEARNED_CANDIDATES } from './initiator.js';

/** Addresses we put in one Redirect: what an rtmfp-cpp initiator keeps (B.5). */
export const MAX_REDIRECT_LISTED = MAX_LEARNED_CANDIDATES;

function forwarded(ihello: IHelloChunk, initiator: SocketAddress): ForwardedIHelloChunk {
  return { type: ChunkType.ForwardedIHello, epd: ihello.epd, replyAddress: ownAddress(initiator, AddressOrigin.Observed), tag: ihello.tag };
}

function redirect(tag: Uint8Array, addresses: readonly SocketAddress[]): RedirectChunk {
  const seen = new Set<string>();
  const list: SocketAddress[] = [];
  for (const a of addresses) {
    const k = addressKey(a);
    if (isUnroutable(a) || seen.has(k) || list.length >= MAX_REDIRECT_LISTED) continue;
    seen.add(k);
    list.push(a);
  }
  return { type: ChunkType.Redirect, tagEcho: tag, redirectDestinations: list };
}

/**
 * The two packets S sends for an IHello from `from` naming `target` (B.5 steps 2 and 3): the
 * Redirect to the initiator and the Forwarded IHello on the target's session.
 */
export function introduce(ihello: IHelloChunk, from: SocketAddress, target: KnownSession): HandshakeAction[] {
  const addresses = [
    ownAddress(target.farAddress, AddressOrigin.Observed),
    ...(target.reportedAddresses ?? []).map((a) => ownAddress(a, AddressOrigin.Reported)),
  ];
  return [
    { kind: 'sendStartup', to: ownAddress(from), sessionId: STARTUP_SESSION_ID, chunk: redirect(ihello.tag, addresses) },
    { kind: 'sendOnSession', session: target.handle, chunk: forwarded(ihello, from) },
  ];
}

/** Who may register with a load balancer as a server to redirect clients to. */
export interface ServerAdmission {
  /** Peer IDs (32 bytes) of the servers allowed to register. */
  servers?: readonly Uint8Array[];
  /** Decides on a far end that opened a session to the balancer; true registers it. */
  acceptServer?: (peerId: Uint8Array, certificate: Uint8Array, address: SocketAddress) => boolean;
}

/**
 * The registration rule: a session the far end opened to the balancer registers that far end
 * as a server only if its peer ID is listed or `acceptServer` says yes. Nothing else does (a
 * plain client served by the balancer itself must never become a redirect target), so with
 * neither option no session is a server. The peer ID is what the handshake binds to the
 * session; the EPD the far end asked for is not seen by the stateless responder at keying time.
 */
export function serverAdmission(o: ServerAdmission): (peerId: Uint8Array, certificate: Uint8Array, address: SocketAddress) => boolean {
  const listed = new Set((o.servers ?? []).map((id) => Buffer.from(id).toString('hex')));
  const hook = o.acceptServer;
  return (peerId, certificate, address) => listed.has(Buffer.from(peerId).toString('hex')) || (hook !== undefined && hook(peerId, certificate, address) === true);
}

/**
 * A redirector (rtmfp-cpp `redirector`, vector `cpp-redirect/load-balancer.json`): each IHello
 * gets a Redirect listing `k` servers, chosen round robin, and a Forwarded IHello to each of them.
 */
export class LoadBalancer {
  private next = 0;

  constructor(
    private readonly servers: () => readonly KnownSession[],
    readonly k = 1,
  ) {
    if (!Number.isInteger(k) || k < 1 || k > MAX_REDIRECT_LISTED) throw new RangeError(`k must be 1..${MAX_REDIRECT_LISTED}`);
  }

  /** Empty when no server is registered (the IHello then goes unanswered). */
  onIHello(ihello: IHelloChunk, from: SocketAddress): HandshakeAction[] {
    const all = this.servers();
    if (all.length === 0) return [];
    const chosen: KnownSession[] = [];
    for (let i = 0; i < Math.min(this.k, all.length); i++) chosen.push(all[(this.next + i) % all.length]!);
    this.next = (this.next + 1) % all.length;
    const out: HandshakeAction[] = [
      { kind: 'sendStartup', to: ownAddress(from), sessionId: STARTUP_SESSION_ID, chunk: redirect(ihello.tag, chosen.map((s) => ownAddress(s.farAddress, AddressOrigin.Observed))) },
    ];
    for (const s of chosen) out.push({ kind: 'sendOnSession', session: s.handle, chunk: forwarded(ihello, from) });
    return out;
  }
}
