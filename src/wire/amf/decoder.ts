import { AmfError, AmfErrorCode } from './errors.js';
import { AmfInput } from './input.js';
import type { AmfLimits } from './limits.js';
import type { AmfValue } from './types.js';

/** What the public decoders drive: an AMF0 or AMF3 reader over their AmfInput. */
export interface AmfValueReader {
  /** Empties the reference tables. */
  resetTables(): void;
  readValue(depth: number): AmfValue;
}

/**
 * The calls the AMF0 and AMF3 decoders have in common: one kept AmfInput attached to each buffer,
 * reference tables emptied before and after every call (so a decoder holds nothing between
 * calls and may be reused; it is not re-entrant), and the trailing-bytes rule of `decode`.
 */
export abstract class AmfDecoder {
  readonly limits: AmfLimits;
  protected readonly input: AmfInput;
  protected abstract readonly reader: AmfValueReader;
  /** Fresh reference tables for every top-level value of `decodeAll`. */
  private readonly perValue: boolean;

  protected constructor(limits: AmfLimits, perValue: boolean, allowCycles = false) {
    this.limits = limits;
    this.input = new AmfInput(limits, allowCycles);
    this.perValue = perValue;
  }

  /** Whether references to objects still being decoded (cycles) are accepted. */
  get allowCycles(): boolean {
    return this.input.allowCycles;
  }

  /**
   * Values the last decode call read (counted against maxValues), also when it failed: the
   * work it did, which a caller can charge to a budget (the server's per-session DecodeBudget).
   */
  get lastValueCount(): number {
    return this.input.values;
  }

  /** Exactly one value that fills `bytes`; trailing bytes are an error. */
  decode(bytes: Uint8Array): AmfValue {
    const { value, next } = this.readValue(bytes, 0);
    if (next !== bytes.length) {
      throw new AmfError(AmfErrorCode.Malformed, `${bytes.length - next} trailing bytes after the value`, next);
    }
    return value;
  }

  /** Values back to back from `offset` to `end` (a command's or data message's value list). */
  decodeAll(bytes: Uint8Array, offset = 0, end = bytes.length): AmfValue[] {
    const inp = this.input;
    inp.attach(bytes, offset, end);
    try {
      this.reader.resetTables();
      const out: AmfValue[] = [];
      while (inp.pos < inp.end) {
        if (this.perValue) this.reader.resetTables();
        out.push(this.reader.readValue(0));
      }
      return out;
    } finally {
      this.release();
    }
  }

  /** One value starting at `offset`; returns it and the offset just past it. */
  readValue(bytes: Uint8Array, offset = 0, end = bytes.length): { value: AmfValue; next: number } {
    const inp = this.input;
    inp.attach(bytes, offset, end);
    try {
      this.reader.resetTables();
      const value = this.reader.readValue(0);
      return { value, next: inp.pos };
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.reader.resetTables();
    this.input.detach();
  }
}
