import { RtmfpError } from '../errors.js';

/** Stable codes of PeerSessions failures. */
export const PeerErrorCode = {
  /** No server to introduce us and no known address for the peer. */
  NoRoute: 'ERR_PEER_NO_ROUTE',
  /** The session was not open within the open timeout. */
  Timeout: 'ERR_PEER_TIMEOUT',
  /** The PeerSessions (or its endpoint) is closed. */
  Closed: 'ERR_PEER_CLOSED',
  /** A second PeerSessions for an endpoint that has one (use PeerSessions.of). */
  Exists: 'ERR_PEER_SESSIONS_EXIST',
} as const;
export type PeerErrorCode = (typeof PeerErrorCode)[keyof typeof PeerErrorCode];

export class PeerError extends RtmfpError {
  constructor(code: PeerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
