// Minimal RTMFP server: NetConnection connect / call over RFC 7016 sessions (RFC 7425 section 5).
export { RtmfpServer, type RtmfpServerOptions, type RtmfpServerEvents } from './rtmfp-server.js';
export {
  ServerClient,
  parseHostPort,
  MAX_PEER_INFO_ADDRESSES,
  type ServerApplication,
  type ConnectDecision,
  type ServerClientState,
} from './server-client.js';
