/**
 * The node:dgram DatagramTransport: one UDP socket that hands received datagrams to its owner in batches: everything
 * read in one event-loop turn becomes one `ReceivedBatch`, so the session layer can decrypt a
 * whole turn's packets in one call (performance-baselines "UDP on loopback": batched decrypt of
 * a turn's datagrams keeps up at ~250k pkt/s where a decipher per packet loses a third).
 *
 * No copies: node allocates one Buffer per received message and the batch holds exactly those
 * Buffers in arrival order; the owner may keep them. Sources are SocketAddress objects interned
 * per (address, port) by an AddressCache, so an IP string is parsed once per peer, not once per
 * datagram, and a send formats its destination once per address object.
 *
 * Errors never reach the owner as exceptions: send failures (ICMP unreachable surfaces as a send
 * error on some platforms), socket errors and exceptions thrown by the owner's own `onBatch` are
 * counted and passed to the optional `onError` observer.
 */
import dgram from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { TransportError, TransportErrorCode } from './transport-error.js';
import { AddressCache } from './address-cache.js';
import { AddressOrigin, type SocketAddress } from './socket-address.js';
import type { DatagramBatch, DatagramReceiver, DatagramTransport, LocalAddress } from './datagram-transport.js';

/** Where to send in text form (tools and tests); the engine sends to SocketAddress objects. */
export interface UdpPeer {
  readonly address: string;
  readonly port: number;
}

/** The datagrams of one event-loop turn (see DatagramBatch). */
export type ReceivedBatch = DatagramBatch;

/**
 * How the end of a turn is detected. `immediate` (setImmediate, the check phase right after
 * libuv's poll phase) collects every datagram read in that poll; `microtask` fires after each
 * 'message' callback because node drains microtasks after every native callback, so batches
 * are one datagram long. See test/transport-latency.test.ts for the measurement.
 */
export type BatchFlush = 'immediate' | 'microtask';

export interface UdpTransportOptions {
  /** 4 (udp4) or 6 (udp6). Default: 6 if `host` contains ':', else 4. */
  family?: 4 | 6;
  /** Bind address. Default '0.0.0.0' / '::'. */
  host?: string;
  /** Bind port; 0 picks a free one. Default 0. */
  port?: number;
  /** udp6 only: refuse IPv4-mapped traffic. Default false. */
  ipv6Only?: boolean;
  /** SO_RCVBUF to request. Default 4 MiB (performance-baselines: the default buffer drops packets). */
  recvBufferSize?: number;
  /** SO_SNDBUF to request; 0 leaves the system default. Default 1 MiB. */
  sendBufferSize?: number;
  /** A batch is handed over early (mid-turn) when it reaches this many datagrams. Default 1024. */
  maxBatchDatagrams?: number;
  /** ... or when the next datagram would take it past this many bytes. Default 4 MiB. */
  maxBatchBytes?: number;
  /**
   * Larger datagrams are counted (`datagramsOversize`) and discarded before batching. RTMFP
   * datagrams are about 1204 bytes (wire-reference, sizes table); default 8192 leaves room.
   */
  maxDatagramBytes?: number;
  /** End-of-turn detection; default 'immediate' (measured: see BatchFlush). */
  flush?: BatchFlush;
  /** Receives every batch (or attach one later). Exceptions it throws are caught and counted (`ownerErrors`). */
  onBatch?: DatagramReceiver;
  /** Observer for counted errors (send, socket, owner). Never required; never rethrown. */
  onError?: (error: Error, kind: 'send' | 'socket' | 'owner') => void;
}

/** Running totals. Live object: read fields at any time, do not write. */
/** Longest close() waits for submitted sends to complete. */
export const CLOSE_DRAIN_MS = 200;

export class UdpTransportCounters {
  /** Datagrams read from the socket (including oversize ones). */
  datagramsIn = 0;
  bytesIn = 0;
  /** Datagrams larger than `maxDatagramBytes`, discarded. */
  datagramsOversize = 0;
  /** Datagrams read but never handed over because `close()` came first. */
  datagramsDiscardedOnClose = 0;
  /** Batches handed to `onBatch`. */
  batches = 0;
  /** Largest batch handed over, in datagrams. */
  largestBatch = 0;
  /** Batches handed over before the end of a turn because a cap was reached. */
  batchesCapped = 0;
  /** `send` calls accepted (handed to node). */
  sendsSubmitted = 0;
  /** Sends node reported as done, and their bytes. */
  datagramsOut = 0;
  bytesOut = 0;
  /** Sends that failed (synchronously, in node's callback, or attempted after close). */
  sendErrors = 0;
  /** 'error' events from the socket. */
  socketErrors = 0;
  /** Exceptions thrown by `onBatch`. */
  ownerErrors = 0;
  /** Datagrams that arrived with no receiver attached. */
  datagramsUnclaimed = 0;

  /** Sends submitted whose completion node has not reported yet: their buffers must not be reused. */
  sendsPending = 0;
}

const DEFAULT_RECV_BUFFER = 4 * 1024 * 1024;
const DEFAULT_SEND_BUFFER = 1024 * 1024;
const DEFAULT_MAX_BATCH_DATAGRAMS = 1024;
const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_DATAGRAM_BYTES = 8192;

function positiveInt(name: string, v: number | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new TransportError(TransportErrorCode.InvalidOption, `${name} must be an integer >= ${min}, got ${v}`);
  }
  return v;
}

export class UdpTransport implements DatagramTransport {
  readonly counters = new UdpTransportCounters();
  /** The bound address (port resolved when 0 was asked). */
  readonly local: LocalAddress;
  readonly localAddress: SocketAddress;
  /** Text <-> SocketAddress conversions, once per peer. */
  readonly addresses = new AddressCache();
  /** The SO_RCVBUF requested. */
  readonly requestedRecvBufferSize: number;
  /**
   * SO_RCVBUF as the kernel reports it after the request. Linux caps a request at
   * net.core.rmem_max and then doubles it for bookkeeping (socket(7)), so with rmem_max >= the
   * request this is twice the request; with a smaller rmem_max it is 2 * rmem_max.
   */
  readonly recvBufferSize: number;
  /** SO_SNDBUF as the kernel reports it (same doubling). */
  readonly sendBufferSize: number;

  private readonly socket: Socket;
  /** Host-name lookups in progress: their datagrams are not sent yet. */
  private readonly lookups: { pending: number };
  private onBatch: DatagramReceiver | undefined;
  private readonly onError: ((error: Error, kind: 'send' | 'socket' | 'owner') => void) | undefined;
  private readonly maxBatchDatagrams: number;
  private readonly maxBatchBytes: number;
  private readonly maxDatagramBytes: number;
  private readonly flushMode: BatchFlush;

  private pendingDatagrams: Uint8Array[] = [];
  private pendingSources: SocketAddress[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private closing: Promise<void> | undefined;

  /** Opens and binds a socket; rejects with TransportError(ERR_TRANSPORT_BIND) if it cannot. */
  static async open(options: UdpTransportOptions): Promise<UdpTransport> {
    const family = options.family ?? (options.host !== undefined && options.host.includes(':') ? 6 : 4);
    if (family !== 4 && family !== 6) {
      throw new TransportError(TransportErrorCode.InvalidOption, `family must be 4 or 6, got ${String(family)}`);
    }
    const host = options.host ?? (family === 6 ? '::' : '0.0.0.0');
    const port = positiveInt('port', options.port, 0, 0);
    if (port > 0xffff) throw new TransportError(TransportErrorCode.InvalidOption, `port ${port} out of range`);
    const recv = positiveInt('recvBufferSize', options.recvBufferSize, DEFAULT_RECV_BUFFER);
    const send = positiveInt('sendBufferSize', options.sendBufferSize, DEFAULT_SEND_BUFFER, 0);
    // Validate the rest before creating a socket so a bad option leaks nothing.
    positiveInt('maxBatchDatagrams', options.maxBatchDatagrams, DEFAULT_MAX_BATCH_DATAGRAMS);
    positiveInt('maxBatchBytes', options.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES);
    positiveInt('maxDatagramBytes', options.maxDatagramBytes, DEFAULT_MAX_DATAGRAM_BYTES);

    const lookups = { pending: 0 };
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: options.ipv6Only === true, lookup: literalLookup(lookups) });
    await new Promise<void>((resolve, reject) => {
      const onBindError = (err: Error): void => {
        socket.close();
        reject(new TransportError(TransportErrorCode.Bind, `cannot bind udp${family} ${host}:${port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onBindError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onBindError);
        resolve();
      });
    });
    // Buffer sizes are set after bind (node requires a bound socket). A refusal is not fatal:
    // the size actually in force is reported either way.
    try {
      socket.setRecvBufferSize(recv);
    } catch {
      /* reported through recvBufferSize */
    }
    if (send > 0) {
      try {
        socket.setSendBufferSize(send);
      } catch {
        /* reported through sendBufferSize */
      }
    }
    return new UdpTransport(socket, options, family, recv, lookups);
  }

  private constructor(socket: Socket, options: UdpTransportOptions, family: 4 | 6, requestedRecv: number, lookups: { pending: number }) {
    this.socket = socket;
    this.lookups = lookups;
    this.onBatch = options.onBatch;
    this.onError = options.onError;
    this.maxBatchDatagrams = options.maxBatchDatagrams ?? DEFAULT_MAX_BATCH_DATAGRAMS;
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.maxDatagramBytes = options.maxDatagramBytes ?? DEFAULT_MAX_DATAGRAM_BYTES;
    this.flushMode = options.flush ?? 'immediate';
    this.requestedRecvBufferSize = requestedRecv;
    this.recvBufferSize = socket.getRecvBufferSize();
    this.sendBufferSize = socket.getSendBufferSize();
    const a = socket.address();
    this.local = { address: a.address, port: a.port, family };
    this.localAddress = this.addresses.intern(a.address, a.port, AddressOrigin.Unknown);
    socket.on('message', this.handleMessage);
    socket.on('error', this.handleSocketError);
  }

  attach(receiver: DatagramReceiver): void {
    this.onBatch = receiver;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * True while a datagram given to `send` may still be read by node/libuv (a send queued because
   * the socket was not writable). False means every buffer handed to `send` so far may be reused:
   * an IP-literal destination resolves synchronously (`literalLookup`) and node tries the send at
   * once, so normally the bytes are in the kernel when `send` returns.
   */
  holdsSentBuffers(): boolean {
    return !this.closing && (this.lookups.pending > 0 || this.socket.getSendQueueCount() > 0);
  }

  /** Datagrams queued inside node/libuv waiting for the socket to become writable. */
  get sendQueueCount(): number {
    return this.closing ? 0 : this.socket.getSendQueueCount();
  }

  /**
   * Sends one datagram. The bytes are not copied: do not modify `datagram` until
   * `counters.sendsPending` says the send finished (node may queue it in libuv).
   */
  send(datagram: Uint8Array, to: SocketAddress | UdpPeer): void {
    if (this.closing) {
      this.counters.sendErrors++;
      return;
    }
    try {
      // A SocketAddress has its text form cached per object; a UdpPeer already is text.
      const host = (to as SocketAddress).ip !== undefined ? this.addresses.textOf(to as SocketAddress) : (to as UdpPeer).address;
      // The (msg, port, address, callback) form: no offset/length, so node does not slice a
      // new Buffer; one shared callback, so no closure per send.
      this.socket.send(datagram, to.port, host, this.handleSent);
      this.counters.sendsSubmitted++;
      this.counters.sendsPending++;
    } catch (err) {
      // Synchronous argument errors (bad port, non-string address).
      this.counters.sendErrors++;
      this.report(err, 'send');
    }
  }

  /**
   * Sends `datagrams[start..end)` in order, to one peer or `to[i]` for each `datagrams[i]`.
   * node:dgram has no sendmmsg, so this is a loop over `send`, but it keeps callers free of
   * per-datagram closures.
   */
  sendBatch(datagrams: readonly Uint8Array[], to: SocketAddress | UdpPeer | readonly (SocketAddress | UdpPeer)[], start = 0, end = datagrams.length): void {
    const last = Math.min(end, datagrams.length);
    if (isPeerList(to)) {
      for (let i = start; i < last; i++) {
        const peer = to[i];
        if (peer === undefined) {
          this.counters.sendErrors++;
          continue;
        }
        this.send(datagrams[i]!, peer);
      }
    } else {
      for (let i = start; i < last; i++) this.send(datagrams[i]!, to);
    }
  }

  /**
   * Closes the socket. Idempotent: every call returns the same promise, which resolves once node
   * has closed it. Datagrams read but not yet handed over are discarded (counted).
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.counters.datagramsDiscardedOnClose += this.pendingDatagrams.length;
    this.pendingDatagrams = [];
    this.pendingSources = [];
    this.pendingBytes = 0;
    this.closing = new Promise<void>((resolve) => {
      this.socket.off('message', this.handleMessage);
      // node completes a send to an unconnected socket asynchronously (address lookup first), so
      // closing at once would drop what was just sent, such as a session's last Close Ack. Let
      // submitted sends finish first, for at most CLOSE_DRAIN_MS.
      const deadline = Date.now() + CLOSE_DRAIN_MS;
      const closeSocket = (): void => {
        if (this.counters.sendsPending > 0 && Date.now() < deadline) {
          setTimeout(closeSocket, 1);
          return;
        }
        try {
          this.socket.close(() => resolve());
        } catch {
          resolve(); // already closed underneath us (ERR_SOCKET_DGRAM_NOT_RUNNING)
        }
      };
      if (this.counters.sendsPending > 0) setImmediate(closeSocket);
      else closeSocket();
    });
    return this.closing;
  }

  private readonly handleMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const c = this.counters;
    const n = msg.byteLength;
    c.datagramsIn++;
    c.bytesIn += n;
    if (n > this.maxDatagramBytes) {
      c.datagramsOversize++;
      return;
    }
    if (this.pendingDatagrams.length > 0 && this.pendingBytes + n > this.maxBatchBytes) {
      c.batchesCapped++;
      this.deliver();
    }
    this.pendingDatagrams.push(msg);
    this.pendingSources.push(this.addresses.fromRemoteInfo(rinfo));
    this.pendingBytes += n;
    if (this.pendingDatagrams.length >= this.maxBatchDatagrams) {
      c.batchesCapped++;
      this.deliver();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      if (this.flushMode === 'immediate') setImmediate(this.flush);
      else queueMicrotask(this.flush);
    }
  };

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.pendingDatagrams.length > 0 && !this.closing) this.deliver();
  };

  private deliver(): void {
    const batch: ReceivedBatch = { datagrams: this.pendingDatagrams, sources: this.pendingSources, bytes: this.pendingBytes };
    this.pendingDatagrams = [];
    this.pendingSources = [];
    this.pendingBytes = 0;
    const c = this.counters;
    if (!this.onBatch) {
      c.datagramsUnclaimed += batch.datagrams.length;
      return;
    }
    c.batches++;
    if (batch.datagrams.length > c.largestBatch) c.largestBatch = batch.datagrams.length;
    try {
      this.onBatch(batch);
    } catch (err) {
      c.ownerErrors++;
      this.report(err, 'owner');
    }
  }

  private readonly handleSent = (err: Error | null, bytes?: number): void => {
    const c = this.counters;
    c.sendsPending--;
    if (err) {
      c.sendErrors++;
      this.report(err, 'send');
      return;
    }
    c.datagramsOut++;
    c.bytesOut += bytes ?? 0;
  };

  private readonly handleSocketError = (err: Error): void => {
    this.counters.socketErrors++;
    this.report(err, 'socket');
  };

  private report(err: unknown, kind: 'send' | 'socket' | 'owner'): void {
    if (!this.onError) return;
    try {
      this.onError(err instanceof Error ? err : new Error(String(err)), kind);
    } catch {
      // An observer that throws must not take the transport down either.
    }
  }
}

/**
 * node:dgram resolves every destination through its `lookup` before sending; the default,
 * dns.lookup, answers even an IP literal on a later tick (a closure, a nextTick and an async
 * scope per datagram, and the datagram's bytes held until then). Engine destinations are always
 * IP literals (SocketAddress text from the AddressCache): answer those synchronously, so node
 * sends at once. Host names still go to dns.lookup.
 */
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

function literalLookup(lookups: { pending: number }): (host: string, options: unknown, callback: LookupCallback) => void {
  return (host, options, callback) => {
    const family = isIP(host);
    if (family !== 0) {
      callback(null, host, family);
      return;
    }
    lookups.pending++;
    (dnsLookup as unknown as (h: string, o: unknown, cb: LookupCallback) => void)(host, options, (err, address, fam) => {
      lookups.pending--;
      callback(err, address, fam);
    });
  };
}

function isPeerList(to: SocketAddress | UdpPeer | readonly (SocketAddress | UdpPeer)[]): to is readonly (SocketAddress | UdpPeer)[] {
  return Array.isArray(to);
}
