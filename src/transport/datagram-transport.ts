// The seam between the engine and the network. An Endpoint sends and receives every datagram
// through one DatagramTransport: node:dgram UDP (`UdpTransport`) in production, the in-memory
// `VirtualNetwork` under a Clock in tests, the simulator and benchmarks. The engine never sees
// IP strings: sources arrive as SocketAddress objects, and the UDP transport converts text once
// per peer (`AddressCache`), not once per datagram.
import type { SocketAddress } from './socket-address.js';

/**
 * The datagrams received in one turn, in arrival order; `sources[i]` sent `datagrams[i]`. The
 * receiver may keep the datagrams (each is its own buffer); the arrays themselves are reused by
 * the transport after the call returns.
 */
export interface DatagramBatch {
  readonly datagrams: readonly Uint8Array[];
  readonly sources: readonly SocketAddress[];
  /** Sum of `datagrams[i].byteLength`. */
  readonly bytes: number;
}

/** Receives each batch. Exceptions it throws are caught and counted by the transport. */
export type DatagramReceiver = (batch: DatagramBatch) => void;

/** The bound local address of a transport. */
export interface LocalAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** Counters every transport keeps (implementations add their own). Live object. */
export interface DatagramTransportCounters {
  datagramsIn: number;
  bytesIn: number;
  /** Sends accepted. */
  sendsSubmitted: number;
  /** Sends that failed, or were attempted after close. */
  sendErrors: number;
  /** Exceptions thrown by the receiver. */
  ownerErrors: number;
}

export interface DatagramTransport {
  /** Where this transport is bound (port 0 resolved). */
  readonly local: LocalAddress;
  /** The same as a SocketAddress (origin Unknown). */
  readonly localAddress: SocketAddress;
  readonly counters: DatagramTransportCounters;
  readonly closed: boolean;
  /**
   * Sets the one receiver of incoming batches (replacing any earlier one). Datagrams that
   * arrive with no receiver attached are counted and dropped.
   */
  attach(receiver: DatagramReceiver): void;
  /**
   * Sends one datagram. Ownership of `datagram` passes to the transport: the caller must not
   * modify it afterwards (node:dgram may still be reading it; the virtual network delivers it
   * later). Never throws: failures are counted.
   */
  send(datagram: Uint8Array, to: SocketAddress): void;
  /**
   * Optional: a transport that reads a datagram's bytes only during `send` (or can say when it
   * still holds some) lets the caller reuse its send buffers. True while some datagram passed to
   * `send` may still be read; false means all such buffers are free again. A transport without
   * this method keeps what it is given, and callers hand it buffers of its own.
   */
  holdsSentBuffers?(): boolean;
  /** Closes; idempotent, every call returns the same promise. */
  close(): Promise<void>;
}
