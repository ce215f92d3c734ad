// A minimal in-memory DatagramTransport network under a Clock, for protocol tests that must not
// depend on wall-clock time: every datagram arrives `latencyMs` later as a batch of one, nothing
// is lost. (src/transport's VirtualNetwork, with impairments and NAT, supersedes it once it lands.)
import type { Clock } from '../../src/time/clock.js';
import type { DatagramReceiver, DatagramTransport, DatagramTransportCounters, LocalAddress } from '../../src/transport/datagram-transport.js';
import { AddressOrigin, type SocketAddress } from '../../src/transport/socket-address.js';

export class MemoryNetwork {
  readonly clock: Clock;
  readonly latencyMs: number;
  private readonly ports = new Map<number, MemoryTransport>();
  private nextPort = 20_000;

  constructor(clock: Clock, latencyMs = 1) {
    this.clock = clock;
    this.latencyMs = latencyMs;
  }

  /** A transport on 10.0.0.1 with a port of its own. */
  open(): MemoryTransport {
    const t = new MemoryTransport(this, this.nextPort++);
    this.ports.set(t.local.port, t);
    return t;
  }

  deliver(datagram: Uint8Array, from: SocketAddress, to: SocketAddress): void {
    this.clock.setTimer(this.clock.now() + this.latencyMs, () => this.ports.get(to.port)?.receive(datagram, from));
  }

  forget(port: number): void {
    this.ports.delete(port);
  }
}

export class MemoryTransport implements DatagramTransport {
  readonly local: LocalAddress;
  readonly localAddress: SocketAddress;
  readonly counters: DatagramTransportCounters = { datagramsIn: 0, bytesIn: 0, sendsSubmitted: 0, sendErrors: 0, ownerErrors: 0 };
  closed = false;
  private receiver: DatagramReceiver | undefined;
  private readonly net: MemoryNetwork;

  constructor(net: MemoryNetwork, port: number) {
    this.net = net;
    this.local = { address: '10.0.0.1', port, family: 4 };
    this.localAddress = { family: 4, ip: Uint8Array.of(10, 0, 0, 1), port, origin: AddressOrigin.Unknown };
  }

  attach(receiver: DatagramReceiver): void {
    this.receiver = receiver;
  }

  send(datagram: Uint8Array, to: SocketAddress): void {
    if (this.closed) {
      this.counters.sendErrors++;
      return;
    }
    this.counters.sendsSubmitted++;
    this.net.deliver(datagram, this.localAddress, to);
  }

  receive(datagram: Uint8Array, from: SocketAddress): void {
    if (this.closed || !this.receiver) return;
    this.counters.datagramsIn++;
    this.counters.bytesIn += datagram.byteLength;
    try {
      this.receiver({ datagrams: [datagram], sources: [from], bytes: datagram.byteLength });
    } catch {
      this.counters.ownerErrors++;
    }
  }

  close(): Promise<void> {
    this.closed = true;
    this.net.forget(this.local.port);
    return Promise.resolve();
  }
}
