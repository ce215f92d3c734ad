// One open RTMFP session (RFC 7016 section 3.5): the S_OPEN state and what follows it. It owns the
// session's flows (sending: FlowScheduler + SendFlow; receiving: ReceiveFlows over the reassembly
// engine), its timestamps / RTT / congestion state, keepalive, orderly close and address
// mobility. It never touches a socket: finished plaintext packets go to the endpoint through
// `SessionContext.transmit`, which seals them (envelope + AES batch) and sends them.
import { EventEmitter } from 'node:events';
import { ByteWriter } from '../wire/writer.js';
import { PacketBuilder, type PacketHeader } from '../wire/packet.js';
import { PacketMode } from '../wire/chunk-type.js';
import { ChunkType } from '../wire/chunk-type.js';
import type { AnyChunk } from '../wire/chunk.js';
import type { ForwardedIHelloChunk } from '../wire/chunks/hello.js';
import { sameSocketAddress, type SocketAddress } from '../wire/address.js';
import type { EstablishedSession } from './handshake/actions.js';
import { RttEstimator, PacketTimestamps } from '../flow/rtt.js';
import { CongestionController, EndpointTimeCritical, mssForPacketLength } from '../flow/congestion.js';
import { FlowScheduler, markTimeCritical } from '../flow/flow-scheduler.js';
import { SendFlow, type SendFlowListener, type WriteOptions } from '../flow/send-flow.js';
import type { SendMessageHandle } from '../flow/send-buffer.js';
import { Priority } from '../flow/priority.js';
import { ReceiveFlows, type FlowDecision, type ReceiveFlowsOptions } from '../flow/receive-flows.js';
import type { ReceiveFlowInfo } from '../flow/receive-flow.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { RtmfpError } from '../errors.js';
import type { Reassembler } from '../engine/reassembly/types.js';
import type { SharedReassembly } from './shared-reassembly.js';

/** What the endpoint does for its sessions. */
export interface SessionContext {
  readonly clock: Clock;
  /** Endpoint-wide time-critical state (TCR on the other sessions, C.6). */
  readonly timeCritical: EndpointTimeCritical;
  /** Seal and send one plaintext RTMFP packet (flags byte onward). `to` defaults to farAddress. */
  transmit(session: Session, packet: Uint8Array, to?: SocketAddress): void;
  /**
   * Optional: run `session.runWoken(now)` on a later turn. An endpoint coalesces the wakes of all
   * its sessions into one callback per turn; without this the session schedules its own.
   */
  wake?(session: Session): void;
  /** A Forwarded IHello arrived on this session (we are the introduced target, B.5). */
  forwardedIHello(session: Session, chunk: ForwardedIHelloChunk, now: number): void;
  /** The session reached CLOSED; the endpoint forgets it. */
  closed(session: Session): void;
  /**
   * Reassembly shared by the endpoint's sessions. Without it (or when the session's options ask
   * for their own reassembler or the WASM one) the session owns a reassembler.
   */
  readonly receiveMemory?: SharedReassembly;
}

export interface SessionOptions {
  /** Send a Ping after this long without receiving anything (B.3). Default 10 s. */
  keepaliveMs?: number;
  /** Close when nothing has been received for this long (retransmit/idle limit, B.3). Default 120 s. */
  idleTimeoutMs?: number;
  /** Repeat Close Request this often (B.4). Default 5 s. */
  closeRetryMs?: number;
  /** Give up an orderly close after this long (B.4). Default 90 s. */
  closeTimeoutMs?: number;
  /** After answering a Close Request, linger this long re-acking (B.4). Default 19 s. */
  farCloseLingerMs?: number;
  /** Largest plaintext packet (flags byte onward). Default 1192 (product interop note). */
  maxPacketLength?: number;
  /** Packets one flush may emit before yielding to the event loop. Default 64. */
  maxPacketsPerFlush?: number;
  /** Options for the receiving flows (reassembler kind and caps, flow limits, ack policy). */
  receive?: Omit<ReceiveFlowsOptions, 'handler' | 'isSendFlowOpen'>;
  /**
   * Send-side buffer per flow in bytes (a cap on queued message bytes, not an allocation).
   * Default 2 MiB: it must stay well above the congestion window, or the flow idles one delayed
   * ack (200 ms) per buffer's worth whenever the last packet of a burst is odd.
   */
  sendBufferBytes?: number;
  /** Decide on each new incoming flow (default: accept). */
  acceptFlow?: (flow: ReceiveFlowInfo) => FlowDecision;
}

export type SessionState = 'open' | 'nearclose' | 'farclose' | 'closed';
export type SessionCloseReason = 'local' | 'remote' | 'timeout' | 'replaced' | 'endpoint';

/** Counters readable from code (issue: observability). Live object. */
export interface SessionCounters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  pingsSent: number;
  pingRepliesReceived: number;
  /** Authenticated packets from an address other than farAddress. */
  addressChangesSeen: number;
  /** Address changes validated by a nonce ping and applied (B.7). */
  addressChangesApplied: number;
  /** Chunk types a session packet may not carry, or unknown ones (ignored). */
  ignoredChunks: number;
}

export interface SessionStats extends SessionCounters {
  state: SessionState;
  /** Smoothed RTT, undefined before the first sample. */
  srttMs: number | undefined;
  ertoMs: number;
  cwndBytes: number;
  bytesInFlight: number;
  /** Fragments declared lost (by nacks, time or ERTO) and so sent again. */
  retransmittedFragments: number;
  lossesByNack: number;
  lossesByTimeout: number;
  tailProbes: number;
  congestionTimeouts: number;
  sendFlows: number;
  receiveFlows: number;
  receivedDuplicates: number;
  /** Received fragments refused (caps, window, invalid): not acked, the sender repeats them. */
  receiveRefused: number;
}

export interface SessionEvents {
  /** A new incoming flow was accepted. */
  flow: [flow: ReceiveFlowInfo];
  /** A complete message on an incoming flow. `message` is only valid during the call: copy to keep. */
  message: [flow: ReceiveFlowInfo, message: Uint8Array];
  /** Buffered fragments of an incoming message were abandoned by the sender (partial reliability). */
  abandoned: [flow: ReceiveFlowInfo, firstSequence: number, lastSequence: number];
  /** An incoming flow finished (FIN and everything before it). */
  flowComplete: [flow: ReceiveFlowInfo];
  /** The far address moved after validation (B.7). */
  addressChange: [from: SocketAddress, to: SocketAddress];
  close: [reason: SessionCloseReason];
}

/** A sending flow as the application sees it: writes wake the session's sender. */
export class OutgoingFlow extends EventEmitter<{
  writable: [];
  delivered: [message: SendMessageHandle];
  abandoned: [message: SendMessageHandle];
  exception: [code: number];
  complete: [];
}> {
  readonly flow: SendFlow;
  private readonly session: Session;

  constructor(session: Session, flow: SendFlow) {
    super();
    this.session = session;
    this.flow = flow;
  }

  get flowId(): number {
    return this.flow.flowId;
  }

  /** Set when a caller saw the flow full; 'writable' fires once room comes back. */
  waitingForRoom = false;

  /** Message bytes queued and not yet acked or abandoned. */
  get bufferedBytes(): number {
    return this.flow.bufferedBytes;
  }

  /** Longest message write() takes (longer: SendFlowError ERR_FLOW_MESSAGE_TOO_LARGE). */
  get maxMessageLength(): number {
    return this.flow.maxMessageLength;
  }

  /** Whether write() would take another message now (false arms one 'writable' event). */
  get writable(): boolean {
    const w = this.flow.writable;
    if (!w) this.waitingForRoom = true;
    return w;
  }

  /** Called when buffered messages leave the buffer (delivered or abandoned). */
  roomMayHaveFreed(): void {
    if (this.waitingForRoom && this.flow.writable) {
      this.waitingForRoom = false;
      callApplication(this.session.clock, () => this.emit('writable'));
    }
  }

  /**
   * Queues one message (any size; fragmented at the MSS). `lifetimeMs` makes it partially reliable:
   * not delivered in time, it is abandoned and reported with 'abandoned' (RFC 7016 3.6.2.3.3).
   * Throws SendFlowError BufferFull when the flow's buffer is full: wait for 'writable'.
   */
  write(message: Uint8Array, options?: WriteOptions): SendMessageHandle {
    const h = this.flow.write(message, options);
    this.session.wake();
    return h;
  }

  /** Sends FIN after what is queued (RFC 7016 3.6.2.3). */
  close(): void {
    this.flow.close();
    this.session.wake();
  }
}

const PING_NONCE_BYTES = 8;

/**
 * Runs an application callback from inside protocol processing. An exception from it must not
 * unwind through half-updated session state (the transport would swallow it and the session would
 * stall), so it is rethrown on its own: it still surfaces as an uncaught exception, as a throw in
 * any node event listener does.
 */
function callApplication(clock: Clock, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    clock.defer(() => {
      throw e;
    });
  }
}
export const DEFAULT_SESSION_SEND_BUFFER = 2 * 1024 * 1024;

/**
 * Packet-building scratch (a writer with room for a packet plus the envelope's prefix and
 * padding, and its builder), shared by every session: a session borrows one only while it
 * builds, and the endpoint copies each finished packet out at once, so an idle session holds
 * none. A session building inside another's build (an application callback) gets its own.
 */
const freeBuilders: PacketBuilder[] = [];

function takeBuilder(maxPacketLength: number): PacketBuilder {
  for (let i = freeBuilders.length - 1; i >= 0; i--) {
    const b = freeBuilders[i]!;
    if (b.w.buf.length < maxPacketLength + 64) continue;
    freeBuilders.splice(i, 1);
    b.maxLength = maxPacketLength;
    return b;
  }
  return new PacketBuilder(new ByteWriter(new Uint8Array(maxPacketLength + 64)), maxPacketLength);
}

function giveBuilder(b: PacketBuilder): void {
  if (freeBuilders.length < 16) freeBuilders.push(b);
}

/**
 * The receiving side's reassembler when a session owns one (no endpoint-shared reassembly, or
 * the WASM kind asked for). Sized for one session rather than the engine's generic defaults:
 * 2 MiB per flow still takes messages up to 1024 fragments (about 1.2 MB); 32 flows leave room
 * for several Flash NetStreams (3-4 flows each, wire-reference E.3); a session processes one
 * packet's records per call, so small batch areas do. The reference kind takes its memory as it
 * is used; the WASM kind allocates all of it (about 4.3 MiB) when the session opens.
 */
export const SESSION_REASSEMBLY_DEFAULTS = {
  poolBytes: 2 * 1024 * 1024,
  flowBufferBytes: 2 * 1024 * 1024,
  maxFlows: 32,
  maxBatch: 64,
  batchDataBytes: 64 * 1200,
} as const;

export class Session extends EventEmitter<SessionEvents> {
  readonly role: 'initiator' | 'responder';
  readonly nearSessionId: Uint8Array;
  readonly farSessionId: Uint8Array;
  readonly farPeerId: Uint8Array;
  readonly farCertificate: Uint8Array;
  readonly established: EstablishedSession;
  /** Where packets go. Moves only after a validated address change (B.7). */
  farAddress: SocketAddress;
  /** Addresses the far end reported about itself (Flash setPeerInfo), used for introductions. */
  reportedAddresses: SocketAddress[] = [];
  state: SessionState = 'open';
  readonly counters: SessionCounters = {
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    pingsSent: 0,
    pingRepliesReceived: 0,
    addressChangesSeen: 0,
    addressChangesApplied: 0,
    ignoredChunks: 0,
  };
  readonly rtt: RttEstimator;
  readonly congestion: CongestionController;
  readonly scheduler: FlowScheduler;
  readonly receive: ReceiveFlows;
  /** Next session sequence number to send, when the far end expects them (D.3). */
  nextSendSequenceNumber = 0;
  /** Receive-side replay window (A.3): bit i set when highest - i was received (i < 32). */
  private receivedSequenceBits = 0;
  private highestReceivedSequenceNumber = -1;
  /** Key slots of this session in the endpoint's KeyTable (set by the endpoint). */
  sendKeySlot = -1;
  receiveKeySlot = -1;

  private readonly ctx: SessionContext;
  /** The endpoint's reassembler this session shares, given back when it closes. */
  private readonly sharedReassembler: Reassembler | undefined;
  /** The endpoint's clock: time, timers, deferrals and randomness for this session. */
  get clock(): Clock {
    return this.ctx.clock;
  }
  private readonly options: Required<Omit<SessionOptions, 'receive' | 'acceptFlow' | 'sendBufferBytes'>> & Pick<SessionOptions, 'sendBufferBytes' | 'acceptFlow'>;
  private readonly timestamps: PacketTimestamps;
  /** Fragment payload size that always fits a packet of maxPacketLength (worst-case headers). */
  private readonly mss: number;
  /** Borrowed from the shared scratch while this session builds packets (see takeBuilder). */
  private builder: PacketBuilder | undefined;
  private buildDepth = 0;
  private readonly control: AnyChunk[] = [];
  // Created on first use (as the maps below): an idle session has no flows and no pings.
  private outgoing: Map<number, OutgoingFlow> | undefined;
  private nextFlowId = 2; // Mona hardcodes association 2 for the NetConnection flow (G.5)
  private lastReceivedAt: number;
  private lastPingSentAt = -Infinity;
  private closeStartedAt = 0;
  private lastCloseSentAt = -Infinity;
  private farCloseAt = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private flushScheduled = false;
  /** Accepted incoming flows whose 'flow' event is still due. */
  private unannouncedFlows: Set<ReceiveFlowInfo> | undefined;
  private pendingPings: Map<string, { resolve: (rttMs: number) => void; sentAt: number }> | undefined;
  /** A candidate new far address and the nonce that must come back from it (B.7). */
  private mobility: { address: SocketAddress; nonce: Uint8Array; sentAt: number } | undefined;

  constructor(ctx: SessionContext, established: EstablishedSession, options: SessionOptions = {}) {
    super();
    this.ctx = ctx;
    this.established = established;
    this.role = established.role;
    this.nearSessionId = established.nearSessionId;
    this.farSessionId = established.farSessionId;
    this.farPeerId = established.farPeerId;
    this.farCertificate = established.farCertificate;
    this.farAddress = established.farAddress;
    this.options = {
      keepaliveMs: options.keepaliveMs ?? 10_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 120_000,
      closeRetryMs: options.closeRetryMs ?? 5_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 90_000,
      farCloseLingerMs: options.farCloseLingerMs ?? 19_000,
      maxPacketLength: options.maxPacketLength ?? 1192,
      maxPacketsPerFlush: options.maxPacketsPerFlush ?? 64,
      sendBufferBytes: options.sendBufferBytes ?? DEFAULT_SESSION_SEND_BUFFER,
      acceptFlow: options.acceptFlow,
    };
    const now = ctx.clock.now();
    this.lastReceivedAt = now;
    this.timestamps = new PacketTimestamps(now);
    this.rtt = new RttEstimator();
    this.mss = mssForPacketLength(this.options.maxPacketLength);
    this.congestion = new CongestionController({ mss: this.mss, rtt: this.rtt, endpoint: ctx.timeCritical });
    this.scheduler = new FlowScheduler({ congestion: this.congestion, rtt: this.rtt });
    const shared = ctx.receiveMemory;
    const own = !shared || options.receive?.reassembler !== undefined || options.receive?.reassemblerKind === 'wasm';
    this.sharedReassembler = own ? undefined : shared.acquire();
    this.receive = new ReceiveFlows({
      ...options.receive,
      ...(this.sharedReassembler
        ? {
            reassembler: this.sharedReassembler,
            maxFlows: options.receive?.maxFlows ?? shared!.flowsPerSession,
            maxBufferedBytes: options.receive?.maxBufferedBytes ?? shared!.sessionBufferBytes,
          }
        : { reassembly: { ...SESSION_REASSEMBLY_DEFAULTS, ...options.receive?.reassembly } }),
      isSendFlowOpen: (id) => this.scheduler.flow(id) !== undefined,
      handler: {
        onFlow: (f) => {
          const d = this.options.acceptFlow ? this.options.acceptFlow(f) : true;
          if (d !== false && !(typeof d === 'object' && d.accept === false)) {
            // Deferred, but never after the flow's first message: one packet can open a flow and
            // complete messages on it (seen with rtmfp-cpp's fcclient).
            (this.unannouncedFlows ??= new Set()).add(f);
            this.ctx.clock.defer(() => this.announceFlow(f));
          }
          return d;
        },
        onMessage: (f, m) => (this.announceFlow(f), callApplication(this.ctx.clock, () => this.emit('message', f, m))),
        onAbandoned: (f, first, last) => (this.announceFlow(f), callApplication(this.ctx.clock, () => this.emit('abandoned', f, first, last))),
        onComplete: (f) => (this.announceFlow(f), callApplication(this.ctx.clock, () => this.emit('flowComplete', f))),
      },
    });
  }

  get open(): boolean {
    return this.state === 'open';
  }

  /** A snapshot for monitoring: traffic, RTT, congestion window, retransmissions, flows. */
  stats(): SessionStats {
    const sch = this.scheduler;
    const rx = this.receive.stats;
    return {
      ...this.counters,
      state: this.state,
      srttMs: this.rtt.srtt,
      ertoMs: this.rtt.erto,
      cwndBytes: this.congestion.cwnd,
      bytesInFlight: sch.bytesInFlight,
      retransmittedFragments: sch.nackLosses + sch.timeoutLosses,
      lossesByNack: sch.nackLosses,
      lossesByTimeout: sch.timeoutLosses,
      tailProbes: sch.tailProbes,
      congestionTimeouts: this.congestion.timeouts,
      sendFlows: sch.flowCount,
      receiveFlows: rx.openFlows,
      receivedDuplicates: rx.duplicates,
      receiveRefused: rx.refusedCapacity + rx.refusedWindow + rx.refusedMessageLimit + rx.refusedSessionCap + rx.invalid,
    };
  }

  /** Near and far session nonces (RFC 7425 4.6.5): bind application tokens to this session. */
  get nonces(): { near: Uint8Array; far: Uint8Array } {
    return { near: this.established.keys.nearNonce, far: this.established.keys.farNonce };
  }

  /**
   * Opens a sending flow (RFC 7016 3.6.2). `metadata` is the user metadata option (required on
   * the first chunk, C.2); `returnFlowAssociation` names a flow received from the far end that
   * this one answers (C.5). Priority above Routine makes the flow time critical.
   */
  openFlow(metadata: Uint8Array, options: { priority?: Priority; returnFlowAssociation?: number; bufferCapacity?: number } = {}): OutgoingFlow {
    if (this.state !== 'open') throw new RtmfpError('ERR_SESSION_CLOSED', 'session is not open');
    const flowId = this.nextFlowId++;
    let outgoing: OutgoingFlow | undefined;
    const listener: SendFlowListener = {
      writable: () => {
        if (outgoing) outgoing.waitingForRoom = true;
        outgoing?.roomMayHaveFreed();
      },
      delivered: (m) => {
        callApplication(this.ctx.clock, () => outgoing?.emit('delivered', m));
        outgoing?.roomMayHaveFreed();
      },
      abandoned: (m) => {
        callApplication(this.ctx.clock, () => outgoing?.emit('abandoned', m));
        outgoing?.roomMayHaveFreed();
      },
      exception: (code) => callApplication(this.ctx.clock, () => outgoing?.emit('exception', code)),
      complete: () => {
        callApplication(this.ctx.clock, () => outgoing?.emit('complete'));
        this.scheduler.removeFlow(flow);
        this.outgoing?.delete(flowId);
      },
    };
    const flow = new SendFlow({
      flowId,
      metadata,
      ...(options.returnFlowAssociation !== undefined ? { returnFlowAssociation: options.returnFlowAssociation } : {}),
      priority: options.priority ?? Priority.Routine,
      clock: this.ctx.clock,
      mss: this.mss,
      ...(options.bufferCapacity !== undefined
        ? { bufferCapacity: options.bufferCapacity }
        : this.options.sendBufferBytes !== undefined
          ? { bufferCapacity: this.options.sendBufferBytes }
          : {}),
      listener,
    });
    this.scheduler.addFlow(flow);
    outgoing = new OutgoingFlow(this, flow);
    (this.outgoing ??= new Map()).set(flowId, outgoing);
    return outgoing;
  }

  /** Rejects an incoming flow (Flow Exception Report, C.4). */
  rejectFlow(flowId: number, exceptionCode = 0): boolean {
    const ok = this.receive.reject(flowId, this.ctx.clock.now(), exceptionCode);
    this.wake();
    return ok;
  }

  /**
   * Sends a Ping and resolves with the round-trip time when its reply comes back. Rejects with
   * ERR_PING_TIMEOUT when none comes within `timeoutMs` (a lost ping or reply is never retried),
   * and with ERR_SESSION_CLOSED if the session closes first.
   */
  ping(timeoutMs = 5000, options: { signal?: AbortSignal } = {}): Promise<number> {
    if (this.state !== 'open') return Promise.reject(new RtmfpError('ERR_SESSION_CLOSED', 'session is not open'));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new RtmfpError('ERR_ABORTED', 'the ping was aborted', { cause: signal.reason }));
    const message = this.ctx.clock.random(PING_NONCE_BYTES);
    const key = Buffer.from(message).toString('hex');
    const now = this.ctx.clock.now();
    return new Promise<number>((resolve, reject) => {
      const onAbort = (): void => {
        timer.cancel();
        if (this.pendingPings?.delete(key)) reject(new RtmfpError('ERR_ABORTED', 'the ping was aborted', { cause: signal?.reason }));
      };
      const timer = this.ctx.clock.setTimer(now + timeoutMs, () => {
        signal?.removeEventListener('abort', onAbort);
        if (this.pendingPings?.delete(key)) reject(new RtmfpError('ERR_PING_TIMEOUT', `no Ping Reply within ${timeoutMs} ms`));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      (this.pendingPings ??= new Map()).set(key, {
        resolve: (rtt: number) => {
          timer.cancel();
          signal?.removeEventListener('abort', onAbort);
          if (Number.isNaN(rtt)) reject(new RtmfpError('ERR_SESSION_CLOSED', 'session closed before the Ping Reply'));
          else resolve(rtt);
        },
        sentAt: now,
      });
      this.sendPing(message, now);
      this.flush(now);
    });
  }

  /** Orderly close (B.4): Close Request until Close Ack or the timeout. */
  close(): void {
    if (this.state !== 'open') return;
    const now = this.ctx.clock.now();
    this.state = 'nearclose';
    this.closeStartedAt = now;
    this.queueCloseRequest(now);
    // Sent on the next turn, not now: close() is often called from a message or status callback,
    // inside this session's receive processing, which a flush (writing acks) must not re-enter.
    this.wake();
  }

  /** Abrupt close (B.4): one Close Ack, then forget the session. */
  abort(reason: SessionCloseReason = 'local'): void {
    if (this.state === 'closed') return;
    const now = this.ctx.clock.now();
    if (this.state === 'open' || this.state === 'nearclose') {
      this.control.push({ type: ChunkType.SessionCloseAck });
      this.flushControlOnly(now);
    }
    this.finish(reason);
  }

  /**
   * Replay check for a received session sequence number (A.3, as rtmfp-cpp): refuses repeats
   * and anything 32 or more below the highest seen; records the rest.
   */
  acceptSessionSequenceNumber(n: number): boolean {
    const top = this.highestReceivedSequenceNumber;
    if (n <= top - 32) return false;
    if (n > top) {
      const shift = n - top;
      this.receivedSequenceBits = ((shift >= 32 ? 0 : this.receivedSequenceBits << shift) | 1) >>> 0;
      this.highestReceivedSequenceNumber = n;
      return true;
    }
    const bit = 1 << (top - n);
    if (this.receivedSequenceBits & bit) return false;
    this.receivedSequenceBits = (this.receivedSequenceBits | bit) >>> 0;
    return true;
  }

  /** Send something soon (coalesced: one flush per event-loop turn). */
  wake(): void {
    if (this.flushScheduled || this.state === 'closed') return;
    this.flushScheduled = true;
    if (this.ctx.wake) this.ctx.wake(this);
    else this.ctx.clock.immediate(this.flushWoken);
  }

  /** The flush a wake() asked for (called by the endpoint, or by the session's own callback). */
  runWoken(now: number): void {
    this.flushScheduled = false;
    if (this.state !== 'closed') this.flush(now);
  }

  private readonly flushWoken = (): void => this.runWoken(this.ctx.clock.now());

  /** A queued Forwarded IHello (introductions: the server sends it on the target's session). */
  sendForwardedIHello(chunk: ForwardedIHelloChunk): void {
    this.control.push(chunk);
    this.wake();
  }

  /**
   * An authenticated, decrypted packet for this session (mode already checked by the endpoint).
   * `from` is its source address: a different one starts address validation (B.7). With
   * `flushNow` false the caller promises to call flush(now) once it has handed over the rest of
   * the turn's packets.
   */
  receivePacket(
    header: PacketHeader,
    chunks: readonly AnyChunk[],
    from: SocketAddress,
    datagramLength: number,
    now: number,
    flushNow = true,
  ): void {
    if (this.state === 'closed') return;
    this.counters.packetsIn++;
    this.counters.bytesIn += datagramLength;
    this.lastReceivedAt = now;
    const sample = this.timestamps.onReceived(header, now);
    if (sample !== undefined) this.rtt.addSample(sample, now, 'echo');
    if (header.timeCritical) this.ctx.timeCritical.onReceived(this, now);
    if (header.timeCriticalReverse) this.congestion.onTimeCriticalReverse(now);
    if (!sameSocketAddress(from, this.farAddress)) this.onNewAddress(from, now);

    let closedByFar = false;
    for (const c of chunks) {
      switch (c.type) {
        case ChunkType.Ping:
          this.control.push({ type: ChunkType.PingReply, messageEcho: c.message });
          break;
        case ChunkType.PingReply:
          this.onPingReply(c.messageEcho, from, now);
          break;
        case ChunkType.AckRanges:
        case ChunkType.AckBitmap:
          this.scheduler.onAck(c, now);
          break;
        case ChunkType.FlowExceptionReport:
          this.scheduler.onFlowExceptionReport(c, now);
          break;
        case ChunkType.SessionCloseRequest:
          // Answer every Close Request with a Close Ack, and linger re-acking (B.4).
          this.control.push({ type: ChunkType.SessionCloseAck });
          if (this.state === 'open' || this.state === 'nearclose') {
            this.state = 'farclose';
            this.farCloseAt = now;
            closedByFar = true; // announced after the Close Ack is on its way (below)
          }
          break;
        case ChunkType.SessionCloseAck:
          this.flushControlOnly(now);
          this.finish(this.state === 'nearclose' ? 'local' : 'remote');
          return;
        case ChunkType.ForwardedIHello:
          this.ctx.forwardedIHello(this, c, now);
          break;
        case ChunkType.UserData:
        case ChunkType.NextUserData:
        case ChunkType.BufferProbe:
          break; // handed to the receiving flows below, as one batch
        default:
          this.counters.ignoredChunks++;
      }
    }
    if (this.state === 'open' || this.state === 'nearclose' || this.state === 'farclose') this.receive.onPacket(chunks, now);
    // Lingering after a far close only re-acks (B.4): the flows keep their sequence sets, not buffers.
    if (closedByFar) this.receive.parkAll(now);
    this.scheduler.onPacketProcessed(now);
    // flushNow false: the endpoint flushes once after the whole batch (acks coalesced per turn).
    if (flushNow || closedByFar) this.flush(now);
    // Only now: an application that closes its endpoint on 'close' must not lose our Close Ack,
    // or the far end repeats its Close Request for 90 s (B.4).
    if (closedByFar) callApplication(this.ctx.clock, () => this.emit('close', 'remote'));
  }

  /**
   * Builds and hands over packets while there is something to send: control chunks, acks (due, or
   * piggybacked on anything else going out), then flow data within the congestion window.
   */
  flush(now: number): void {
    if (this.state === 'closed') return;
    this.buildDepth++;
    try {
      this.flushPackets(now);
    } finally {
      this.doneBuilding();
    }
  }

  private flushPackets(now: number): void {
    let packets = 0;
    while (packets < this.options.maxPacketsPerFlush) {
      const ackDue = this.receive.ackDue(now);
      const data = this.state !== 'farclose' && this.scheduler.wantsToSend(now);
      if (!ackDue && !data && this.control.length === 0) break;
      const b = this.beginPacket(now);
      while (this.control.length > 0 && b.append(this.control[0]!)) this.control.shift();
      this.receive.writeAcks(b, now);
      const r = this.state === 'farclose' ? undefined : this.scheduler.fillPacket(b, now);
      if (r?.timeCritical) {
        markTimeCritical(b);
        this.ctx.timeCritical.onSent(now);
      }
      if (b.chunkCount === 0) break;
      this.sendBuilt(b);
      packets++;
      // A packet with no data means data could not go (window, burst): stop once the owed
      // acks and control chunks are out, or this would spin on ack-only packets.
      if ((r === undefined || (r.fragments === 0 && r.bufferProbes === 0)) && !this.receive.ackDue(now) && this.control.length === 0) break;
    }
    if (packets >= this.options.maxPacketsPerFlush) this.wake();
    this.reschedule(now);
  }

  /** For the endpoint: timers of this session are due. */
  onTimer(now: number): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.state === 'closed') return;
    // The timer stays armed for the earliest deadline when deadlines move later (ERTO and the
    // tail probe move with every packet sent or acked) instead of being re-armed per packet; when
    // it fires with nothing due yet it only re-arms.
    if (this.nextDeadline() > now) return this.reschedule(now);
    if (this.state === 'farclose') {
      if (now >= this.farCloseAt + this.options.farCloseLingerMs) return this.finish('remote');
    } else if (this.state === 'nearclose') {
      if (now >= this.closeStartedAt + this.options.closeTimeoutMs) return this.finish('timeout');
      if (now >= this.lastCloseSentAt + this.options.closeRetryMs) this.queueCloseRequest(now);
    } else {
      // Deadlines computed as reschedule() computes them (t + period, not now - t): with
      // fractional times the two can differ in the last bit, and a timer firing at its deadline
      // that then finds nothing due re-arms itself at the same instant forever.
      if (now >= this.lastReceivedAt + this.options.idleTimeoutMs) return this.abort('timeout');
      const ka = this.options.keepaliveMs;
      if (now >= this.lastReceivedAt + ka && now >= this.lastPingSentAt + ka) {
        this.sendPing(new Uint8Array(0), now);
      }
    }
    this.receive.onTimeout(now);
    this.scheduler.onTimeout(now);
    this.flush(now);
  }

  // ---- internals ----

  /** Emits 'flow' for `f` once, before anything else about it. */
  private announceFlow(f: ReceiveFlowInfo): void {
    if (this.unannouncedFlows?.delete(f)) callApplication(this.ctx.clock, () => this.emit('flow', f));
  }

  private beginPacket(now: number): PacketBuilder {
    const fields = this.timestamps.fieldsFor(now);
    const header: PacketHeader = {
      timeCritical: false,
      timeCriticalReverse: this.ctx.timeCritical.shouldReportTcr(this, now),
      mode: this.role === 'initiator' ? PacketMode.Initiator : PacketMode.Responder,
      ...fields,
    };
    const b = (this.builder ??= takeBuilder(this.options.maxPacketLength));
    b.w.pos = 0;
    b.begin(header, 0);
    this.pendingTimestampFields = fields;
    return b;
  }

  private pendingTimestampFields: { timestamp?: number; timestampEcho?: number } = {};

  private sendBuilt(b: PacketBuilder, to?: SocketAddress): void {
    this.timestamps.onSent(this.pendingTimestampFields);
    const bytes = b.bytes();
    this.counters.packetsOut++;
    this.counters.bytesOut += bytes.length;
    this.ctx.transmit(this, bytes, to);
  }

  /** Sends the queued control chunks now, without data (used on the way to CLOSED). */
  private flushControlOnly(now: number): void {
    this.buildDepth++;
    try {
      this.flushControlPackets(now);
    } finally {
      this.doneBuilding();
    }
  }

  /** Gives the packet scratch back once no build of this session is under way. */
  private doneBuilding(): void {
    if (--this.buildDepth === 0 && this.builder) {
      giveBuilder(this.builder);
      this.builder = undefined;
    }
  }

  private flushControlPackets(now: number): void {
    while (this.control.length > 0) {
      const b = this.beginPacket(now);
      while (this.control.length > 0 && b.append(this.control[0]!)) this.control.shift();
      if (b.chunkCount === 0) {
        this.control.shift(); // cannot fit even alone: drop it rather than loop
        continue;
      }
      this.sendBuilt(b);
    }
  }

  private sendPing(message: Uint8Array, now: number): void {
    this.lastPingSentAt = now;
    this.counters.pingsSent++;
    this.control.push({ type: ChunkType.Ping, message });
  }

  private queueCloseRequest(now: number): void {
    this.lastCloseSentAt = now;
    this.control.push({ type: ChunkType.SessionCloseRequest });
  }

  private onPingReply(echo: Uint8Array, from: SocketAddress, now: number): void {
    this.counters.pingRepliesReceived++;
    const m = this.mobility;
    if (m && echo.length === m.nonce.length && Buffer.compare(Buffer.from(echo), Buffer.from(m.nonce)) === 0) {
      // The nonce came back from the new address: it is really the far end there (B.7).
      if (sameSocketAddress(from, m.address)) {
        const old = this.farAddress;
        this.farAddress = m.address;
        this.mobility = undefined;
        this.counters.addressChangesApplied++;
        callApplication(this.ctx.clock, () => this.emit('addressChange', old, m.address));
      }
      return;
    }
    const key = Buffer.from(echo).toString('hex');
    const p = this.pendingPings?.get(key);
    if (p) {
      this.pendingPings!.delete(key);
      p.resolve(now - p.sentAt);
    }
  }

  /**
   * RFC 7016 3.5.4.2: an authenticated packet from a new address does not move the session by
   * itself (an attacker could replay one from elsewhere). Ping the new address with a fresh nonce;
   * only its echo from that address moves farAddress.
   */
  private onNewAddress(from: SocketAddress, now: number): void {
    this.counters.addressChangesSeen++;
    if (this.mobility && sameSocketAddress(this.mobility.address, from) && now - this.mobility.sentAt < 1000) return;
    const nonce = this.ctx.clock.random(PING_NONCE_BYTES);
    this.mobility = { address: from, nonce, sentAt: now };
    this.buildDepth++;
    try {
      const b = this.beginPacket(now);
      b.append({ type: ChunkType.Ping, message: nonce });
      this.counters.pingsSent++;
      this.sendBuilt(b, from);
    } finally {
      this.doneBuilding();
    }
  }

  private reschedule(now: number): void {
    let at = this.nextDeadline();
    if (!Number.isFinite(at)) return;
    at = Math.max(at, now);
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.ctx.clock.setTimer(at, this.onTimerDue);
  }

  private readonly onTimerDue = (): void => this.onTimer(this.ctx.clock.now());

  /** When onTimer has something to do: the earliest protocol deadline of the current state. */
  private nextDeadline(): number {
    let at = Math.min(this.scheduler.nextTimeout(), this.receive.nextTimeout());
    if (this.state === 'open') {
      at = Math.min(at, this.lastReceivedAt + this.options.idleTimeoutMs, Math.max(this.lastReceivedAt, this.lastPingSentAt) + this.options.keepaliveMs);
    } else if (this.state === 'nearclose') {
      at = Math.min(at, this.lastCloseSentAt + this.options.closeRetryMs, this.closeStartedAt + this.options.closeTimeoutMs);
    } else if (this.state === 'farclose') {
      at = Math.min(at, this.farCloseAt + this.options.farCloseLingerMs);
    }
    return at;
  }

  private finish(reason: SessionCloseReason): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open' || this.state === 'nearclose';
    this.state = 'closed';
    this.timer?.cancel();
    this.timer = undefined;
    this.receive.close();
    if (this.sharedReassembler) this.ctx.receiveMemory?.release(this.sharedReassembler);
    const pings = this.pendingPings;
    this.pendingPings = undefined;
    if (pings) for (const p of pings.values()) p.resolve(Number.NaN);
    this.ctx.closed(this);
    if (wasOpen) callApplication(this.ctx.clock, () => this.emit('close', reason));
  }
}
