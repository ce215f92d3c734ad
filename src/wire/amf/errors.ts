import { RtmfpError } from '../../errors.js';

/** Reasons an AMF0/AMF3 decoder or encoder refuses its input. Stable strings callers can switch on. */
export const AmfErrorCode = {
  /** The input ended inside a value. */
  Truncated: 'ERR_AMF_TRUNCATED',
  /** A decoder or encoder limit (depth, length, count, table size) was hit. */
  Limit: 'ERR_AMF_LIMIT',
  /** An AMF3 object with externalizable traits: its body format is private to its class. */
  Externalizable: 'ERR_AMF_EXTERNALIZABLE',
  /** A reference to an object still being decoded (a cycle), refused unless `allowCycles`. */
  Cycle: 'ERR_AMF_CYCLE',
  /** A type marker this format does not define. */
  UnknownMarker: 'ERR_AMF_UNKNOWN_MARKER',
  /** A reference index that points outside its table. */
  BadReference: 'ERR_AMF_BAD_REFERENCE',
  /** A marker the format reserves but nothing may send (AMF0 movieclip, recordset, unsupported). */
  Unsupported: 'ERR_AMF_UNSUPPORTED',
  /** Structure is wrong: object end marker out of place, trailing bytes, bad key. */
  Malformed: 'ERR_AMF_MALFORMED',
  /** The encoder was given a value AMF cannot carry. */
  Unencodable: 'ERR_AMF_UNENCODABLE',
} as const;
export type AmfErrorCode = (typeof AmfErrorCode)[keyof typeof AmfErrorCode];

/** Every error the AMF codecs throw on purpose. `offset` is the input position (-1 when encoding). */
export class AmfError extends RtmfpError {
  readonly offset: number;
  /** For ERR_AMF_EXTERNALIZABLE: the ActionScript class name that could not be read. */
  readonly className: string | undefined;
  constructor(code: AmfErrorCode, message: string, offset = -1, className?: string) {
    super(code, offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.offset = offset;
    this.className = className;
  }
}
