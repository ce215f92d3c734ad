// Who may send us Forwarded IHellos (RFC 7016 section 3.5.1.5; wire-reference B.5).
//
// A Forwarded IHello makes us send an RHello to the reply address it carries, an address we never
// heard from. From anyone with a session to us, that is a reflector: a client of ours could aim
// our RHellos at any victim while hiding behind us. Legitimate forwarders are servers we chose:
//   - a server that introduces peers forwards to the clients that connected to it, so a session
//     we opened ourselves (we are its initiator: we registered with that server, or connected to
//     it) is trusted by default;
//   - a load balancer forwards to the servers that registered with it by opening a session to it:
//     also a session they opened;
//   - anything else must be configured by peer ID (`peerIds`).
// What we send for a trusted forwarder is still budgeted against the reply address
// (HandshakeResponder.onForwardedIHello).

/** The session a Forwarded IHello arrived on, as the trust rule sees it. */
export interface ForwarderInfo {
  /** We initiated the session (we opened it to the forwarder). */
  opened: boolean;
  /** The forwarder's peer ID (SHA-256 of its certificate). */
  farPeerId: Uint8Array;
}

export interface ForwarderTrust {
  /** Trust sessions we opened. Default true (NAT traversal through server introductions). */
  opened?: boolean;
  /** Peer IDs trusted to forward whichever side opened the session. */
  peerIds?: readonly Uint8Array[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function forwarderTrusted(trust: ForwarderTrust, via: ForwarderInfo): boolean {
  if (via.opened && trust.opened !== false) return true;
  for (const id of trust.peerIds ?? []) if (sameBytes(id, via.farPeerId)) return true;
  return false;
}
