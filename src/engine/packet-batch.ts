/**
 * A batch of packets to encrypt or decrypt in place with AES-128-CBC and a zero IV
 * (RFC 7425 packet encryption). Packet i occupies data[offsets[i] .. offsets[i] + lengths[i]),
 * lengths are multiples of 16, and keySlots[i] names its key in a KeyTable.
 *
 * `data` may be backed by a SharedArrayBuffer, which lets a worker pool process it without a
 * copy. Regions must not overlap.
 */
export interface PacketBatch {
  data: Uint8Array;
  count: number;
  offsets: Uint32Array;
  lengths: Uint32Array;
  keySlots: Uint32Array;
}

/** Largest packet region a batch may carry: RFC 7016 startup packets stay under 4256 bytes. */
export const MAX_BATCH_PACKET_BYTES = 8192;

/** Checks the invariants every backend relies on; throws RangeError on the first violation. */
export function validatePacketBatch(batch: PacketBatch, keyCapacity: number): void {
  const { data, count, offsets, lengths, keySlots } = batch;
  if (!Number.isInteger(count) || count < 0 || count > offsets.length || count > lengths.length || count > keySlots.length) {
    throw new RangeError(`batch count ${count} does not fit its descriptor arrays`);
  }
  for (let i = 0; i < count; i++) {
    const off = offsets[i]!;
    const len = lengths[i]!;
    if ((len & 15) !== 0 || len > MAX_BATCH_PACKET_BYTES) throw new RangeError(`packet ${i}: length ${len} is not a multiple of 16 up to ${MAX_BATCH_PACKET_BYTES}`);
    if (off + len > data.length) throw new RangeError(`packet ${i}: ${off}+${len} past end of ${data.length}`);
    if (keySlots[i]! >= keyCapacity) throw new RangeError(`packet ${i}: key slot ${keySlots[i]} out of range`);
  }
}

/** Allocates a batch able to hold `capacity` packets of up to `maxPacketBytes` each. */
export function allocatePacketBatch(capacity: number, maxPacketBytes: number, shared = false): PacketBatch {
  const bytes = capacity * maxPacketBytes;
  const buf = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return {
    data: new Uint8Array(buf),
    count: 0,
    offsets: new Uint32Array(capacity),
    lengths: new Uint32Array(capacity),
    keySlots: new Uint32Array(capacity),
  };
}

/** Which way a batch goes. */
export type CipherDirection = 'encrypt' | 'decrypt';

/**
 * A backend that runs on the calling thread. Used directly by the session layer when it is the
 * fastest choice, and inside pool workers.
 */
export interface PacketCipherSync {
  readonly name: string;
  encryptSync(batch: PacketBatch): void;
  decryptSync(batch: PacketBatch): void;
}

/**
 * The one interface callers use: inline backends resolve at once, pool backends when the worker
 * is done. Callers must not touch the batch's bytes until the promise settles.
 */
export interface PacketCipher {
  readonly name: string;
  /** 'inline' runs on the calling thread; 'pool' in worker threads. */
  readonly placement: 'inline' | 'pool';
  encrypt(batch: PacketBatch): Promise<void>;
  decrypt(batch: PacketBatch): Promise<void>;
  close(): Promise<void>;
}
