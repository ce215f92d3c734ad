// Flash client objects over RTMFP sessions (RFC 7425 section 5).
export { NetConnection, SERVERLESS_URI, type NetConnectionOptions, type NetConnectionEvents, type NetConnectionState, type NetConnectionCounters, type Responder } from './net-connection.js';
export {
  NetStream,
  DEFAULT_MEDIA_LIFETIME_MS,
  type NetStreamHost,
  type NetStreamEvents,
  type NetStreamState,
  type NetStreamCounters,
  type PublishType,
} from './net-stream.js';
export { NetConnectionCode, NetStreamCode, localStatus, netStatusFromInfo, type NetStatusInfo } from './net-status.js';
export { NetCallError, NetCallErrorCode } from './errors.js';
export { parseRtmfpUri, RTMFP_DEFAULT_PORT, type RtmfpUri } from './rtmfp-uri.js';
export { type NetStreamTransport } from './net-stream.js';
export {
  DirectStreams,
  PLAY_STREAM_ID_BASE,
  DEFAULT_PEER_CONNECT_TIMEOUT_MS,
  type DirectStreamsOptions,
  type DirectStreamsCounters,
} from './direct/direct-streams.js';
export { DirectPublication, MAX_DIRECT_STREAM_NAME_LENGTH } from './direct/direct-publication.js';
export { PeerSubscriber } from './direct/peer-subscriber.js';
export { peerInfoAddresses } from './direct/local-addresses.js';
