// The receiving end of a claimed incoming flow (see FlowRouter): kept apart so that a PeerSession,
// which maps its flows to their handlers, and the router, which hands sessions to claimants, do
// not import each other.
import type { ReceiveFlowInfo } from '../flow/receive-flow.js';

/** What a claimant does with the flows it claimed. `message` bytes are valid during the call only. */
export interface FlowHandler {
  onMessage(flow: ReceiveFlowInfo, message: Uint8Array): void;
  /** The far end finished the flow (FIN and everything before it). */
  onComplete?(flow: ReceiveFlowInfo): void;
  /** The far end gave up buffered messages (partial reliability). */
  onAbandoned?(flow: ReceiveFlowInfo, firstSequence: number, lastSequence: number): void;
  /** The session closed with the flow still open. */
  onSessionClose?(flow: ReceiveFlowInfo): void;
}
