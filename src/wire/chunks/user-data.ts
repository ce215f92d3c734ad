// User Data 0x10 and Next User Data 0x11 (RFC 7016 sections 2.3.11-2.3.12; wire-reference A.8,
// C.1, C.2), with the user-data option list (2.3.11.1): per-flow metadata 0x00 and return flow
// association 0x0a; other options are kept for the flow layer to judge.
import { ChunkType } from '../chunk-type.js';
import { WireError, WireErrorCode } from '../errors.js';
import { optionLength, readOptionList, RtmfpOption, writeOption } from '../option.js';
import { ByteReader } from '../reader.js';
import { ByteWriter, vluLength } from '../writer.js';

/** User Data flags byte (A.8). Bits 0x40, 0x08, 0x04 are reserved and ignored on receipt. */
export const UserDataFlag = {
  /** OPT: an option list ending with a marker follows the header. */
  Options: 0x80,
  /** FRA: two bits of fragment control, see FragmentControl. */
  FragmentMask: 0x30,
  /** ABN: abandoned; no payload counts for this sequence number. */
  Abandon: 0x02,
  /** FIN: the last sequence number of the flow. */
  Final: 0x01,
} as const;

/** FRA values, i.e. `(flags >> 4) & 3` (A.8). */
export const FragmentControl = {
  Whole: 0,
  Begin: 1,
  End: 2,
  Middle: 3,
} as const;
export type FragmentControl = (typeof FragmentControl)[keyof typeof FragmentControl];

/** User-data option types (RFC 7016 section 2.3.11.1; wire-reference C.2). */
export const UserDataOptionType = {
  UserMetadata: 0x00,
  ReturnFlowAssociation: 0x0a,
} as const;

/**
 * Options in one user-data list. librtmfp expects one metadata and at most one association
 * option (C.2); 32 leaves room for extensions while bounding per-chunk work.
 */
export const MAX_USER_DATA_OPTIONS = 32;

/** The decoded option list of a (Next) User Data chunk. Byte values are views. */
export interface UserDataOptions {
  /** Option 0x00: the user's per-flow metadata (e.g. `TC\x04\x00` in Flash, E.1). First one only. */
  userMetadata?: Uint8Array;
  /** Option 0x0a: ID of the far end's flow this flow answers. First one only. */
  returnFlowAssociation?: number;
  /** Every other option, plus any repeated 0x00/0x0a, in wire order. */
  otherOptions?: RtmfpOption[];
}

interface UserDataCommon {
  fragmentControl: FragmentControl;
  abandon: boolean;
  final: boolean;
  /** Present exactly when the OPT flag is set (an empty object encodes as just the marker). */
  options?: UserDataOptions;
  /** The fragment payload (a view). */
  data: Uint8Array;
}

/** User Data: `flags, flowID, sequenceNumber, fsnOffset, [options marker], data(rest)`. */
export interface UserDataChunk extends UserDataCommon {
  type: typeof ChunkType.UserData;
  flowId: number;
  sequenceNumber: number;
  /** Forward sequence number = sequenceNumber - fsnOffset (C.1). */
  fsnOffset: number;
}

/**
 * Next User Data: `flags, [options marker], data(rest)`. It continues the most recent (Next)
 * User Data chunk of the same packet: same flow and forward sequence number, sequence number + 1.
 */
export interface NextUserDataChunk extends UserDataCommon {
  type: typeof ChunkType.NextUserData;
}

export function forwardSequenceNumber(c: Pick<UserDataChunk, 'sequenceNumber' | 'fsnOffset'>): number {
  return c.sequenceNumber - c.fsnOffset;
}

function readFlags(r: ByteReader): { flags: number; common: Omit<UserDataCommon, 'data'> } {
  const flags = r.u8();
  return {
    flags,
    common: {
      fragmentControl: ((flags & UserDataFlag.FragmentMask) >> 4) as FragmentControl,
      abandon: (flags & UserDataFlag.Abandon) !== 0,
      final: (flags & UserDataFlag.Final) !== 0,
    },
  };
}

/** Reads a marker-terminated user-data option list (C.2). */
export function readUserDataOptions(r: ByteReader): UserDataOptions {
  const at = r.pos;
  const { options, terminated } = readOptionList(r, MAX_USER_DATA_OPTIONS);
  if (!terminated) throw new WireError(WireErrorCode.Truncated, 'user data option list has no end marker', at);
  const out: UserDataOptions = {};
  for (const o of options) {
    if (o.type === UserDataOptionType.UserMetadata && out.userMetadata === undefined) {
      out.userMetadata = o.value;
    } else if (o.type === UserDataOptionType.ReturnFlowAssociation && out.returnFlowAssociation === undefined) {
      const v = new ByteReader(o.value);
      out.returnFlowAssociation = v.vlu();
      if (!v.atEnd()) throw new WireError(WireErrorCode.Malformed, 'bytes after the return flow association VLU');
    } else {
      (out.otherOptions ??= []).push(o);
    }
  }
  return out;
}

/** Encoded size of an option list including its end marker. */
export function userDataOptionsLength(o: UserDataOptions): number {
  let n = 1;
  if (o.userMetadata !== undefined) n += optionLength(UserDataOptionType.UserMetadata, o.userMetadata.length);
  if (o.returnFlowAssociation !== undefined) {
    n += optionLength(UserDataOptionType.ReturnFlowAssociation, vluLength(o.returnFlowAssociation));
  }
  if (o.otherOptions) for (const x of o.otherOptions) n += optionLength(x.type, x.value.length);
  return n;
}

/** Writes metadata, then association, then the others, then the marker. */
export function writeUserDataOptions(w: ByteWriter, o: UserDataOptions): void {
  if (o.userMetadata !== undefined) writeOption(w, UserDataOptionType.UserMetadata, o.userMetadata);
  if (o.returnFlowAssociation !== undefined) {
    const id = o.returnFlowAssociation;
    w.vlu(vluLength(UserDataOptionType.ReturnFlowAssociation) + vluLength(id)).vlu(UserDataOptionType.ReturnFlowAssociation).vlu(id);
  }
  if (o.otherOptions) for (const x of o.otherOptions) writeOption(w, x.type, x.value);
  w.u8(0);
}

function flagsByte(c: UserDataCommon): number {
  const fra = c.fragmentControl;
  if (!Number.isInteger(fra) || fra < 0 || fra > 3) {
    throw new WireError(WireErrorCode.Unencodable, `fragment control ${fra} is not 0..3`);
  }
  return (
    (c.options !== undefined ? UserDataFlag.Options : 0) |
    (fra << 4) |
    (c.abandon ? UserDataFlag.Abandon : 0) |
    (c.final ? UserDataFlag.Final : 0)
  );
}

export function decodeUserDataBody(body: Uint8Array): UserDataChunk {
  const r = new ByteReader(body);
  const { flags, common } = readFlags(r);
  const flowId = r.vlu();
  const sequenceNumber = r.vlu();
  const at = r.pos;
  const fsnOffset = r.vlu();
  if (fsnOffset > sequenceNumber) {
    throw new WireError(WireErrorCode.Malformed, `FSN offset ${fsnOffset} exceeds sequence number ${sequenceNumber}`, at);
  }
  const chunk: UserDataChunk = { type: ChunkType.UserData, flowId, sequenceNumber, fsnOffset, ...common, data: EMPTY };
  if (flags & UserDataFlag.Options) chunk.options = readUserDataOptions(r);
  chunk.data = r.rest();
  return chunk;
}

/** Bytes a User Data chunk body takes before its data: what a fragmenter subtracts from the room left. */
export function userDataHeaderLength(c: Pick<UserDataChunk, 'flowId' | 'sequenceNumber' | 'fsnOffset' | 'options'>): number {
  return (
    1 +
    vluLength(c.flowId) +
    vluLength(c.sequenceNumber) +
    vluLength(c.fsnOffset) +
    (c.options !== undefined ? userDataOptionsLength(c.options) : 0)
  );
}

export function userDataBodyLength(c: UserDataChunk): number {
  return userDataHeaderLength(c) + c.data.length;
}

export function writeUserDataBody(w: ByteWriter, c: UserDataChunk): void {
  if (c.fsnOffset > c.sequenceNumber) {
    throw new WireError(WireErrorCode.Unencodable, `FSN offset ${c.fsnOffset} exceeds sequence number ${c.sequenceNumber}`);
  }
  w.u8(flagsByte(c)).vlu(c.flowId).vlu(c.sequenceNumber).vlu(c.fsnOffset);
  if (c.options !== undefined) writeUserDataOptions(w, c.options);
  w.bytes(c.data);
}

export function decodeNextUserDataBody(body: Uint8Array): NextUserDataChunk {
  const r = new ByteReader(body);
  const { flags, common } = readFlags(r);
  const chunk: NextUserDataChunk = { type: ChunkType.NextUserData, ...common, data: EMPTY };
  if (flags & UserDataFlag.Options) chunk.options = readUserDataOptions(r);
  chunk.data = r.rest();
  return chunk;
}

export function nextUserDataHeaderLength(c: Pick<NextUserDataChunk, 'options'>): number {
  return 1 + (c.options !== undefined ? userDataOptionsLength(c.options) : 0);
}

export function nextUserDataBodyLength(c: NextUserDataChunk): number {
  return nextUserDataHeaderLength(c) + c.data.length;
}

export function writeNextUserDataBody(w: ByteWriter, c: NextUserDataChunk): void {
  w.u8(flagsByte(c));
  if (c.options !== undefined) writeUserDataOptions(w, c.options);
  w.bytes(c.data);
}

/** A (Next) User Data chunk with its absolute flow, sequence and forward sequence numbers. */
export interface ResolvedUserData {
  flowId: number;
  sequenceNumber: number;
  forwardSequenceNumber: number;
  chunk: UserDataChunk | NextUserDataChunk;
}

/**
 * Tracks the most recent (Next) User Data chunk of one packet so Next User Data chunks can be
 * given absolute numbers (RFC 7016 section 2.3.12). Create one per packet, or call reset().
 */
export class UserDataSequencer {
  private flowId = -1;
  private sequenceNumber = 0;
  private fsn = 0;

  reset(): void {
    this.flowId = -1;
  }

  /**
   * Resolves one chunk. A Next User Data chunk with no User Data before it in the packet is
   * WireError(Malformed): there is no flow to attach it to.
   */
  resolve(chunk: UserDataChunk | NextUserDataChunk): ResolvedUserData {
    if (chunk.type === ChunkType.UserData) {
      this.flowId = chunk.flowId;
      this.sequenceNumber = chunk.sequenceNumber;
      this.fsn = chunk.sequenceNumber - chunk.fsnOffset;
    } else {
      if (this.flowId < 0) throw new WireError(WireErrorCode.Malformed, 'Next User Data without a preceding User Data chunk');
      if (this.sequenceNumber >= Number.MAX_SAFE_INTEGER) {
        throw new WireError(WireErrorCode.Limit, 'Next User Data sequence number exceeds 2^53-1');
      }
      this.sequenceNumber++;
    }
    return { flowId: this.flowId, sequenceNumber: this.sequenceNumber, forwardSequenceNumber: this.fsn, chunk };
  }
}

/**
 * All user data of one packet, in order, with Next User Data resolved. Other chunk types may sit
 * between them (the continuation is of the most recent user data chunk, not the adjacent chunk).
 */
export function resolveUserData(chunks: Iterable<{ type: unknown }>): ResolvedUserData[] {
  const seq = new UserDataSequencer();
  const out: ResolvedUserData[] = [];
  for (const c of chunks) {
    if (c.type === ChunkType.UserData || c.type === ChunkType.NextUserData) {
      out.push(seq.resolve(c as UserDataChunk | NextUserDataChunk));
    }
  }
  return out;
}

const EMPTY = new Uint8Array(0);
