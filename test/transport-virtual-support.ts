// Shared by the virtual-network tests: a port that records what it receives, with the virtual
// time of each batch.
import type { Clock } from '../src/time/clock.js';
import type { SocketAddress } from '../src/transport/socket-address.js';
import type { VirtualPort } from '../src/transport/virtual-port.js';

export interface Arrival {
  at: number;
  batch: number;
  data: Uint8Array;
  from: SocketAddress;
}

/** Attaches a recorder to `port`; returns the live list of arrivals. */
export function record(port: VirtualPort, clock: Clock): Arrival[] {
  const out: Arrival[] = [];
  let batch = 0;
  port.attach((b) => {
    batch++;
    for (let i = 0; i < b.datagrams.length; i++) out.push({ at: clock.now(), batch, data: b.datagrams[i]!, from: b.sources[i]! });
  });
  return out;
}

/** A datagram carrying a 32-bit sequence number (and padding to `size`). */
export function numbered(n: number, size = 16): Uint8Array {
  const d = new Uint8Array(size);
  new DataView(d.buffer).setUint32(0, n);
  return d;
}

export function numberOf(d: Uint8Array): number {
  return new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0);
}
