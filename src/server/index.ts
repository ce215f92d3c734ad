// The RTMFP server: applications and instances, NetConnection connect / call, NetStream publish /
// play with the live relay (RFC 7425 section 5).
export {
  RtmfpServer,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_ADDRESS,
  type RtmfpServerOptions,
  type RtmfpServerEvents,
  type RtmfpServerStats,
} from './rtmfp-server.js';
export { AccessConfigError, validateAccessRules, MAX_TOKEN_LENGTH, type ServerAccessRules, type ApplicationRules } from './access.js';
export { DEFAULT_REFUSAL_LOG_INTERVAL_MS, type ServerRefusalCounters, type ServerRefusalKind } from './refusal-log.js';
export {
  ServerClient,
  parseHostPort,
  MAX_PEER_INFO_ADDRESSES,
  MAX_STREAMS_PER_CLIENT,
  DEFAULT_CONNECT_TIMEOUT_MS,
  REFUSED_SESSION_WAIT_MS,
  type SessionRefusal,
  type ServerApplication,
  type ServerClientContext,
  type ConnectDecision,
  type ServerClientState,
} from './server-client.js';
export { AppInstance, DEFAULT_INSTANCE_NAME, DEFAULT_IDLE_UNLOAD_MS, type AppInstanceOptions } from './app-instance.js';
export type { InstanceMember, MemberInstance } from './instance-member.js';
export { ServerNetStream, DEFAULT_RELAY_MEDIA_LIFETIME_MS, MAX_STREAM_NAME_LENGTH, type ServerStreamRole } from './server-net-stream.js';
export { SILENT_LOGGER, type ServerLogger } from './server-logger.js';
export {
  FlvRecorder,
  FlvRecorderError,
  FlvRecorderErrorCode,
  recordFilePath,
  DEFAULT_RECORD_QUEUE_BYTES,
  type FlvRecorderOptions,
  type FlvRecorderCounters,
  type FlvAppendInfo,
} from './flv-recorder.js';
export {
  FlvFilePublisher,
  FlvFilePublisherError,
  FlvFilePublisherErrorCode,
  type FlvFilePublisherOptions,
  type FlvFilePublishResult,
} from './flv-file-publisher.js';
export {
  StreamRepublisher,
  RepublisherError,
  RepublisherErrorCode,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_MAX_RECONNECT_DELAY_MS,
  DEFAULT_MAX_RECONNECT_ATTEMPTS,
  type RepublishTarget,
  type StreamRepublisherOptions,
  type StreamRepublisherCounters,
  type StreamRepublisherEvents,
  type StreamRepublisherState,
} from './republisher.js';
