// Session key components (SKIC from the initiator in IIKeying, SKRC from the responder in
// RIKeying; wire-reference D.2, RFC 7425 section 4.6) and the HMAC / session-sequence-number
// negotiation they carry (wire-reference D.3, RFC 7425 section 4.6.4).
import { ByteReader } from '../wire/reader.js';
import { ByteWriter, vluLength } from '../wire/writer.js';
import { readOptionList, writeOption, type RtmfpOption } from '../wire/option.js';
import { CryptoError, CryptoErrorCode } from './errors.js';

export const KeyComponentOption = {
  /** Ephemeral DH public key: VLU group + key. */
  EphemeralKey: 0x0d,
  ExtraRandomness: 0x0e,
  /** DH group select: the initiator picks a group of the responder's (static) certificate keys. */
  GroupSelect: 0x1d,
  /** HMAC negotiation: flags byte + VLU HMAC length. */
  HmacNegotiation: 0x1a,
  /** Session sequence number negotiation: flags byte. */
  SseqNegotiation: 0x1e,
} as const;

/** Negotiation flag bits (wire-reference D.3). */
export const NegotiationFlag = {
  /** Will always send. */
  SendAlways: 0x04,
  /** Will send if the far end requests it. */
  SendOnRequest: 0x02,
  /** Requests the far end to send (rtmfp-cpp treats it as "require"). */
  Request: 0x01,
} as const;

/** HMAC length assumed when the 0x1a option carries only a flags byte (wire-reference D.2). */
export const DEFAULT_HMAC_LENGTH = 16;
export const MIN_NEGOTIATED_HMAC_LENGTH = 4;
export const MAX_NEGOTIATED_HMAC_LENGTH = 32;
/** Largest SKIC/SKRC accepted (a group-16 key is 512 bytes; librtmfp's are 73-139 bytes). */
export const MAX_KEY_COMPONENTS_BYTES = 4096;
export const KEY_COMPONENT_RANDOMNESS_BYTES = 64;

export interface HmacOffer {
  flags: number;
  /** The HMAC length this side will send with, 0..32 (4..32 when it is willing to send). */
  length: number;
}

export interface SseqOffer {
  flags: number;
}

export interface DhPublicKey {
  group: number;
  publicKey: Uint8Array;
}

export interface KeyComponents {
  ephemeralKey: DhPublicKey | undefined;
  extraRandomness: Uint8Array | undefined;
  groupSelect: number | undefined;
  hmac: HmacOffer | undefined;
  sseq: SseqOffer | undefined;
  /** Every option in order, unknown types included. */
  options: RtmfpOption[];
}

function bad(message: string): never {
  throw new CryptoError(CryptoErrorCode.BadKeyComponent, message);
}

function once<T>(current: T | undefined, what: string): void {
  if (current !== undefined) bad(`more than one ${what} option`);
}

/**
 * Decodes SKIC or SKRC bytes. Throws WireError on broken option framing and
 * CryptoError(BadKeyComponent / BadLength) on values that make no sense. Bytes after the
 * expected value of a 0x1a / 0x1e option are ignored.
 */
export function decodeKeyComponents(bytes: Uint8Array): KeyComponents {
  if (bytes.length > MAX_KEY_COMPONENTS_BYTES) {
    throw new CryptoError(CryptoErrorCode.BadLength, `key components of ${bytes.length} bytes exceed ${MAX_KEY_COMPONENTS_BYTES}`);
  }
  const { options } = readOptionList(new ByteReader(bytes));
  const kc: KeyComponents = {
    ephemeralKey: undefined,
    extraRandomness: undefined,
    groupSelect: undefined,
    hmac: undefined,
    sseq: undefined,
    options,
  };
  for (const o of options) {
    switch (o.type) {
      case KeyComponentOption.EphemeralKey: {
        once(kc.ephemeralKey, 'ephemeral key');
        const v = new ByteReader(o.value);
        const group = v.vlu();
        const publicKey = v.rest();
        if (publicKey.length === 0) bad(`ephemeral key option for group ${group} has no key`);
        kc.ephemeralKey = { group, publicKey };
        break;
      }
      case KeyComponentOption.ExtraRandomness:
        once(kc.extraRandomness, 'extra randomness');
        kc.extraRandomness = o.value;
        break;
      case KeyComponentOption.GroupSelect: {
        once(kc.groupSelect, 'group select');
        kc.groupSelect = new ByteReader(o.value).vlu();
        break;
      }
      case KeyComponentOption.HmacNegotiation: {
        once(kc.hmac, 'HMAC negotiation');
        const v = new ByteReader(o.value);
        const flags = v.u8();
        const length = v.atEnd() ? DEFAULT_HMAC_LENGTH : v.vlu();
        if (length > MAX_NEGOTIATED_HMAC_LENGTH) bad(`HMAC length ${length} exceeds ${MAX_NEGOTIATED_HMAC_LENGTH}`);
        if ((flags & (NegotiationFlag.SendAlways | NegotiationFlag.SendOnRequest)) !== 0 && length < MIN_NEGOTIATED_HMAC_LENGTH) {
          bad(`HMAC length ${length} is below ${MIN_NEGOTIATED_HMAC_LENGTH} although the sender offers to send`);
        }
        kc.hmac = { flags, length };
        break;
      }
      case KeyComponentOption.SseqNegotiation: {
        once(kc.sseq, 'sequence number negotiation');
        kc.sseq = { flags: new ByteReader(o.value).u8() };
        break;
      }
      default:
        break;
    }
  }
  return kc;
}

export interface KeyComponentsSpec {
  ephemeralKey?: DhPublicKey;
  groupSelect?: number;
  extraRandomness?: Uint8Array;
  hmac?: HmacOffer;
  sseq?: SseqOffer;
}

function writeHmac(w: ByteWriter, h: HmacOffer): void {
  checkOffer(h.flags, 'HMAC');
  if (!Number.isInteger(h.length) || h.length < 0 || h.length > MAX_NEGOTIATED_HMAC_LENGTH) {
    throw new CryptoError(CryptoErrorCode.BadLength, `HMAC length ${h.length} is outside 0..${MAX_NEGOTIATED_HMAC_LENGTH}`);
  }
  w.vlu(vluLength(KeyComponentOption.HmacNegotiation) + 1 + vluLength(h.length))
    .vlu(KeyComponentOption.HmacNegotiation)
    .u8(h.flags)
    .vlu(h.length);
}

function writeSseq(w: ByteWriter, s: SseqOffer): void {
  checkOffer(s.flags, 'sequence number');
  w.vlu(vluLength(KeyComponentOption.SseqNegotiation) + 1).vlu(KeyComponentOption.SseqNegotiation).u8(s.flags);
}

function checkOffer(flags: number, what: string): void {
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xff) {
    throw new CryptoError(CryptoErrorCode.BadKeyComponent, `${what} flags ${flags} are not a byte`);
  }
}

function writeKey(w: ByteWriter, k: DhPublicKey): void {
  w.vlu(vluLength(KeyComponentOption.EphemeralKey) + vluLength(k.group) + k.publicKey.length)
    .vlu(KeyComponentOption.EphemeralKey)
    .vlu(k.group)
    .bytes(k.publicKey);
}

/**
 * Initiator components (SKIC) in the order librtmfp and rtmfp-cpp use: `0d` ephemeral key or
 * `1d` group select, `0e` randomness, `1a` HMAC, `1e` SSEQ (wire-reference D.2).
 */
export function buildInitiatorComponents(spec: KeyComponentsSpec): Uint8Array {
  const w = new ByteWriter();
  if (spec.ephemeralKey !== undefined) writeKey(w, spec.ephemeralKey);
  if (spec.groupSelect !== undefined) {
    w.vlu(vluLength(KeyComponentOption.GroupSelect) + vluLength(spec.groupSelect)).vlu(KeyComponentOption.GroupSelect).vlu(spec.groupSelect);
  }
  if (spec.extraRandomness !== undefined) writeOption(w, KeyComponentOption.ExtraRandomness, spec.extraRandomness);
  if (spec.hmac !== undefined) writeHmac(w, spec.hmac);
  if (spec.sseq !== undefined) writeSseq(w, spec.sseq);
  return finish(w);
}

/**
 * Responder components (SKRC) in the order librtmfp requires: `1a` HMAC, `1e` SSEQ, then the
 * `0d` ephemeral key or the `0e` randomness. With the default offers (flags 0, length 0) the
 * first 7 bytes are exactly `03 1a 00 00 02 1e 00`, which librtmfp checks byte for byte
 * (wire-reference D.2). Mona's SKRC is this with a group-2 key.
 */
export function buildResponderComponents(spec: Omit<KeyComponentsSpec, 'groupSelect'>): Uint8Array {
  const w = new ByteWriter();
  writeHmac(w, spec.hmac ?? { flags: 0, length: 0 });
  writeSseq(w, spec.sseq ?? { flags: 0 });
  if (spec.ephemeralKey !== undefined) writeKey(w, spec.ephemeralKey);
  if (spec.extraRandomness !== undefined) writeOption(w, KeyComponentOption.ExtraRandomness, spec.extraRandomness);
  return finish(w);
}

function finish(w: ByteWriter): Uint8Array {
  const out = w.written().slice();
  if (out.length > MAX_KEY_COMPONENTS_BYTES) {
    throw new CryptoError(CryptoErrorCode.BadLength, `key components of ${out.length} bytes exceed ${MAX_KEY_COMPONENTS_BYTES}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Negotiation (wire-reference D.3)

/** One side's offers; a missing option means flags 0. */
export interface IntegrityOffer {
  hmac?: HmacOffer | undefined;
  sseq?: SseqOffer | undefined;
}

export interface IntegrityAgreement {
  ok: true;
  /** HMAC length this side appends to what it sends (its own advertised length), 0 = checksum. */
  sendHmacLength: number;
  /** HMAC length it expects on what it receives (the far side's advertised length), 0 = checksum. */
  receiveHmacLength: number;
  sendSequenceNumbers: boolean;
  receiveSequenceNumbers: boolean;
}

export interface IntegrityFailure {
  ok: false;
  code: typeof CryptoErrorCode.NegotiationFailed;
  reason: string;
}

const CAN_SEND = NegotiationFlag.SendAlways | NegotiationFlag.SendOnRequest;

function decide(near: number, far: number, what: string): { send: boolean; receive: boolean } | string {
  if ((far & NegotiationFlag.Request) !== 0 && (near & CAN_SEND) === 0) return `far side requires ${what} but near side cannot send it`;
  if ((near & NegotiationFlag.Request) !== 0 && (far & CAN_SEND) === 0) return `near side requires ${what} but far side cannot send it`;
  return {
    send: (near & NegotiationFlag.SendAlways) !== 0 || (far & NegotiationFlag.Request) !== 0,
    receive: (far & NegotiationFlag.SendAlways) !== 0 || (near & NegotiationFlag.Request) !== 0,
  };
}

/**
 * The D.3 rules from one side's point of view: a side sends HMAC (or SSEQ) if its own flags have
 * 0x04 or the far flags have 0x01, and expects it if the far flags have 0x04 or its own have
 * 0x01; a requirement the other side can neither always-send nor send-on-request fails. Each
 * direction's HMAC length is the one its sender advertised.
 */
export function negotiateIntegrity(near: IntegrityOffer, far: IntegrityOffer): IntegrityAgreement | IntegrityFailure {
  const failure = (reason: string): IntegrityFailure => ({ ok: false, code: CryptoErrorCode.NegotiationFailed, reason });
  const h = decide(near.hmac?.flags ?? 0, far.hmac?.flags ?? 0, 'HMAC');
  if (typeof h === 'string') return failure(h);
  const s = decide(near.sseq?.flags ?? 0, far.sseq?.flags ?? 0, 'session sequence numbers');
  if (typeof s === 'string') return failure(s);
  const sendLen = h.send ? near.hmac?.length ?? 0 : 0;
  const recvLen = h.receive ? far.hmac?.length ?? 0 : 0;
  if (h.send && sendLen < MIN_NEGOTIATED_HMAC_LENGTH) return failure(`near HMAC length ${sendLen} is below ${MIN_NEGOTIATED_HMAC_LENGTH}`);
  if (h.receive && recvLen < MIN_NEGOTIATED_HMAC_LENGTH) return failure(`far HMAC length ${recvLen} is below ${MIN_NEGOTIATED_HMAC_LENGTH}`);
  return { ok: true, sendHmacLength: sendLen, receiveHmacLength: recvLen, sendSequenceNumbers: s.send, receiveSequenceNumbers: s.receive };
}

/** negotiateIntegrity, throwing CryptoError(NegotiationFailed) instead of returning a failure. */
export function negotiateIntegrityOrThrow(near: IntegrityOffer, far: IntegrityOffer): IntegrityAgreement {
  const r = negotiateIntegrity(near, far);
  if (!r.ok) throw new CryptoError(CryptoErrorCode.NegotiationFailed, r.reason);
  return r;
}
