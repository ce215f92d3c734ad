// FLV file format (Adobe "Video File Format Specification" v10, annex E): the fixed parts
// of the file header and the tag header, and helpers to look into audio/video tag bodies.
// Tag bodies are exactly the payloads of RTMP-style audio (8), video (9) and AMF0 data (18)
// messages (wire-reference E.2, E.7), so media moves between RTMFP flows and files unchanged.
import { FlvError, FlvErrorCode } from './errors.js';

/** FLV tag types; the same numbers as the RTMP-style message types (wire-reference E.2). */
export const FlvTagType = {
  Audio: 8,
  Video: 9,
  /** AMF0 script data, e.g. `onMetaData` (wire-reference E.7). */
  ScriptData: 18,
} as const;
export type FlvTagType = (typeof FlvTagType)[keyof typeof FlvTagType];

/** One FLV tag: a media message with its millisecond timestamp. `data` is the tag body. */
export interface FlvTag {
  type: FlvTagType;
  /** Milliseconds, 0 ..= 0xffffffff (24 bits plus the extended byte). */
  timestamp: number;
  data: Uint8Array;
}

/** What the file header announces. */
export interface FlvHeader {
  audio: boolean;
  video: boolean;
}

/** Bytes of the file header ("FLV", version, flags, DataOffset). */
export const FLV_HEADER_SIZE = 9;
/** Bytes of a tag header (type, DataSize, Timestamp, TimestampExtended, StreamID). */
export const FLV_TAG_HEADER_SIZE = 11;
/** Bytes of each PreviousTagSize field. */
export const FLV_PREVIOUS_TAG_SIZE_SIZE = 4;
/** Largest tag body: DataSize is 24 bits. */
export const FLV_MAX_DATA_SIZE = 0xffffff;
/** Largest timestamp: 24 bits plus the extended (upper) byte. */
export const FLV_MAX_TIMESTAMP = 0xffffffff;

const FLAG_AUDIO = 0x04;
const FLAG_VIDEO = 0x01;

/** File header plus PreviousTagSize0 (always 0): the 13 bytes every FLV file starts with. */
export function encodeFlvHeader(header: FlvHeader): Uint8Array {
  const out = new Uint8Array(FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE_SIZE);
  out[0] = 0x46; // 'F'
  out[1] = 0x4c; // 'L'
  out[2] = 0x56; // 'V'
  out[3] = 1; // version
  out[4] = (header.audio ? FLAG_AUDIO : 0) | (header.video ? FLAG_VIDEO : 0);
  out[8] = FLV_HEADER_SIZE; // DataOffset: the header's own size
  return out;
}

/**
 * Decodes the 9-byte file header. Returns the header and its DataOffset (where the
 * PreviousTagSize0 field starts; 9 in every file seen, larger values skip extra bytes).
 */
export function decodeFlvHeader(bytes: Uint8Array): { header: FlvHeader; dataOffset: number } {
  if (bytes.length < FLV_HEADER_SIZE) {
    throw new FlvError(FlvErrorCode.Header, `FLV header needs ${FLV_HEADER_SIZE} bytes, got ${bytes.length}`, 0);
  }
  if (bytes[0] !== 0x46 || bytes[1] !== 0x4c || bytes[2] !== 0x56) {
    throw new FlvError(FlvErrorCode.Header, 'not an FLV file (signature is not "FLV")', 0);
  }
  if (bytes[3] !== 1) throw new FlvError(FlvErrorCode.Header, `unsupported FLV version ${bytes[3]}`, 3);
  const flags = bytes[4];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(5);
  if (dataOffset < FLV_HEADER_SIZE) {
    throw new FlvError(FlvErrorCode.Header, `FLV DataOffset ${dataOffset} is smaller than the header`, 5);
  }
  return { header: { audio: (flags & FLAG_AUDIO) !== 0, video: (flags & FLAG_VIDEO) !== 0 }, dataOffset };
}

function checkTag(tag: FlvTag): void {
  if (tag.type !== FlvTagType.Audio && tag.type !== FlvTagType.Video && tag.type !== FlvTagType.ScriptData) {
    throw new FlvError(FlvErrorCode.Unencodable, `FLV tag type ${String(tag.type)} is not 8, 9 or 18`);
  }
  if (tag.data.length > FLV_MAX_DATA_SIZE) {
    throw new FlvError(FlvErrorCode.Unencodable, `FLV tag body of ${tag.data.length} bytes exceeds 24 bits`);
  }
  const ts = tag.timestamp;
  if (!Number.isInteger(ts) || ts < 0 || ts > FLV_MAX_TIMESTAMP) {
    throw new FlvError(FlvErrorCode.Unencodable, `FLV timestamp ${ts} is not an integer in 0..2^32-1`);
  }
}

/**
 * One whole tag as written to a file: tag header, body, then its PreviousTagSize
 * (11 + body size). Copies the body once; the caller may reuse `tag.data` afterwards.
 */
export function encodeFlvTag(tag: FlvTag): Uint8Array {
  checkTag(tag);
  const size = tag.data.length;
  const out = new Uint8Array(FLV_TAG_HEADER_SIZE + size + FLV_PREVIOUS_TAG_SIZE_SIZE);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = tag.type; // reserved bits and Filter (encryption) bit are 0
  out[1] = size >>> 16;
  out[2] = (size >>> 8) & 0xff;
  out[3] = size & 0xff;
  // Timestamp: lower 24 bits, then TimestampExtended holds bits 24..31.
  out[4] = (tag.timestamp >>> 16) & 0xff;
  out[5] = (tag.timestamp >>> 8) & 0xff;
  out[6] = tag.timestamp & 0xff;
  out[7] = (tag.timestamp >>> 24) & 0xff;
  // StreamID (3 bytes) is always 0.
  out.set(tag.data, FLV_TAG_HEADER_SIZE);
  view.setUint32(FLV_TAG_HEADER_SIZE + size, FLV_TAG_HEADER_SIZE + size);
  return out;
}

/** Fields of an 11-byte tag header. */
export interface FlvTagHeader {
  /** Raw TagType field (low 5 bits of the first byte). */
  type: number;
  /** Filter bit: the tag body is encrypted / pre-processed. */
  filtered: boolean;
  dataSize: number;
  timestamp: number;
  streamId: number;
}

/** Decodes an 11-byte tag header at `offset` of `bytes` (the caller guarantees 11 bytes). */
export function decodeFlvTagHeader(bytes: Uint8Array, offset = 0): FlvTagHeader {
  const b = bytes;
  const o = offset;
  return {
    type: b[o] & 0x1f,
    filtered: (b[o] & 0x20) !== 0,
    dataSize: (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3],
    timestamp: (((b[o + 7] << 24) | (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6]) >>> 0),
    streamId: (b[o + 8] << 16) | (b[o + 9] << 8) | b[o + 10],
  };
}

/** FLV VideoTagHeader CodecID (low nibble of a video body's first byte). */
export const FlvVideoCodec = {
  SorensonH263: 2,
  ScreenVideo: 3,
  VP6: 4,
  VP6Alpha: 5,
  ScreenVideo2: 6,
  Avc: 7,
} as const;

/** FLV VideoTagHeader FrameType (high nibble of a video body's first byte). */
export const FlvVideoFrameType = {
  Keyframe: 1,
  InterFrame: 2,
  DisposableInterFrame: 3,
  GeneratedKeyframe: 4,
  VideoInfo: 5,
} as const;

/** FLV AudioTagHeader SoundFormat (high nibble of an audio body's first byte). */
export const FlvSoundFormat = {
  LinearPcmPlatformEndian: 0,
  Adpcm: 1,
  Mp3: 2,
  LinearPcmLittleEndian: 3,
  Nellymoser16kMono: 4,
  Nellymoser8kMono: 5,
  Nellymoser: 6,
  G711ALaw: 7,
  G711MuLaw: 8,
  Aac: 10,
  Speex: 11,
  Mp3_8k: 14,
  DeviceSpecific: 15,
} as const;

/** Video frame type of a video tag body, or -1 for an empty body. */
export function videoFrameType(data: Uint8Array): number {
  return data.length > 0 ? data[0] >> 4 : -1;
}

/** Video codec ID of a video tag body, or -1 for an empty body. */
export function videoCodecId(data: Uint8Array): number {
  return data.length > 0 ? data[0] & 0x0f : -1;
}

/** True when a video tag body starts a keyframe (frame type 1): where a player can join. */
export function isVideoKeyframe(data: Uint8Array): boolean {
  return videoFrameType(data) === FlvVideoFrameType.Keyframe;
}

/** True for an AVC sequence header (AVCDecoderConfigurationRecord; AVCPacketType 0). */
export function isAvcSequenceHeader(data: Uint8Array): boolean {
  return data.length > 1 && videoCodecId(data) === FlvVideoCodec.Avc && data[1] === 0;
}

/** Sound format of an audio tag body, or -1 for an empty body. */
export function audioSoundFormat(data: Uint8Array): number {
  return data.length > 0 ? data[0] >> 4 : -1;
}

/** True for an AAC sequence header (AudioSpecificConfig; AACPacketType 0). */
export function isAacSequenceHeader(data: Uint8Array): boolean {
  return data.length > 1 && audioSoundFormat(data) === FlvSoundFormat.Aac && data[1] === 0;
}
