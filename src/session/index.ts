// Sessions (RFC 7016 section 3.5) over UDP: the endpoint, its sessions, the handshake, the clock,
// congestion control and RTT estimation, and the UDP transport.
export * from './clock.js';
export * from './rtt.js';
export * from './congestion.js';
export * from './udp-transport.js';
export * from './io/transport-error.js';
export * from './handshake/index.js';
export * from './session.js';
export * from './endpoint.js';
