// rtmfp-engine: the public surface, what applications build with. Everything else lives on named
// subpaths, one layer each: `rtmfp-engine/time`, `/transport`, `/wire`, `/amf`, `/flash-messages`,
// `/crypto`, `/engine`, `/flow`, `/session`, `/peer`, `/stream`, `/flash`, `/server`, `/media`.
export const VERSION = '0.1.0';

// Errors: one base class, one documented union of codes (docs/errors.md).
export { RtmfpError, type RtmfpErrorCode } from './errors.js';
export { ERROR_CODES } from './error-codes.js';
export { TransportError } from './transport/transport-error.js';
export { WireError } from './wire/errors.js';
export { AmfError } from './wire/amf/errors.js';
export { FlashError } from './wire/flash/errors.js';
export { CryptoError } from './crypto/errors.js';
export { EngineError } from './engine/pool/errors.js';
export { SendFlowError } from './flow/send-flow.js';
export { FlvError } from './media/errors.js';
export { NetCallError } from './flash/errors.js';

// Time: inject a ManualClock to run anything without sleeping.
export { SystemClock, ManualClock, type Clock, type TimerHandle } from './time/clock.js';
export { runUntil, settle, type RunOptions } from './time/run-until.js';

// Transports: UDP, or the in-memory virtual network (latency, bandwidth, loss, NATs).
export type { DatagramTransport, DatagramBatch, DatagramReceiver, LocalAddress } from './transport/datagram-transport.js';
export { UdpTransport, type UdpTransportOptions } from './transport/udp-transport.js';
export { VirtualNetwork, type VirtualNetworkOptions, type BindOptions, type HostOptions } from './transport/virtual-network.js';
export { NatBehavior, type NatOptions } from './transport/virtual-nat.js';
export type { LinkOptions } from './transport/virtual-link.js';
export { AddressOrigin, formatSocketAddress, socketAddressFromEndpoint, type SocketAddress } from './transport/socket-address.js';

// The engine's backends (cipher, reassembly, fragment window) and which one runs.
export { selectEngine, MEASURED_ENGINE_WINNERS, type EngineChoices, type EngineConfig } from './engine/engine-config.js';

// RTMFP endpoints and sessions (RFC 7016).
export { Endpoint, type EndpointOptions, type EndpointCounters, type EndpointEvents, type ConnectTarget } from './session/endpoint.js';
export { Session, OutgoingFlow, type SessionOptions, type SessionState, type SessionStats, type SessionEvents } from './session/session.js';
export { createFlashIdentity, createServerIdentity, type Identity } from './session/handshake/identity.js';
export type { ReceiveFlowInfo } from './flow/receive-flow.js';
export { Priority } from './flow/priority.js';

// AMF values as ActionScript sees them.
export type { AmfValue, AmfObject } from './wire/amf/types.js';

// The Flash client (RFC 7425 section 5): NetConnection, NetStream, statuses.
export { NetConnection, SERVERLESS_URI, type NetConnectionOptions, type NetConnectionEvents, type Responder, type HostResolver } from './flash/net-connection.js';
export { NetStream, type NetStreamEvents, type PublishType } from './flash/net-stream.js';
export { NetConnectionCode, NetStreamCode, StatusLevel, type NetStatusInfo } from './flash/net-status.js';

// The server.
export { RtmfpServer, type RtmfpServerOptions, type RtmfpServerEvents, type RtmfpServerStats } from './server/rtmfp-server.js';
export { ServerClient, type ServerApplication, type ConnectDecision } from './server/server-client.js';
export { AppInstance } from './server/app-instance.js';
