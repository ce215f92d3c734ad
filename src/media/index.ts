// FLV files: recording live streams and publishing files as live streams (issue 4).
export { FlvError, FlvErrorCode } from './errors.js';
export {
  FlvTagType,
  FlvVideoCodec,
  FlvVideoFrameType,
  FlvSoundFormat,
  FLV_HEADER_SIZE,
  FLV_TAG_HEADER_SIZE,
  FLV_PREVIOUS_TAG_SIZE_SIZE,
  FLV_MAX_DATA_SIZE,
  FLV_MAX_TIMESTAMP,
  encodeFlvHeader,
  decodeFlvHeader,
  encodeFlvTag,
  decodeFlvTagHeader,
  videoFrameType,
  videoCodecId,
  isVideoKeyframe,
  isAvcSequenceHeader,
  audioSoundFormat,
  isAacSequenceHeader,
  type FlvTag,
  type FlvHeader,
  type FlvTagHeader,
} from './flv-format.js';
export { FlvWriter, type FlvSink } from './flv-writer.js';
export { FlvReader, DEFAULT_FLV_READER_OPTIONS, type FlvReaderOptions, type FlvTruncation } from './flv-reader.js';
export { decodeFlvScriptData, encodeFlvScriptData, type FlvScriptData } from './flv-script-data.js';
