import { WireError, WireErrorCode } from './errors.js';
import { ByteReader } from './reader.js';
import { ByteWriter, vluLength } from './writer.js';

/** One RFC 7016 section 2.1.3 option: `VLU length | VLU type | value`. */
export interface RtmfpOption {
  type: number;
  /** A view into the decoded input (not a copy). */
  value: Uint8Array;
}

/** Options in one list before the decoder refuses the input. */
export const MAX_OPTIONS_PER_LIST = 256;

export interface OptionListResult {
  options: RtmfpOption[];
  /** True when the list ended with a zero-length marker rather than at the end of input. */
  terminated: boolean;
}

/**
 * Reads options until a marker (length 0) or the end of the reader (RFC 7016 section 2.1.3).
 * Lists inside a field (certificates, EPDs, key components) run to the field's end; user-data
 * option lists end with a marker.
 */
export function readOptionList(r: ByteReader, maxOptions = MAX_OPTIONS_PER_LIST): OptionListResult {
  const options: RtmfpOption[] = [];
  while (!r.atEnd()) {
    const at = r.pos;
    const len = r.vlu();
    if (len === 0) return { options, terminated: true };
    if (options.length >= maxOptions) {
      throw new WireError(WireErrorCode.Limit, `more than ${maxOptions} options`, at);
    }
    const body = r.sub(len);
    const type = body.vlu();
    options.push({ type, value: body.rest() });
  }
  return { options, terminated: false };
}

/** Decodes a whole byte range as an option list (no marker expected; one is tolerated). */
export function decodeOptionList(bytes: Uint8Array, maxOptions = MAX_OPTIONS_PER_LIST): RtmfpOption[] {
  const r = new ByteReader(bytes);
  const { options, terminated } = readOptionList(r, maxOptions);
  if (terminated && !r.atEnd()) {
    // rtmfp-cpp certificates may carry unsigned options after a marker; callers that care
    // use readOptionList directly. Here trailing bytes after a marker are accepted and ignored.
  }
  return options;
}

/** Encoded size of one option. */
export function optionLength(type: number, valueLength: number): number {
  const inner = vluLength(type) + valueLength;
  return vluLength(inner) + inner;
}

export function writeOption(w: ByteWriter, type: number, value: Uint8Array = EMPTY): ByteWriter {
  w.vlu(vluLength(type) + value.length).vlu(type).bytes(value);
  return w;
}

/** Writes an option whose value is one VLU (e.g. a DH group number). */
export function writeVluOption(w: ByteWriter, type: number, value: number): ByteWriter {
  const inner = vluLength(type) + vluLength(value);
  w.vlu(inner).vlu(type).vlu(value);
  return w;
}

/** Writes the zero-length marker that ends a user-data option list. */
export function writeMarker(w: ByteWriter): ByteWriter {
  return w.u8(0);
}

export function encodeOptionList(options: readonly RtmfpOption[], marker = false): Uint8Array {
  const w = new ByteWriter();
  for (const o of options) writeOption(w, o.type, o.value);
  if (marker) writeMarker(w);
  return w.written().slice();
}

const EMPTY = new Uint8Array(0);
