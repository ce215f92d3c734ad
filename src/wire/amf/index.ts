// AMF0 / AMF3 codecs (Adobe AMF0 and AMF3 specifications), used by the Flash message layer
// (RFC 7425 section 5, wire-reference E.2).
export { AmfError, AmfErrorCode } from './errors.js';
export { DEFAULT_AMF_LIMITS, DEFAULT_AMF_ENCODER_LIMITS, type AmfDecodeOptions, type AmfLimits, type AmfEncoderLimits } from './limits.js';
export { Amf0Marker, Amf3Marker, AMF3_INT_MIN, AMF3_INT_MAX } from './markers.js';
export {
  Amf3Value,
  AmfDate,
  AmfDictionary,
  AmfEcmaArray,
  AmfMixedArray,
  AmfTypedObject,
  AmfVector,
  AmfXml,
  AmfXmlDocument,
  isPlainObject,
  type AmfObject,
  type AmfValue,
  type AmfVectorKind,
} from './types.js';
export { Amf0Decoder, type Amf0DecoderOptions } from './amf0-decoder.js';
export { Amf0Encoder, Amf0Writer } from './amf0-encoder.js';
export { Amf3Decoder } from './amf3-decoder.js';
export { Amf3Encoder, Amf3Writer, isAmf3Integer } from './amf3-encoder.js';
