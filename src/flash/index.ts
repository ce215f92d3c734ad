// Flash client objects over RTMFP sessions (RFC 7425 section 5).
export { NetConnection, type NetConnectionOptions, type NetConnectionEvents, type NetConnectionState, type NetConnectionCounters, type Responder } from './net-connection.js';
export {
  NetStream,
  DEFAULT_MEDIA_LIFETIME_MS,
  type NetStreamHost,
  type NetStreamEvents,
  type NetStreamState,
  type NetStreamCounters,
  type PublishType,
} from './net-stream.js';
export { StreamTransport, type StreamTransportOptions, type StreamTransportCounters, type MediaWriteOptions } from './stream-transport.js';
export { NetConnectionCode, NetStreamCode, localStatus, netStatusFromInfo, type NetStatusInfo } from './net-status.js';
export { NetCallError, NetCallErrorCode } from './errors.js';
export { parseRtmfpUri, RTMFP_DEFAULT_PORT, type RtmfpUri } from './rtmfp-uri.js';
