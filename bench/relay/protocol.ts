/**
 * IPC messages between the relay benchmark (bench/suites/relay.ts) and its child processes:
 * the server child (bench/relay/server-child.ts) and the subscriber children
 * (bench/relay/subscriber-child.ts). Plain JSON-serialisable objects over node:child_process IPC.
 */
import type { RtmfpServerStats } from '../../src/server/rtmfp-server.js';

/** The packet-cipher backends the server can run (Endpoint option createCipher). */
export const RELAY_BACKENDS = ['node-batched', 'node-long-lived', 'wasm'] as const;
export type RelayBackend = (typeof RELAY_BACKENDS)[number];

export function isRelayBackend(s: string): s is RelayBackend {
  return (RELAY_BACKENDS as readonly string[]).includes(s);
}

/** The application and stream every client uses. */
export const RELAY_APP = 'live';
export const RELAY_STREAM = 'relay-bench';

/** What the server child reports when asked for a mark. */
export interface ServerMark {
  /** process.cpuUsage() of the server child, microseconds. */
  cpu: { user: number; system: number };
  /** process.hrtime in ms (CLOCK_MONOTONIC: the same clock in every process of the machine). */
  at: number;
  stats: RtmfpServerStats;
  datagramsOut: number;
  bytesOut: number;
  datagramsIn: number;
}

export type ServerRequest = { type: 'mark'; id: number } | { type: 'close' };
export type ServerReply = { type: 'listening'; port: number; cipher: string } | { type: 'mark'; id: number; mark: ServerMark };

/** One subscriber's view of a window of messages [fromSeq, toSeq). */
export interface SubscriberWindow {
  /** Distinct in-window messages received. */
  messages: number;
  /** Payload bytes of those messages (FLV tag bodies, as the application sees them). */
  bytes: number;
}

export type SubscriberRequest =
  | { type: 'add'; id: number; port: number; count: number }
  /** A measurement window starts: forget what came before, mark CPU. */
  | { type: 'start'; id: number }
  | { type: 'collect'; id: number; fromSeq: number; toSeq: number }
  | { type: 'close'; id: number };

export type SubscriberReply =
  | { type: 'added'; id: number; total: number; failed: string[] }
  | { type: 'started'; id: number }
  | {
      type: 'collected';
      id: number;
      windows: SubscriberWindow[];
      /** Receive time minus the publisher's send time, ms, one per in-window message received. */
      lateness: number[];
      /** This process's CPU time since 'start', microseconds. */
      cpu: { user: number; system: number };
    }
  | { type: 'closed'; id: number };

/**
 * Media payload layout (after the FLV tag body's first two codec bytes): message sequence
 * number (u32 BE) at 2, publisher send time (f64 BE, hrtime ms) at 6.
 */
export const SEQ_OFFSET = 2;
export const SENT_AT_OFFSET = 6;
export const STAMP_END = 14;

/** Milliseconds on CLOCK_MONOTONIC (process.hrtime): comparable across processes of one machine. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
