// Endpoint discriminator (RFC 7425 section 4.4; wire-reference A.7): an option list naming the
// endpoint an IHello is looking for.
import { WireError, WireErrorCode } from './errors.js';
import { decodeOptionList, optionLength, RtmfpOption, writeOption } from './option.js';
import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';

/** EPD option types (RFC 7425 section 4.4.2; wire-reference A.7). */
export const EpdOptionType = {
  RequiredHostname: 0x00,
  AncillaryData: 0x0a,
  Fingerprint: 0x0f,
} as const;

/** A fingerprint (peer ID) is a SHA-256 digest (RFC 7425 section 4.4.2.3; wire-reference D.6). */
export const FINGERPRINT_LENGTH = 32;

/**
 * Longest EPD accepted. Observed EPDs are at most 42 bytes (A.7); a URI in ancillary data can be
 * longer, but the whole IHello must fit one startup packet, and 1024 leaves room for any sane URI
 * while bounding what one packet can make us parse.
 */
export const MAX_EPD_LENGTH = 1024;

/** Options in one EPD; real ones carry one or two. */
export const MAX_EPD_OPTIONS = 16;

export interface EndpointDiscriminator {
  /** Option 0x00: UTF-8 hostname the responder certificate must carry. */
  requiredHostname?: string;
  /** Option 0x0a: opaque ancillary data; in Flash the connection URI (or its path). */
  ancillaryData?: Uint8Array;
  /** Option 0x0f: 32-byte peer ID. */
  fingerprint?: Uint8Array;
  /** Every option in wire order (including the three above), as views into the input. */
  options: RtmfpOption[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes an EPD. The first occurrence of each known option wins (Mona reads only the first
 * option at all, A.7); later duplicates stay in `options`.
 */
export function decodeEpd(bytes: Uint8Array, maxLength = MAX_EPD_LENGTH): EndpointDiscriminator {
  if (bytes.length > maxLength) {
    throw new WireError(WireErrorCode.Limit, `EPD of ${bytes.length} bytes exceeds ${maxLength}`);
  }
  const options = decodeOptionList(bytes, MAX_EPD_OPTIONS);
  const epd: EndpointDiscriminator = { options };
  for (const o of options) {
    if (o.type === EpdOptionType.RequiredHostname && epd.requiredHostname === undefined) {
      try {
        epd.requiredHostname = utf8.decode(o.value);
      } catch {
        throw new WireError(WireErrorCode.Malformed, 'EPD hostname is not UTF-8');
      }
    } else if (o.type === EpdOptionType.AncillaryData && epd.ancillaryData === undefined) {
      epd.ancillaryData = o.value;
    } else if (o.type === EpdOptionType.Fingerprint && epd.fingerprint === undefined) {
      if (o.value.length !== FINGERPRINT_LENGTH) {
        throw new WireError(WireErrorCode.Malformed, `EPD fingerprint of ${o.value.length} bytes, want ${FINGERPRINT_LENGTH}`);
      }
      epd.fingerprint = o.value;
    }
  }
  return epd;
}

export interface EpdFields {
  fingerprint?: Uint8Array;
  requiredHostname?: string;
  /** Bytes, or text that is UTF-8 encoded (a URI such as `rtmfp://host/app`). */
  ancillaryData?: Uint8Array | string;
  /** Further options appended after the known ones. */
  extraOptions?: readonly RtmfpOption[];
}

/**
 * Options for an EPD, fingerprint first: Mona looks only at the first option to tell a rendezvous
 * (0x0f) from a connection (0x0a) (A.7), and fcclient also puts the fingerprint first.
 */
export function epdOptions(f: EpdFields): RtmfpOption[] {
  const out: RtmfpOption[] = [];
  if (f.fingerprint !== undefined) {
    if (f.fingerprint.length !== FINGERPRINT_LENGTH) {
      throw new WireError(WireErrorCode.Unencodable, `fingerprint must be ${FINGERPRINT_LENGTH} bytes`);
    }
    out.push({ type: EpdOptionType.Fingerprint, value: f.fingerprint });
  }
  if (f.requiredHostname !== undefined) {
    out.push({ type: EpdOptionType.RequiredHostname, value: utf8Encoder.encode(f.requiredHostname) });
  }
  if (f.ancillaryData !== undefined) {
    const v = typeof f.ancillaryData === 'string' ? utf8Encoder.encode(f.ancillaryData) : f.ancillaryData;
    out.push({ type: EpdOptionType.AncillaryData, value: v });
  }
  if (f.extraOptions) out.push(...f.extraOptions);
  return out;
}

/** Encodes an EPD from its options in the given order (no marker: an EPD runs to its field's end). */
export function encodeEpdOptions(options: readonly RtmfpOption[]): Uint8Array {
  let n = 0;
  for (const o of options) n += optionLength(o.type, o.value.length);
  if (n > MAX_EPD_LENGTH) throw new WireError(WireErrorCode.Unencodable, `EPD of ${n} bytes exceeds ${MAX_EPD_LENGTH}`);
  const w = new ByteWriter(new Uint8Array(n));
  for (const o of options) writeOption(w, o.type, o.value);
  return w.buf;
}

export function encodeEpd(f: EpdFields): Uint8Array {
  return encodeEpdOptions(epdOptions(f));
}

/**
 * The EPD that selects exactly one peer: `21 0f` + its 32-byte fingerprint (34 bytes). This is
 * also the session's canonical EPD and NetGroup's "raw peer ID" (A.7).
 */
export function fingerprintEpd(fingerprint: Uint8Array): Uint8Array {
  return encodeEpd({ fingerprint });
}

/** The ancillary data read as UTF-8 text (a URI or path in Flash), or undefined if absent/not UTF-8. */
export function epdAncillaryText(epd: EndpointDiscriminator): string | undefined {
  if (epd.ancillaryData === undefined) return undefined;
  try {
    return utf8.decode(epd.ancillaryData);
  } catch {
    return undefined;
  }
}

/** Reads a VLU-length-prefixed EPD field from `r` and returns its bytes (a view). */
export function readEpdField(r: ByteReader, maxLength = MAX_EPD_LENGTH): Uint8Array {
  return r.vluField(maxLength);
}
