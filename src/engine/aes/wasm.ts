import type { KeyTable } from '../key-table.js';
import type { PacketBatch, PacketCipherSync } from '../packet-batch.js';
import { MAX_BATCH_PACKET_BYTES } from '../packet-batch.js';
import { instantiateWasm } from '../wasm-loader.js';
import { checkPacketBatch } from './batch-check.js';
import { PacketCipherError } from './errors.js';

/** Exports of build/wasm/aes.wasm (assembly/aes/index.ts). Pointers are byte offsets in its memory. */
interface AesExports extends Record<string, unknown> {
  memory: WebAssembly.Memory;
  keyInBase(): number;
  schedulesBase(): number;
  scheduleEntries(): number;
  scheduleBytes(): number;
  descriptorsBase(): number;
  descriptorEntries(): number;
  descriptorBytes(): number;
  dataBase(): number;
  ensureData(bytes: number): number;
  expandKey(entry: number): void;
  encryptPackets(n: number): void;
  decryptPackets(n: number): void;
  encryptPacketsRows(n: number): void;
  decryptPacketsRows(n: number): void;
}

/**
 * Which AES construction of the module runs: 'tower' (default: tower-field nibble lookups, see
 * assembly/aes/tower.ts) or 'rows' (the earlier 16-row swizzle S-box, kept for side-by-side
 * measurement). Both are constant time and produce the same bytes.
 */
export type WasmAesConstruction = 'tower' | 'rows';

/** Bytes of the DATA area used to copy packets in and out; batches larger than this go in chunks. */
const COPY_AREA_BYTES = 256 * 1024;

/**
 * A PacketBatch whose bytes live inside the WASM module's memory (zero-copy staging): the
 * caller writes packets straight into `data` and the cipher works on them in place. `data` is
 * re-read from the module memory on every access, because growing that memory (another
 * allocateStaged call) replaces its ArrayBuffer; do not keep the view across such a call.
 */
export class WasmStagedBatch implements PacketBatch {
  count = 0;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly keySlots: Uint32Array;
  private view: Uint8Array | undefined;

  constructor(
    private readonly memory: WebAssembly.Memory,
    /** Byte offset of this batch's region in the module memory. */
    readonly base: number,
    readonly byteLength: number,
    capacity: number,
  ) {
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.keySlots = new Uint32Array(capacity);
  }

  get data(): Uint8Array {
    if (this.view === undefined || this.view.buffer !== this.memory.buffer) {
      this.view = new Uint8Array(this.memory.buffer, this.base, this.byteLength);
    }
    return this.view;
  }
}

/**
 * AES-128-CBC packet cipher in WebAssembly (assembly/aes: constant-time vector-permutation AES,
 * tower-field construction by default, see the comment at the top of assembly/aes/index.ts).
 * Expanded key schedules live in WASM memory, cached by (slot, generation); one WASM call
 * processes many packets of many keys.
 *
 * Two ways in: any PacketBatch (packets are copied into WASM memory and back, in chunks of
 * COPY_AREA_BYTES), or a batch from allocateStaged() whose bytes already sit in WASM memory
 * (no copy).
 */
export class WasmPacketCipher implements PacketCipherSync {
  readonly name = 'wasm';
  private readonly x: AesExports;
  private readonly keyIn: number;
  private readonly schedBase: number;
  private readonly schedBytes: number;
  private readonly schedCapacity: number;
  private readonly descBase: number;
  private readonly descCapacity: number;
  private readonly dataBase: number;
  /** Slot -> schedule entry and the generation it was expanded for. */
  private readonly cached = new Map<number, { entry: number; generation: number }>();
  private nextEntry = 0;
  /** End (exclusive, relative to dataBase) of the staged regions handed out so far. */
  private stagedEnd = COPY_AREA_BYTES;
  private readonly encryptPackets: (n: number) => void;
  private readonly decryptPackets: (n: number) => void;

  constructor(private readonly keys: KeyTable, options: { debug?: boolean; construction?: WasmAesConstruction } = {}) {
    const inst = instantiateWasm<AesExports>('aes', { debug: options.debug ?? false });
    this.x = inst.exports as unknown as AesExports;
    const rows = options.construction === 'rows';
    this.encryptPackets = rows ? this.x.encryptPacketsRows : this.x.encryptPackets;
    this.decryptPackets = rows ? this.x.decryptPacketsRows : this.x.decryptPackets;
    this.keyIn = this.x.keyInBase();
    this.schedBase = this.x.schedulesBase();
    this.schedBytes = this.x.scheduleBytes();
    this.schedCapacity = this.x.scheduleEntries();
    this.descBase = this.x.descriptorsBase();
    this.descCapacity = this.x.descriptorEntries();
    this.dataBase = this.x.dataBase();
    if (this.x.ensureData(COPY_AREA_BYTES) < COPY_AREA_BYTES) {
      throw new PacketCipherError('ERR_CIPHER_BACKEND', 'WASM AES: could not reserve its copy area');
    }
  }

  /**
   * A batch whose bytes live in WASM memory: write packets into `batch.data` at `offsets[i]`,
   * set lengths, keySlots and count, then encryptSync/decryptSync it with no copy.
   */
  allocateStaged(capacity: number, maxPacketBytes = MAX_BATCH_PACKET_BYTES): WasmStagedBatch {
    if (!Number.isInteger(capacity) || capacity < 1 || !Number.isInteger(maxPacketBytes) || maxPacketBytes < 16) {
      throw new RangeError(`staged batch ${capacity} x ${maxPacketBytes} out of range`);
    }
    const bytes = Math.ceil((capacity * maxPacketBytes) / 64) * 64;
    const end = this.stagedEnd + bytes;
    if (end > 0x7fff0000 - this.dataBase || this.x.ensureData(end) < end) {
      throw new PacketCipherError('ERR_CIPHER_BACKEND', `WASM AES: cannot grow memory for ${bytes} staged bytes`);
    }
    const batch = new WasmStagedBatch(this.x.memory, this.dataBase + this.stagedEnd, bytes, capacity);
    this.stagedEnd = end;
    return batch;
  }

  encryptSync(batch: PacketBatch): void {
    this.run(batch, true);
  }

  decryptSync(batch: PacketBatch): void {
    this.run(batch, false);
  }

  private run(batch: PacketBatch, encrypt: boolean): void {
    checkPacketBatch(batch, this.keys);
    const { data, count, offsets, lengths, keySlots } = batch;
    const mem = this.x.memory.buffer;
    const staged = data.buffer === mem;
    if (staged && data.byteOffset < this.dataBase + COPY_AREA_BYTES) {
      // A view of module memory that is not a staged region would let the cipher overwrite
      // its own tables and key schedules.
      throw new RangeError('batch data is a view of WASM memory outside the staged regions');
    }
    const dv = new DataView(mem);
    const heap = new Uint8Array(mem);
    let n = 0; // descriptors written in the current chunk
    let used = 0; // copy-area bytes used by the current chunk
    let chunkStart = 0; // first packet index of the current chunk
    const flush = (upTo: number): void => {
      if (n === 0) return;
      try {
        if (encrypt) this.encryptPackets(n);
        else this.decryptPackets(n);
      } catch (e) {
        throw new PacketCipherError('ERR_CIPHER_BACKEND', `WASM AES trapped: ${String(e)}`, { cause: e });
      }
      if (!staged) {
        let pos = this.dataBase;
        for (let i = chunkStart; i < upTo; i++) {
          const len = lengths[i]!;
          if (len === 0) continue;
          data.set(heap.subarray(pos, pos + len), offsets[i]!);
          pos += len;
        }
      }
      n = 0;
      used = 0;
      chunkStart = upTo;
    };
    for (let i = 0; i < count; i++) {
      const len = lengths[i]!;
      if (len === 0) continue;
      if (n === this.descCapacity || (!staged && used + len > COPY_AREA_BYTES)) flush(i);
      let rk = this.schedule(keySlots[i]!);
      if (rk < 0) {
        // Every schedule entry is taken by packets of this chunk: run it, then start over.
        flush(i);
        this.cached.clear();
        this.nextEntry = 0;
        rk = this.schedule(keySlots[i]!);
      }
      let ptr: number;
      if (staged) {
        ptr = data.byteOffset + offsets[i]!;
      } else {
        ptr = this.dataBase + used;
        heap.set(data.subarray(offsets[i]!, offsets[i]! + len), ptr);
        used += len;
      }
      const d = this.descBase + n * 16;
      dv.setUint32(d, ptr, true);
      dv.setUint32(d + 4, len, true);
      dv.setUint32(d + 8, rk, true);
      n++;
    }
    flush(count);
  }

  /** Pointer to the expanded schedule of a slot, expanding it if the generation moved; -1 if full. */
  private schedule(slot: number): number {
    const gen = this.keys.generation(slot);
    let c = this.cached.get(slot);
    if (c !== undefined && c.generation === gen) return this.schedBase + c.entry * this.schedBytes;
    if (c === undefined) {
      if (this.nextEntry === this.schedCapacity) return -1;
      c = { entry: this.nextEntry++, generation: gen };
      this.cached.set(slot, c);
    }
    c.generation = gen;
    new Uint8Array(this.x.memory.buffer, this.keyIn, 16).set(this.keys.key(slot));
    this.x.expandKey(c.entry);
    return this.schedBase + c.entry * this.schedBytes;
  }
}
