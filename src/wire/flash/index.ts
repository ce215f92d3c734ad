// Flash messages over RTMFP flows (RFC 7425 section 5; wire-reference E).
export { FlashError, FlashErrorCode } from './errors.js';
export {
  TC_SIGNATURE_0,
  TC_SIGNATURE_1,
  TcFlag,
  ReceiveIntent,
  USER_METADATA_OPTION,
  isTcMetadata,
  decodeTcMetadata,
  encodeTcMetadata,
  findTcMetadata,
  tcStreamId,
  type TcMetadata,
} from './tc-metadata.js';
export {
  FlashMessageType,
  RTMP_ONLY_MESSAGE_TYPES,
  FLASH_MESSAGE_HEADER_LENGTH,
  FlashMessageDecoder,
  decodeFlashMessage,
  decodeFlashMessageFrame,
  encodeFlashMessageFrame,
  writeFlashMessageHeader,
  encodeFlashMessage,
  encodeCommandMessage,
  encodeDataMessage,
  encodeUserControlMessage,
  type FlashMessage,
  type FlashMessageFrame,
  type FlashEncodeOptions,
} from './message.js';
export {
  UserControlEventType,
  decodeUserControl,
  encodeUserControl,
  type UserControlEvent,
} from './user-control.js';
export {
  COMMANDS_WITH_COMMAND_OBJECT,
  splitCommandValues,
  commandFromValues,
  decodeCommandPayload,
  writeCommandPayload,
  encodeCommandPayload,
  type FlashCommand,
  type FlashCommandInit,
  type CommandEncodeOptions,
} from './command.js';
export {
  dataFromValues,
  decodeDataPayload,
  writeDataPayload,
  encodeDataPayload,
  type FlashData,
  type DataEncodeOptions,
} from './data.js';
export { decodeValueList, writeValueList, type ObjectEncoding } from './payload.js';
export { StatusLevel, makeStatusInfo, readStatusInfo, findStatusInfo, type StatusInfo } from './status.js';
