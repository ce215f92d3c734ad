// Flash client objects over RTMFP sessions (RFC 7425 section 5).
export { NetConnection, type NetConnectionOptions, type NetConnectionEvents, type NetConnectionState, type NetConnectionCounters, type Responder } from './net-connection.js';
export { NetConnectionCode, localStatus, netStatusFromInfo, type NetStatusInfo } from './net-status.js';
export { NetCallError, NetCallErrorCode } from './errors.js';
export { parseRtmfpUri, RTMFP_DEFAULT_PORT, type RtmfpUri } from './rtmfp-uri.js';
