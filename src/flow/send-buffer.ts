// The records a send flow keeps per message and per fragment, and the session-wide list of
// fragments in flight in transmission order, which the nack rule walks (wire-reference C.1, C.6).
import type { FragmentControl } from '../wire/chunks/user-data.js';

/** What a message came to: acked in full, abandoned (lifetime, exception), or still pending. */
export type SendMessageState = 'pending' | 'delivered' | 'abandoned';

/** The caller's view of a written message. */
export interface SendMessageHandle {
  /** 1, 2, ... in write order on this flow. */
  readonly number: number;
  readonly firstSequenceNumber: number;
  readonly lastSequenceNumber: number;
  readonly length: number;
  readonly state: SendMessageState;
  /** Why it was abandoned, when it was. */
  readonly abandonReason?: 'lifetime' | 'exception';
}

export class SendMessage implements SendMessageHandle {
  readonly number: number;
  readonly firstSequenceNumber: number;
  readonly lastSequenceNumber: number;
  readonly length: number;
  /** When the lifetime runs out (ms), or Infinity. */
  readonly deadline: number;
  state: SendMessageState = 'pending';
  abandonReason?: 'lifetime' | 'exception';
  fragmentsAcked = 0;

  constructor(number: number, firstSequenceNumber: number, lastSequenceNumber: number, length: number, deadline: number) {
    this.number = number;
    this.firstSequenceNumber = firstSequenceNumber;
    this.lastSequenceNumber = lastSequenceNumber;
    this.length = length;
    this.deadline = deadline;
  }

  get fragmentCount(): number {
    return this.lastSequenceNumber - this.firstSequenceNumber + 1;
  }
}

/** Whatever owns a fragment: told when the session declares it lost. */
export interface FragmentOwner {
  onFragmentLost(f: SendFragment): void;
}

export class SendFragment {
  readonly owner: FragmentOwner;
  readonly sequenceNumber: number;
  readonly fragmentControl: FragmentControl;
  readonly data: Uint8Array;
  readonly message: SendMessage;

  acked = false;
  inFlight = false;
  /** Waiting in its flow's retransmission queue. */
  queuedForRetransmit = false;
  /** The latest transmission had ABN and no payload. */
  sentAbandoned = false;
  nackCount = 0;
  /** Times put in a packet. */
  sendCount = 0;
  /** Chunk bytes (header included) of the latest transmission: what it counts in flight. */
  transmitSize = 0;
  /** Session transmission sequence number of the packet that last carried it. */
  tsn = -1;
  /** `now` of the latest transmission. */
  sentAt = -Infinity;

  /** Links of the session's OutstandingList. */
  prev: SendFragment | null = null;
  next: SendFragment | null = null;
  listed = false;

  constructor(owner: FragmentOwner, sequenceNumber: number, fragmentControl: FragmentControl, data: Uint8Array, message: SendMessage) {
    this.owner = owner;
    this.sequenceNumber = sequenceNumber;
    this.fragmentControl = fragmentControl;
    this.data = data;
    this.message = message;
  }
}

/**
 * Every fragment in flight on a session, oldest transmission first, with their bytes: the
 * session's "bytes in flight". Intrusive doubly linked list: O(1) append and remove.
 */
export class OutstandingList {
  head: SendFragment | null = null;
  tail: SendFragment | null = null;
  bytes = 0;
  count = 0;

  append(f: SendFragment): void {
    if (f.listed) this.remove(f);
    f.prev = this.tail;
    f.next = null;
    if (this.tail) this.tail.next = f;
    else this.head = f;
    this.tail = f;
    f.listed = true;
    this.bytes += f.transmitSize;
    this.count++;
  }

  remove(f: SendFragment): void {
    if (!f.listed) return;
    if (f.prev) f.prev.next = f.next;
    else this.head = f.next;
    if (f.next) f.next.prev = f.prev;
    else this.tail = f.prev;
    f.prev = f.next = null;
    f.listed = false;
    this.bytes -= f.transmitSize;
    this.count--;
  }
}
