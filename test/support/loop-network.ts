import type { DatagramBatch, DatagramReceiver, DatagramTransport, DatagramTransportCounters, LocalAddress } from '../../src/transport/datagram-transport.js';
import { AddressOrigin, type SocketAddress } from '../../src/transport/socket-address.js';

/**
 * The smallest in-memory DatagramTransport network the sessions benchmark needs: ports on
 * 10.x.y.z:1935, lossless, no latency; what a port sends in one turn is delivered as one batch
 * per receiver on the next turn (setImmediate), like a socket read loop. It stands in for the
 * virtual network (src/transport/virtual-network.ts) until that lands; it measures the engine,
 * not a network model.
 */
export class LoopNetwork {
  private readonly ports = new Map<number, LoopPort>();
  private readonly pending = new Set<LoopPort>();
  private scheduled = false;
  private next = 1;

  /** A new port with its own address. */
  open(): LoopPort {
    const n = this.next++;
    const ip = new Uint8Array([10, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
    const port = new LoopPort(this, { family: 4, ip, port: 1935, origin: AddressOrigin.Unknown }, n);
    this.ports.set(n, port);
    return port;
  }

  /** @internal */
  route(to: SocketAddress, datagram: Uint8Array, from: SocketAddress): boolean {
    if (to.family !== 4 || to.ip[0] !== 10 || to.port !== 1935) return false;
    const p = this.ports.get((to.ip[1]! << 16) | (to.ip[2]! << 8) | to.ip[3]!);
    if (!p || p.closed) return false;
    p.queue(datagram, from);
    this.pending.add(p);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.deliver);
    }
    return true;
  }

  /** @internal */
  remove(port: LoopPort, n: number): void {
    this.ports.delete(n);
    this.pending.delete(port);
  }

  private readonly deliver = (): void => {
    this.scheduled = false;
    const ports = [...this.pending];
    this.pending.clear();
    for (const p of ports) p.flush();
  };
}

export class LoopPort implements DatagramTransport {
  readonly local: LocalAddress;
  readonly counters: DatagramTransportCounters = { datagramsIn: 0, bytesIn: 0, sendsSubmitted: 0, sendErrors: 0, ownerErrors: 0 };
  closed = false;
  private receiver: DatagramReceiver | undefined;
  private datagrams: Uint8Array[] = [];
  private sources: SocketAddress[] = [];
  private bytes = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly net: LoopNetwork,
    readonly localAddress: SocketAddress,
    private readonly n: number,
  ) {
    const ip = localAddress.ip;
    this.local = { address: `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`, port: localAddress.port, family: 4 };
  }

  attach(receiver: DatagramReceiver): void {
    this.receiver = receiver;
  }

  send(datagram: Uint8Array, to: SocketAddress): void {
    if (this.closed || !this.net.route(to, datagram, this.localAddress)) {
      this.counters.sendErrors++;
      return;
    }
    this.counters.sendsSubmitted++;
  }

  /** @internal */
  queue(datagram: Uint8Array, from: SocketAddress): void {
    this.datagrams.push(datagram);
    this.sources.push(from);
    this.bytes += datagram.byteLength;
  }

  /** @internal */
  flush(): void {
    const batch: DatagramBatch = { datagrams: this.datagrams, sources: this.sources, bytes: this.bytes };
    this.datagrams = [];
    this.sources = [];
    this.bytes = 0;
    this.counters.datagramsIn += batch.datagrams.length;
    this.counters.bytesIn += batch.bytes;
    if (!this.receiver || this.closed) return;
    try {
      this.receiver(batch);
    } catch {
      this.counters.ownerErrors++;
    }
  }

  close(): Promise<void> {
    this.closing ??= Promise.resolve().then(() => {
      this.closed = true;
      this.net.remove(this, this.n);
    });
    return this.closing;
  }
}
