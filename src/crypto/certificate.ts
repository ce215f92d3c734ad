// Certificates of the Flash profile (wire-reference D.1; RFC 7425 section 4.3). A certificate is
// an RFC 7016 option list carried in a field of RHello (responder) or IIKeying (initiator).
// rtmfp-cpp may append a marker and unsigned options; only the part before the marker is
// signed and hashed into the peer ID (D.6).
import { randomBytes } from 'node:crypto';
import { ByteReader } from '../wire/reader.js';
import { ByteWriter, vluLength } from '../wire/writer.js';
import { readOptionList, writeOption, type RtmfpOption } from '../wire/option.js';
import { CryptoError, CryptoErrorCode } from './errors.js';

/** Option types inside a certificate (wire-reference D.1). */
export const CertificateOption = {
  Hostname: 0x00,
  AcceptsAncillaryData: 0x0a,
  ExtraRandomness: 0x0e,
  /** Supported ephemeral DH group (VLU); repeatable, in preference order. */
  EphemeralGroup: 0x15,
  /** Static DH public key: VLU group + key; repeatable. */
  StaticKey: 0x1d,
} as const;

/** Largest certificate accepted. rtmfp-cpp's 3-key static certificate is 908-915 bytes. */
export const MAX_CERTIFICATE_BYTES = 4096;
/** Length of the extra randomness servers put in their certificate. */
export const CERTIFICATE_RANDOMNESS_BYTES = 64;

export interface StaticKey {
  group: number;
  /** Big-endian public key (a view into the decoded input when decoded). */
  publicKey: Uint8Array;
}

export interface Certificate {
  /** Option 0x00, decoded as UTF-8 (invalid sequences replaced). */
  hostname: string | undefined;
  /** Option 0x00's raw bytes, for exact comparison with an EPD's required hostname. */
  hostnameBytes: Uint8Array | undefined;
  /** Option 0x0a present: the endpoint accepts ancillary data in EPDs (servers). */
  acceptsAncillaryData: boolean;
  /** Every 0x0e value, in order (usually one of 64 bytes). */
  extraRandomness: Uint8Array[];
  /** 0x15 groups in the order given (preference order). */
  ephemeralGroups: number[];
  /** 0x1d keys in the order given. Mona only looks at the first (wire-reference D.1 pitfall). */
  staticKeys: StaticKey[];
  /** All signed options in order, unknown types included. */
  options: RtmfpOption[];
  /** The bytes before the marker (the whole input when there is none): what D.6 hashes. */
  signedPart: Uint8Array;
  /** Options after a marker (rtmfp-cpp's unsigned trailer); empty when there is no marker. */
  unsignedOptions: RtmfpOption[];
}

/**
 * Where the signed part of a certificate ends: at the first marker (a zero option length, in
 * any VLU form) or at the end. `unsignedStart` is -1 when there is no marker.
 */
function locateMarker(bytes: Uint8Array): { signedEnd: number; unsignedStart: number } {
  const r = new ByteReader(bytes);
  while (!r.atEnd()) {
    const at = r.pos;
    const len = r.vlu();
    if (len === 0) return { signedEnd: at, unsignedStart: r.pos };
    r.skip(len);
  }
  return { signedEnd: bytes.length, unsignedStart: -1 };
}

/**
 * The signed part of certificate field bytes (everything before a marker): what the peer ID
 * hashes (wire-reference D.6). Throws WireError when option framing is broken before a marker.
 */
export function certificateSignedPart(bytes: Uint8Array): Uint8Array {
  if (bytes.length > MAX_CERTIFICATE_BYTES) {
    throw new CryptoError(CryptoErrorCode.BadLength, `certificate of ${bytes.length} bytes exceeds ${MAX_CERTIFICATE_BYTES}`);
  }
  return bytes.subarray(0, locateMarker(bytes).signedEnd);
}

function bad(message: string): never {
  throw new CryptoError(CryptoErrorCode.BadCertificate, message);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Decodes certificate field bytes. Throws WireError on broken option framing and
 * CryptoError(BadCertificate / BadLength) on options whose values make no sense.
 */
export function decodeCertificate(bytes: Uint8Array): Certificate {
  if (bytes.length > MAX_CERTIFICATE_BYTES) {
    throw new CryptoError(CryptoErrorCode.BadLength, `certificate of ${bytes.length} bytes exceeds ${MAX_CERTIFICATE_BYTES}`);
  }
  const { signedEnd, unsignedStart } = locateMarker(bytes);
  const { options } = readOptionList(new ByteReader(bytes, 0, signedEnd));
  const unsignedOptions = unsignedStart < 0 ? [] : readOptionList(new ByteReader(bytes, unsignedStart)).options;
  const cert: Certificate = {
    hostname: undefined,
    hostnameBytes: undefined,
    acceptsAncillaryData: false,
    extraRandomness: [],
    ephemeralGroups: [],
    staticKeys: [],
    options,
    signedPart: bytes.subarray(0, signedEnd),
    unsignedOptions,
  };
  for (const o of options) {
    switch (o.type) {
      case CertificateOption.Hostname:
        if (cert.hostnameBytes !== undefined) bad('more than one hostname option');
        cert.hostnameBytes = o.value;
        cert.hostname = utf8.decode(o.value);
        break;
      case CertificateOption.AcceptsAncillaryData:
        cert.acceptsAncillaryData = true;
        break;
      case CertificateOption.ExtraRandomness:
        cert.extraRandomness.push(o.value);
        break;
      case CertificateOption.EphemeralGroup: {
        const v = new ByteReader(o.value);
        const group = v.vlu();
        if (!v.atEnd()) bad('ephemeral group option carries bytes after the group number');
        cert.ephemeralGroups.push(group);
        break;
      }
      case CertificateOption.StaticKey: {
        const v = new ByteReader(o.value);
        const group = v.vlu();
        const publicKey = v.rest();
        if (publicKey.length === 0) bad(`static key option for group ${group} has no key`);
        cert.staticKeys.push({ group, publicKey });
        break;
      }
      default:
        break; // unknown options are kept in `options` and otherwise ignored
    }
  }
  return cert;
}

/** True when the certificate offers ephemeral groups (a server-style certificate). */
export function isEphemeralCertificate(cert: Certificate): boolean {
  return cert.ephemeralGroups.length > 0;
}

/** The first static key of `group`, if the certificate has one. */
export function staticKeyFor(cert: Certificate, group: number): StaticKey | undefined {
  return cert.staticKeys.find((k) => k.group === group);
}

export interface CertificateSpec {
  hostname?: string | Uint8Array;
  acceptsAncillaryData?: boolean;
  extraRandomness?: Uint8Array;
  ephemeralGroups?: readonly number[];
  staticKeys?: readonly StaticKey[];
  /** Options written after a marker (unsigned; rtmfp-cpp style). */
  unsignedOptions?: readonly RtmfpOption[];
}

function writeStaticKey(w: ByteWriter, k: StaticKey): void {
  const inner = vluLength(CertificateOption.StaticKey) + vluLength(k.group) + k.publicKey.length;
  w.vlu(inner).vlu(CertificateOption.StaticKey).vlu(k.group).bytes(k.publicKey);
}

/**
 * Encodes a certificate in the order hostname, 0x0a, 0x0e, 0x15..., 0x1d..., [marker, unsigned].
 * (The server builder below uses Mona's order instead.)
 */
export function encodeCertificate(spec: CertificateSpec): Uint8Array {
  const w = new ByteWriter();
  if (spec.hostname !== undefined) {
    const h = typeof spec.hostname === 'string' ? new TextEncoder().encode(spec.hostname) : spec.hostname;
    writeOption(w, CertificateOption.Hostname, h);
  }
  if (spec.acceptsAncillaryData) writeOption(w, CertificateOption.AcceptsAncillaryData);
  if (spec.extraRandomness !== undefined) writeOption(w, CertificateOption.ExtraRandomness, spec.extraRandomness);
  for (const g of spec.ephemeralGroups ?? []) {
    w.vlu(vluLength(CertificateOption.EphemeralGroup) + vluLength(g)).vlu(CertificateOption.EphemeralGroup).vlu(g);
  }
  for (const k of spec.staticKeys ?? []) writeStaticKey(w, k);
  if (spec.unsignedOptions !== undefined && spec.unsignedOptions.length > 0) {
    w.u8(0);
    for (const o of spec.unsignedOptions) writeOption(w, o.type, o.value);
  }
  const out = w.written().slice();
  if (out.length > MAX_CERTIFICATE_BYTES) {
    throw new CryptoError(CryptoErrorCode.BadLength, `certificate of ${out.length} bytes exceeds ${MAX_CERTIFICATE_BYTES}`);
  }
  return out;
}

/**
 * The Flash-style client / peer certificate: one group-2 static key and nothing else,
 * `81 02 1d 02 <128-byte key>` (wire-reference D.1, G.2). Mona reads only the first option as a
 * group-2 key, so this is the form that works with every server.
 */
export function buildFlashClientCertificate(group2PublicKey: Uint8Array): Uint8Array {
  if (group2PublicKey.length === 0 || group2PublicKey.length > 128) {
    throw new CryptoError(CryptoErrorCode.BadKey, `group 2 public key must be 1..128 bytes, got ${group2PublicKey.length}`);
  }
  return encodeCertificate({ staticKeys: [{ group: 2, publicKey: group2PublicKey }] });
}

export interface ServerCertificateOptions {
  /** 64 bytes of extra randomness; random when omitted. */
  randomness?: Uint8Array;
  /** Ephemeral groups in preference order; default [2, 14, 16] (group 2 first, G.2). */
  groups?: readonly number[];
  /** An optional hostname option, written first (rtmfp-cpp echoserver style, `05 00 echo`). */
  hostname?: string;
}

/**
 * The server ephemeral certificate, laid out as Mona's: `01 0a` · `41 0e <64 random>` ·
 * `02 15 <group>`... With the default three groups it is 77 bytes, like Mona's and rtmfp-cpp's.
 */
export function buildServerCertificate(options: ServerCertificateOptions = {}): Uint8Array {
  const randomness = options.randomness ?? new Uint8Array(randomBytes(CERTIFICATE_RANDOMNESS_BYTES));
  const groups = options.groups ?? [2, 14, 16];
  const w = new ByteWriter();
  if (options.hostname !== undefined) writeOption(w, CertificateOption.Hostname, new TextEncoder().encode(options.hostname));
  writeOption(w, CertificateOption.AcceptsAncillaryData);
  writeOption(w, CertificateOption.ExtraRandomness, randomness);
  for (const g of groups) w.vlu(vluLength(CertificateOption.EphemeralGroup) + vluLength(g)).vlu(CertificateOption.EphemeralGroup).vlu(g);
  return w.written().slice();
}
