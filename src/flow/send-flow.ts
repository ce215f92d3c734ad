// One flow's sender (RFC 7016 section 3.6.2; wire-reference C.1-C.4): messages in, (Next) User
// Data chunks out, acks and exception reports in. Pure: no sockets, no timers; engine-facing
// methods take `now` (ms) and the flow exposes nextTimeout()/onTimeout(now) for its lifetimes and
// its Buffer Probe persist timer. A FlowScheduler (flow-scheduler.ts) decides when it may send.
import { RtmfpError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { INITIAL_ERTO_MS } from './rtt.js';
import { DEFAULT_MSS } from './congestion.js';
import { DEFAULT_REASSEMBLY_CONFIG } from '../engine/reassembly/types.js';
import { ChunkType } from '../wire/chunk-type.js';
import { CHUNK_HEADER_LENGTH } from '../wire/chunk.js';
import { AckBitmapChunk, ackBitmapReceived, AckRangesChunk, BUFFER_BLOCK_SIZE } from '../wire/chunks/ack.js';
import type { BufferProbeChunk } from '../wire/chunks/flow-control.js';
import {
  FragmentControl,
  NextUserDataChunk,
  nextUserDataBodyLength,
  UserDataChunk,
  userDataBodyLength,
  UserDataOptions,
  userDataOptionsLength,
} from '../wire/chunks/user-data.js';
import type { PacketBuilder } from '../wire/packet.js';
import { isTimeCritical, Priority, toPriority } from './priority.js';
import { FragmentOwner, OutstandingList, SendFragment, SendMessage, SendMessageHandle } from './send-buffer.js';

export const SendFlowErrorCode = {
  /** write() refused: the send buffer is at its cap. Wait for the 'writable' event. */
  BufferFull: 'ERR_FLOW_BUFFER_FULL',
  /** write() after close() or after the receiver's exception report. */
  Closed: 'ERR_FLOW_CLOSED',
  /** A bad argument (metadata too long, negative lifetime...). */
  Argument: 'ERR_FLOW_ARGUMENT',
  /**
   * write() refused a message longer than the flow's maxMessageLength: more fragments than a
   * receiver reassembles, so it could never be delivered and would only hold the flow up.
   */
  MessageTooLarge: 'ERR_FLOW_MESSAGE_TOO_LARGE',
} as const;
export type SendFlowErrorCode = (typeof SendFlowErrorCode)[keyof typeof SendFlowErrorCode];

export class SendFlowError extends RtmfpError {
  constructor(code: SendFlowErrorCode, message: string) {
    super(code, message);
  }
}

/** Default cap on buffered (unacked, unabandoned) message bytes: rtmfp-cpp INITIAL_SEND_BUFFER. */
export const DEFAULT_SEND_BUFFER_CAPACITY = 65536;
/** Receive window assumed until the first ack: rtmfp-cpp INITIAL_RECV_BUFFER (64 blocks, C.3). */
export const INITIAL_RECEIVE_WINDOW = 65536;
/** Flow metadata is at most 512 bytes (A.5, rtmfp-cpp MAX_METADATA_LENGTH). */
export const MAX_METADATA_LENGTH = 512;
/**
 * Most fragments of one message: what this implementation's receivers reassemble
 * (DEFAULT_REASSEMBLY_CONFIG.maxFragmentsPerMessage, which sessions keep). A longer message is
 * refused by the receiver fragment after fragment; its buffered part fills the flow's receive
 * buffer, the advertised window drops to 0, and not even the abandonment (FSN, C.1) can be sent
 * any more: the flow stalls for good (issue 9 item 8). So write() refuses such a message.
 */
export const MAX_MESSAGE_FRAGMENTS = DEFAULT_REASSEMBLY_CONFIG.maxFragmentsPerMessage;
/** Buffer Probe persist timer: starts at max(1 s, ERTO), x sqrt(2), at most 60 s (C.3). */
export const PERSIST_INITIAL_MS = 1000;
export const PERSIST_BACKOFF_FACTOR = Math.SQRT2;
export const PERSIST_MAX_MS = 60_000;

/** Options of one write(). */
export interface WriteOptions {
  /** Abandon the message if it is not fully acked this long after the write (partial reliability). */
  lifetimeMs?: number;
  /**
   * The caller promises never to change these bytes: the flow keeps a reference instead of a
   * copy. A relay writes one encoded message to many flows this way (one buffer, N references).
   */
  shared?: boolean;
}

/** What the application hears from its flow. All optional. */
export interface SendFlowListener {
  /** A write was refused with BufferFull and there is room again. */
  writable?(): void;
  /** Every fragment of the message was acked. */
  delivered?(message: SendMessageHandle): void;
  /** The message was given up (lifetime expired or exception); the receiver is told with ABN. */
  abandoned?(message: SendMessageHandle): void;
  /** The receiver sent a Flow Exception Report (C.4). */
  exception?(code: number): void;
  /** FIN and everything before it are acked (C.4). The session may forget the flow after lingering. */
  complete?(): void;
}

export interface SendFlowOptions {
  flowId: number;
  /** The user's per-flow metadata, option 0x00 (C.2), e.g. Flash `TC\x04\x00...` (E.1). */
  metadata: Uint8Array;
  /** ID of the received flow this one answers, option 0x0a (C.2, C.5). */
  returnFlowAssociation?: number;
  priority?: Priority;
  /** Used for write() and close() timestamps (lifetimes). */
  clock: Clock;
  /** Fragment payload size; default 1161 (A.5). */
  mss?: number;
  bufferCapacity?: number;
  /** Longest message write() takes; default MAX_MESSAGE_FRAGMENTS * mss. */
  maxMessageLength?: number;
  listener?: SendFlowListener;
}

/** The session-wide pieces a flow needs; FlowScheduler.addFlow attaches its own. */
export interface SendFlowSession {
  readonly outstanding: OutstandingList;
  readonly rtt: { readonly erto: number };
}

/** Passed by the scheduler to assemble(): the packet's transmission number and the send budget. */
export interface AssembleContext {
  readonly now: number;
  /** Session transmission sequence number of this packet. */
  readonly tsn: number;
  /** Whether one more fragment may go (congestion window and burst limit). */
  canSendMore(): boolean;
  /** Told the transmit size of every fragment put in the packet. */
  onFragmentSent(f: SendFragment): void;
  /**
   * The most recent (Next) User Data chunk in this packet, kept up to date by assemble(), so a
   * flow called twice for one packet (retransmissions, then new data) continues with Next User
   * Data when its numbers are consecutive (A.8). Leave undefined for a fresh packet.
   */
  lastUserData?: { flowId: number; sequenceNumber: number };
}

export interface AssembleResult {
  /** Fragments appended. */
  fragments: number;
  /** Stopped because the next chunk did not fit in the packet. */
  packetFull: boolean;
}

export interface FlowAckResult {
  /** Transmit bytes of in-flight fragments this ack acknowledged. */
  ackedBytes: number;
  /** Highest TSN among them, or -1. */
  maxTsnAcked: number;
  /** now - sentAt of the most recently sent newly acked fragment that was never retransmitted. */
  rttSampleMs?: number;
}

export type SendFlowState = 'open' | 'closing' | 'complete';

const EMPTY = new Uint8Array(0);

/** Min-heap of messages by deadline (lifetimes are per message, not monotonic). */
class DeadlineHeap {
  private a: SendMessage[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): SendMessage | undefined {
    return this.a[0];
  }

  push(m: SendMessage): void {
    const a = this.a;
    a.push(m);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.deadline <= m.deadline) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = m;
  }

  pop(): SendMessage | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]!.deadline < a[l]!.deadline ? r : l;
        if (a[c]!.deadline >= last.deadline) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

export class SendFlow implements FragmentOwner {
  readonly flowId: number;
  readonly metadata: Uint8Array;
  readonly returnFlowAssociation: number | undefined;
  readonly mss: number;
  readonly bufferCapacity: number;
  readonly maxMessageLength: number;
  priority: Priority;
  listener: SendFlowListener;
  state: SendFlowState = 'open';
  /** Set when the receiver reported an exception (C.4). */
  exceptionCode: number | undefined;

  /** Bytes the receiver last advertised (bufferBlocksAvailable * 1024, C.3). */
  receiveWindow = INITIAL_RECEIVE_WINDOW;
  /** Transmit bytes of this flow's fragments in flight. */
  outstandingBytes = 0;
  /** Message bytes not yet acked, excluding abandoned messages: what the cap limits. */
  bufferedBytes = 0;
  /** The sequence number carrying FIN, or 0 before close(). */
  finalSequenceNumber = 0;
  /** OPT with metadata (and association) goes on the flow's first chunk of each packet until an ack arrives (C.2). */
  optionsPending = true;

  // Counters.
  fragmentsSent = 0;
  retransmissions = 0;
  messagesDelivered = 0;
  messagesAbandoned = 0;
  bufferProbesSent = 0;

  private readonly clock: Clock;
  private readonly options: UserDataOptions;
  private readonly optionsLength: number;
  private session: SendFlowSession;
  private nextSequenceNumber = 1;
  private messageCount = 0;
  /** Fragments from the oldest unacked one (at `head`) to the newest written. */
  private fragments: SendFragment[] = [];
  private head = 0;
  /** Index of the first fragment never sent. */
  private nextUnsent = 0;
  /** Index below which every fragment is acked or abandoned (FSN scan cache). */
  private doneScan = 0;
  /** Lost fragments to resend, ascending sequence number, from rtxHead. */
  private rtx: SendFragment[] = [];
  private rtxHead = 0;
  private readonly deadlines = new DeadlineHeap();
  private readonly assembleResult: AssembleResult = { fragments: 0, packetFull: false };
  private wantWritable = false;
  private persistAt = Infinity;
  private persistInterval = 0;
  private probeDue = false;
  /** TSN of the packet that last carried our OPT (options go once per packet, C.2). */
  private optionsSentInTsn = -1;

  constructor(o: SendFlowOptions) {
    if (!Number.isSafeInteger(o.flowId) || o.flowId < 0) throw new SendFlowError(SendFlowErrorCode.Argument, `flow ID ${o.flowId}`);
    if (o.metadata.length > MAX_METADATA_LENGTH) {
      throw new SendFlowError(SendFlowErrorCode.Argument, `metadata of ${o.metadata.length} bytes exceeds ${MAX_METADATA_LENGTH}`);
    }
    this.flowId = o.flowId;
    this.metadata = o.metadata.slice();
    this.returnFlowAssociation = o.returnFlowAssociation;
    this.priority = toPriority(o.priority ?? Priority.Routine);
    this.clock = o.clock;
    this.mss = o.mss ?? DEFAULT_MSS;
    this.bufferCapacity = o.bufferCapacity ?? DEFAULT_SEND_BUFFER_CAPACITY;
    // Default: as many bytes as MAX_MESSAGE_FRAGMENTS fragments of this flow's MSS carry.
    this.maxMessageLength = o.maxMessageLength ?? MAX_MESSAGE_FRAGMENTS * this.mss;
    this.listener = o.listener ?? {};
    this.options = { userMetadata: this.metadata };
    if (o.returnFlowAssociation !== undefined) this.options.returnFlowAssociation = o.returnFlowAssociation;
    this.optionsLength = userDataOptionsLength(this.options);
    if (!Number.isInteger(this.mss) || this.mss <= this.optionsLength) {
      throw new SendFlowError(SendFlowErrorCode.Argument, `MSS ${this.mss} leaves no room after ${this.optionsLength} bytes of options`);
    }
    this.session = { outstanding: new OutstandingList(), rtt: { erto: INITIAL_ERTO_MS } };
  }

  /** Binds the flow to a session's outstanding list and RTT (done by FlowScheduler.addFlow). */
  attach(session: SendFlowSession): void {
    this.session = session;
  }

  get timeCritical(): boolean {
    return isTimeCritical(this.priority);
  }

  /** Whether write() would accept a message now (below the buffer cap, open). */
  get writable(): boolean {
    return this.state === 'open' && this.bufferedBytes < this.bufferCapacity;
  }

  /** Fragments written and not yet acked. */
  get pendingFragments(): number {
    return this.fragments.length - this.head;
  }

  /** The next sequence number write() will use. */
  get nextSequence(): number {
    return this.nextSequenceNumber;
  }

  /**
   * Queues a message. High-water-mark rule (as node streams): a write is taken while buffered
   * bytes are below the cap, so `writable` and `write` always agree and memory stays bounded by
   * the cap plus one message; at or above the cap it is refused with SendFlowError(BufferFull)
   * and the listener's writable() follows when there is room. `lifetimeMs`: abandon the message
   * if not fully acked that long after now.
   */
  write(message: Uint8Array, options: WriteOptions = {}): SendMessageHandle {
    if (this.state !== 'open') throw new SendFlowError(SendFlowErrorCode.Closed, `flow ${this.flowId} is ${this.state}`);
    if (message.length > this.maxMessageLength) {
      throw new SendFlowError(SendFlowErrorCode.MessageTooLarge, `message of ${message.length} bytes exceeds ${this.maxMessageLength}`);
    }
    const lifetime = options.lifetimeMs;
    if (lifetime !== undefined && !(lifetime >= 0)) {
      throw new SendFlowError(SendFlowErrorCode.Argument, `lifetime ${lifetime} is not a non-negative number`);
    }
    if (this.bufferedBytes >= this.bufferCapacity) {
      this.wantWritable = true;
      throw new SendFlowError(
        SendFlowErrorCode.BufferFull,
        `flow ${this.flowId}: ${this.bufferedBytes} bytes buffered, cap ${this.bufferCapacity}`,
      );
    }
    const deadline = lifetime === undefined ? Infinity : this.clock.now() + lifetime;
    return this.enqueue(options.shared ? message : message.slice(), ++this.messageCount, deadline);
  }

  /** Splits into fragments (FRA begin/middle/end, C.1), each taking one sequence number. */
  private enqueue(data: Uint8Array, number: number, deadline: number): SendMessage {
    // Room for the options while they may still be needed, as rtmfp-cpp does, so a first chunk
    // with OPT still fits in the packet the MSS was derived from.
    const max = this.mss - (this.optionsPending ? this.optionsLength : 0);
    const count = data.length === 0 ? 1 : Math.ceil(data.length / max);
    const first = this.nextSequenceNumber;
    const msg = new SendMessage(number, first, first + count - 1, data.length, deadline);
    for (let i = 0; i < count; i++) {
      const fra: FragmentControl =
        count === 1 ? FragmentControl.Whole : i === 0 ? FragmentControl.Begin : i === count - 1 ? FragmentControl.End : FragmentControl.Middle;
      const piece = data.subarray(i * max, Math.min(data.length, (i + 1) * max));
      this.fragments.push(new SendFragment(this, first + i, fra, piece, msg));
    }
    this.nextSequenceNumber += count;
    this.bufferedBytes += data.length;
    if (deadline !== Infinity) this.deadlines.push(msg);
    return msg;
  }

  /**
   * No more writes: FIN goes on the last sequence number, on an empty message when the last
   * fragment was already sent (C.1). A flow that never wrote anything completes at once.
   */
  close(): void {
    if (this.state !== 'open') return;
    if (this.nextSequenceNumber === 1) {
      this.finish();
      return;
    }
    const last = this.fragments.length > this.head ? this.fragments[this.fragments.length - 1]! : undefined;
    if (!last || last.sendCount > 0) this.enqueue(EMPTY, 0, Infinity);
    this.finalSequenceNumber = this.nextSequenceNumber - 1;
    this.state = 'closing';
  }

  /** The receiver refused or aborted the flow (C.4): abandon everything, close, report `code`. */
  onException(code: number, now: number): void {
    if (this.exceptionCode !== undefined || this.state === 'complete') return;
    this.exceptionCode = code;
    for (let i = this.head; i < this.fragments.length; i++) {
      const m = this.fragments[i]!.message;
      if (m.state === 'pending' && m.number > 0) this.abandon(m, 'exception');
    }
    this.listener.exception?.(code);
    this.close();
    void now;
  }

  private fragmentAt(seq: number): SendFragment | undefined {
    if (this.head >= this.fragments.length) return undefined;
    const i = this.head + (seq - this.fragments[this.head]!.sequenceNumber);
    return i >= this.head && i < this.fragments.length ? this.fragments[i] : undefined;
  }

  private abandon(m: SendMessage, reason: 'lifetime' | 'exception'): void {
    m.state = 'abandoned';
    m.abandonReason = reason;
    for (let s = m.firstSequenceNumber; s <= m.lastSequenceNumber; s++) {
      const f = this.fragmentAt(s);
      if (f && !f.acked) this.bufferedBytes -= f.data.length;
    }
    this.messagesAbandoned++;
    if (m.number > 0) this.listener.abandoned?.(m);
    this.maybeWritable();
  }

  private maybeWritable(): void {
    if (this.wantWritable && this.writable) {
      this.wantWritable = false;
      this.listener.writable?.();
    }
  }

  /**
   * Forward sequence number (C.1): the number just below the oldest fragment still pending that
   * is not abandoned; with none, the last number written.
   */
  forwardSequenceNumber(): number {
    let i = Math.max(this.doneScan, this.head);
    const n = this.fragments.length;
    const everything = this.exceptionCode !== undefined;
    while (i < n) {
      const f = this.fragments[i]!;
      if (!f.acked && !everything && f.message.state !== 'abandoned') break;
      i++;
    }
    this.doneScan = i;
    return i < n ? this.fragments[i]!.sequenceNumber - 1 : this.nextSequenceNumber - 1;
  }

  private windowOpen(): boolean {
    return this.exceptionCode !== undefined || this.outstandingBytes < this.receiveWindow;
  }

  private peekRetransmit(): SendFragment | undefined {
    while (this.rtxHead < this.rtx.length) {
      const f = this.rtx[this.rtxHead]!;
      if (!f.acked && f.queuedForRetransmit) return f;
      f.queuedForRetransmit = false;
      this.rtxHead++;
    }
    if (this.rtxHead > 0) {
      this.rtx.length = 0;
      this.rtxHead = 0;
    }
    return undefined;
  }

  /** Whether a lost fragment waits and the receive window lets it go. */
  hasRetransmission(): boolean {
    return this.state !== 'complete' && this.windowOpen() && this.peekRetransmit() !== undefined;
  }

  /** Whether anything (lost or new) waits and the receive window lets it go. */
  hasDataToSend(): boolean {
    if (this.state === 'complete' || !this.windowOpen()) return false;
    return this.peekRetransmit() !== undefined || this.nextUnsent < this.fragments.length;
  }

  /**
   * Appends this flow's fragments to `builder`: lost ones first, then (unless retransmitOnly)
   * new ones, ascending, as User Data then Next User Data while consecutive (A.8). The first
   * chunk carries OPT until the first ack (C.2). Fragments of abandoned messages go with ABN and
   * no payload (C.1). Stops at the receive window, the scheduler's budget, or a full packet.
   */
  assemble(builder: PacketBuilder, ctx: AssembleContext, retransmitOnly = false): AssembleResult {
    // Reused: valid until the next call (the scheduler reads it at once).
    const result = this.assembleResult;
    result.fragments = 0;
    result.packetFull = false;
    if (this.state === 'complete') return result;
    this.expire(ctx.now);
    const last = ctx.lastUserData;
    let prevSeq = last && last.flowId === this.flowId ? last.sequenceNumber : -2;
    let fsn = -1;
    for (;;) {
      if (!this.windowOpen()) break;
      let f = this.peekRetransmit();
      let fromRtx = true;
      if (!f) {
        if (retransmitOnly || this.nextUnsent >= this.fragments.length) break;
        f = this.fragments[this.nextUnsent]!;
        fromRtx = false;
      }
      if (!ctx.canSendMore()) break;
      const seq = f.sequenceNumber;
      const abandoned = this.exceptionCode !== undefined || f.message.state === 'abandoned';
      const data = abandoned ? EMPTY : f.data;
      const final = seq === this.finalSequenceNumber;
      let chunk: UserDataChunk | NextUserDataChunk;
      let body: number;
      if (seq === prevSeq + 1) {
        const c: NextUserDataChunk = { type: ChunkType.NextUserData, fragmentControl: f.fragmentControl, abandon: abandoned, final, data };
        body = nextUserDataBodyLength(c);
        chunk = c;
      } else {
        if (fsn < 0) fsn = this.forwardSequenceNumber();
        const c: UserDataChunk = {
          type: ChunkType.UserData,
          flowId: this.flowId,
          sequenceNumber: seq,
          fsnOffset: seq - Math.min(fsn, seq),
          fragmentControl: f.fragmentControl,
          abandon: abandoned,
          final,
          data,
        };
        if (this.optionsPending && this.optionsSentInTsn !== ctx.tsn) c.options = this.options;
        body = userDataBodyLength(c);
        chunk = c;
      }
      if (!builder.append(chunk)) {
        if (builder.chunkCount === 0) {
          // Not even alone in an empty packet: the MSS does not suit this packet size. Stalling
          // forever would be worse than failing loudly (see mssForPacketLength).
          throw new SendFlowError(SendFlowErrorCode.Argument, `flow ${this.flowId}: a ${body}-byte chunk cannot fit in a ${builder.maxLength}-byte packet`);
        }
        result.packetFull = true;
        break;
      }
      if (chunk.type === ChunkType.UserData && chunk.options) this.optionsSentInTsn = ctx.tsn;
      const lu = ctx.lastUserData;
      if (lu) {
        lu.flowId = this.flowId;
        lu.sequenceNumber = seq;
      } else ctx.lastUserData = { flowId: this.flowId, sequenceNumber: seq };
      if (fromRtx) {
        this.rtxHead++;
        f.queuedForRetransmit = false;
      } else {
        this.nextUnsent++;
      }
      f.inFlight = true;
      f.sentAbandoned = abandoned;
      f.nackCount = 0;
      f.sendCount++;
      if (f.sendCount > 1) this.retransmissions++;
      f.tsn = ctx.tsn;
      f.sentAt = ctx.now;
      f.transmitSize = CHUNK_HEADER_LENGTH + body;
      this.outstandingBytes += f.transmitSize;
      this.session.outstanding.append(f);
      this.fragmentsSent++;
      ctx.onFragmentSent(f);
      result.fragments++;
      prevSeq = seq;
    }
    return result;
  }

  /** The session declared `f` lost (nack rule or ERTO, C.6): queue it for retransmission. */
  onFragmentLost(f: SendFragment): void {
    if (!f.inFlight) return;
    f.inFlight = false;
    this.outstandingBytes -= f.transmitSize;
    if (f.acked || f.queuedForRetransmit) return;
    f.queuedForRetransmit = true;
    const q = this.rtx;
    if (this.rtxHead >= q.length || q[q.length - 1]!.sequenceNumber < f.sequenceNumber) {
      q.push(f);
      return;
    }
    let lo = this.rtxHead;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (q[mid]!.sequenceNumber < f.sequenceNumber) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, f);
  }

  /**
   * Processes an Ack Ranges or Ack Bitmap chunk for this flow (C.3). Acks for numbers never
   * sent are ignored; the work is bounded by the fragments pending, whatever the ranges claim.
   */
  onAck(chunk: AckRangesChunk | AckBitmapChunk, now: number): FlowAckResult {
    const out: FlowAckResult = { ackedBytes: 0, maxTsnAcked: -1 };
    if (this.state === 'complete') return out;
    this.optionsPending = false;
    this.receiveWindow = chunk.bufferBlocksAvailable * BUFFER_BLOCK_SIZE;
    if (this.receiveWindow === 0) {
      if (this.persistAt === Infinity) {
        this.persistInterval = Math.max(PERSIST_INITIAL_MS, this.session.rtt.erto);
        this.persistAt = now + this.persistInterval;
      }
    } else {
      this.persistAt = Infinity;
      this.probeDue = false;
    }
    let latestSent = -Infinity;
    const ack = (from: number, to: number): void => {
      if (this.head >= this.nextUnsent) return;
      const base = this.fragments[this.head]!.sequenceNumber;
      const lastSent = this.fragments[this.nextUnsent - 1]!.sequenceNumber;
      const lo = Math.max(from, base);
      const hi = Math.min(to, lastSent);
      for (let s = lo; s <= hi; s++) {
        const f = this.fragments[this.head + (s - base)]!;
        if (f.acked) continue;
        f.acked = true;
        if (f.inFlight) {
          f.inFlight = false;
          this.session.outstanding.remove(f);
          this.outstandingBytes -= f.transmitSize;
          out.ackedBytes += f.transmitSize;
          if (f.tsn > out.maxTsnAcked) out.maxTsnAcked = f.tsn;
          if (f.sendCount === 1 && f.sentAt > latestSent) latestSent = f.sentAt;
        }
        const m = f.message;
        m.fragmentsAcked++;
        if (m.state === 'pending') {
          this.bufferedBytes -= f.data.length;
          if (m.fragmentsAcked === m.fragmentCount) {
            m.state = 'delivered';
            this.messagesDelivered++;
            if (m.number > 0) this.listener.delivered?.(m);
          }
        }
      }
    };
    ack(1, chunk.cumulativeAck);
    if (chunk.type === ChunkType.AckRanges) {
      for (const r of chunk.ranges) ack(r.from, r.to);
    } else {
      // Ack Bitmap [RFC]: nobody sends it (A.8), accepted anyway.
      let runFrom = -1;
      let runTo = -1;
      for (const s of ackBitmapReceived(chunk)) {
        if (s === runTo + 1) runTo = s;
        else {
          if (runFrom >= 0) ack(runFrom, runTo);
          runFrom = runTo = s;
        }
      }
      if (runFrom >= 0) ack(runFrom, runTo);
    }
    if (latestSent > -Infinity) out.rttSampleMs = now - latestSent;
    this.trimHead();
    if (this.state === 'closing' && this.head >= this.fragments.length) this.finish();
    else this.maybeWritable();
    return out;
  }

  private trimHead(): void {
    const a = this.fragments;
    while (this.head < a.length && a[this.head]!.acked) this.head++;
    if (this.head > 1024 && this.head * 2 > a.length) {
      const h = this.head;
      this.fragments = a.slice(h);
      this.head = 0;
      this.nextUnsent -= h;
      this.doneScan = Math.max(0, this.doneScan - h);
    }
  }

  private finish(): void {
    this.state = 'complete';
    this.persistAt = Infinity;
    this.probeDue = false;
    this.listener.complete?.();
  }

  /** Abandons every message whose lifetime ran out by `now`. */
  expire(now: number): void {
    for (;;) {
      const m = this.deadlines.peek();
      if (!m || (m.state === 'pending' && m.deadline > now)) break;
      this.deadlines.pop();
      if (m.state === 'pending') this.abandon(m, 'lifetime');
    }
  }

  /** The earliest lifetime or persist deadline, or Infinity. */
  nextTimeout(): number {
    let m = this.deadlines.peek();
    while (m && m.state !== 'pending') {
      this.deadlines.pop();
      m = this.deadlines.peek();
    }
    return Math.min(m ? m.deadline : Infinity, this.persistAt);
  }

  /** Runs lifetimes and the persist timer due by `now`. */
  onTimeout(now: number): void {
    this.expire(now);
    if (now >= this.persistAt && this.state !== 'complete') {
      this.probeDue = true;
      const erto = this.session.rtt.erto;
      this.persistInterval = Math.max(Math.min(this.persistInterval * PERSIST_BACKOFF_FACTOR, PERSIST_MAX_MS), erto);
      this.persistAt = now + this.persistInterval;
    }
  }

  /** The persist timer fired: a Buffer Probe is wanted (once per firing). */
  takeBufferProbe(): BufferProbeChunk | undefined {
    if (!this.probeDue) return undefined;
    this.probeDue = false;
    this.bufferProbesSent++;
    return { type: ChunkType.BufferProbe, flowId: this.flowId };
  }

  /** Whether a Buffer Probe is waiting to be sent. */
  get bufferProbeDue(): boolean {
    return this.probeDue;
  }

  /** The persist timer's current interval (ms), 0 when it never ran. */
  get persistIntervalMs(): number {
    return this.persistInterval;
  }
}
