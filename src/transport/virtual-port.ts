// A bound port on the virtual network: the DatagramTransport an Endpoint serves on in tests, the
// simulator and benchmarks. Sending hands the datagram to the network (ownership passes: no
// copy); receiving happens in batches, one per port per delivery instant, with interned sources.
import type { DatagramBatch, DatagramReceiver, DatagramTransport, DatagramTransportCounters, LocalAddress } from './datagram-transport.js';
import type { SocketAddress } from './socket-address.js';
import type { VirtualHost } from './virtual-host.js';

/** Running totals of one port. Live object: read at any time, do not write. */
export class VirtualPortCounters implements DatagramTransportCounters {
  /** Datagrams that reached the port (handed over or not) and their bytes. */
  datagramsIn = 0;
  bytesIn = 0;
  /** Sends accepted by the network, and their bytes. */
  sendsSubmitted = 0;
  bytesOut = 0;
  /** Sends refused: after close, family mismatch, bad port, oversize. */
  sendErrors = 0;
  /** Exceptions thrown by the receiver. */
  ownerErrors = 0;
  /** Batches handed to the receiver, and the largest in datagrams. */
  batches = 0;
  largestBatch = 0;
  /** Datagrams that arrived with no receiver attached. */
  datagramsUnclaimed = 0;
  /** Datagrams due in a batch when the port closed. */
  datagramsDiscardedOnClose = 0;
  /** This port's datagrams the network dropped, by cause. */
  droppedLoss = 0;
  droppedQueue = 0;
  droppedNatFilter = 0;
  droppedNoListener = 0;
  droppedNoRoute = 0;
}

/** What a port needs from its network. */
export interface PortNetwork {
  sendFrom(port: VirtualPort, datagram: Uint8Array, to: SocketAddress): void;
  unbind(port: VirtualPort): void;
}

export class VirtualPort implements DatagramTransport {
  readonly counters = new VirtualPortCounters();
  readonly local: LocalAddress;
  /** The bound address, origin Unknown (as UdpTransport reports it). */
  readonly localAddress: SocketAddress;
  /**
   * The interned address this port's datagrams carry as their source inside its own realm (a
   * receiver beyond a NAT sees the NAT's mapping instead).
   */
  readonly source: SocketAddress;
  /** ip32 of the bound address (IPv4 ports), for NAT keys. */
  readonly ipKey: number;

  private receiver: DatagramReceiver | undefined;
  private readonly net: PortNetwork;
  private closing: Promise<void> | undefined;
  private datagrams: Uint8Array[] = [];
  private sources: SocketAddress[] = [];
  private readonly batch: { datagrams: Uint8Array[]; sources: SocketAddress[]; bytes: number } = { datagrams: [], sources: [], bytes: 0 };

  constructor(
    net: PortNetwork,
    readonly host: VirtualHost,
    readonly family: 4 | 6,
    readonly port: number,
    source: SocketAddress,
    ipKey: number,
  ) {
    this.net = net;
    this.source = source;
    this.ipKey = ipKey;
    this.local = { address: family === 4 ? host.ipv4 : host.ipv6!, port, family };
    this.localAddress = { family, ip: source.ip, port, origin: 0 };
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  attach(receiver: DatagramReceiver): void {
    this.receiver = receiver;
  }

  /** Hands `datagram` to the network (ownership passes). Never throws; refusals are counted. */
  send(datagram: Uint8Array, to: SocketAddress): void {
    this.net.sendFrom(this, datagram, to);
  }

  /** Unbinds at once (the port number is free again); datagrams still on their way are dropped. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.counters.datagramsDiscardedOnClose += this.datagrams.length;
    this.datagrams = [];
    this.sources = [];
    this.receiver = undefined;
    this.net.unbind(this);
    this.closing = Promise.resolve();
    return this.closing;
  }

  /** Network side: queues an arriving datagram; true when it starts this instant's batch. */
  enqueue(datagram: Uint8Array, from: SocketAddress): boolean {
    this.counters.datagramsIn++;
    this.counters.bytesIn += datagram.byteLength;
    this.datagrams.push(datagram);
    this.sources.push(from);
    return this.datagrams.length === 1;
  }

  /** Network side: hands the queued datagrams over as one batch. */
  flush(): void {
    const n = this.datagrams.length;
    if (n === 0) return;
    const c = this.counters;
    const receiver = this.receiver;
    if (!receiver) {
      c.datagramsUnclaimed += n;
      this.datagrams.length = 0;
      this.sources.length = 0;
      return;
    }
    // Swap the arrays so a receiver that sends (and so may get datagrams queued) never sees
    // the batch it is reading change under it.
    const b = this.batch;
    const d = this.datagrams;
    const s = this.sources;
    this.datagrams = b.datagrams;
    this.sources = b.sources;
    b.datagrams = d;
    b.sources = s;
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += d[i]!.byteLength;
    b.bytes = bytes;
    c.batches++;
    if (n > c.largestBatch) c.largestBatch = n;
    try {
      receiver(b as DatagramBatch);
    } catch {
      c.ownerErrors++;
    }
    d.length = 0;
    s.length = 0;
  }
}
