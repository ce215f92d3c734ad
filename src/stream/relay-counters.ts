/**
 * What the relay did, server-wide. A message counts once in (from its publisher) and once out
 * per subscriber flow it was queued on; `dropped` counts subscriber copies not sent because the
 * subscriber's flow was full (a slow subscriber); `skipped` counts video frames not sent because
 * the subscriber waits for a keyframe (it joined mid-stream, or lost a frame earlier).
 */
export interface RelayCounters {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  dropped: number;
  skipped: number;
  /** Subscriber copies given up by partial reliability (lifetime expired before delivery). */
  abandoned: number;
}

export function createRelayCounters(): RelayCounters {
  return { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, dropped: 0, skipped: 0, abandoned: 0 };
}
