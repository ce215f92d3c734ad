// Routing of a peer session's incoming flows to the subsystems that share the session, by the
// flow's metadata (user-data option 0, RFC 7016 2.3.11.1.1, wire-reference C.2). Flash names its
// flows by a metadata signature: "TC" for NetConnection / NetStream flows (RFC 7425 5.1,
// wire-reference E.1), "GC" / "GR xx" for NetGroup flows (wire-reference F.3, F.4). Each
// subsystem registers the signatures it speaks; a flow nobody claims is rejected, as rtmfp-cpp
// rejects flows with metadata it does not know (wire-reference C.4, E.1).
import type { ReceiveFlowInfo } from '../flow/receive-flow.js';
import type { FlowHandler } from './flow-handler.js';
import type { PeerSession } from './peer-session.js';

/** One subsystem's claim on the flows whose metadata starts with `prefix`. */
export interface FlowRoute {
  /** Metadata prefix, e.g. `54 43` ("TC") or `47 52 1c` ("GR" main flow). Empty matches every flow. */
  readonly prefix: Uint8Array;
  /**
   * Called once for each new flow whose metadata starts with `prefix`, longest prefixes first:
   * the handler that takes the flow, or undefined to leave it to the next route (and, when no
   * route takes it, to rejection).
   */
  claim(peer: PeerSession, flow: ReceiveFlowInfo): FlowHandler | undefined;
}

/** Undoes a `register`. Idempotent. */
export type Unregister = () => void;

export class FlowRouter {
  /** Longest prefix first; among equal prefixes, first registered first. */
  private routes: FlowRoute[] = [];

  get size(): number {
    return this.routes.length;
  }

  register(route: FlowRoute): Unregister {
    const at = this.routes.findIndex((r) => r.prefix.length < route.prefix.length);
    this.routes = at < 0 ? [...this.routes, route] : [...this.routes.slice(0, at), route, ...this.routes.slice(at)];
    return () => {
      this.routes = this.routes.filter((r) => r !== route);
    };
  }

  /** The handler of the first route that claims the flow, or undefined. */
  route(peer: PeerSession, flow: ReceiveFlowInfo): FlowHandler | undefined {
    // `routes` is replaced, never mutated: a claim that registers or unregisters does not disturb this loop.
    for (const r of this.routes) {
      if (!startsWith(flow.metadata, r.prefix)) continue;
      const handler = r.claim(peer, flow);
      if (handler) return handler;
    }
    return undefined;
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
