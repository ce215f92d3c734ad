// The RFC 7016 / RFC 7425 startup handshake as pure, clock-driven state machines.
export * from './actions.js';
export * from './address-key.js';
export * from './amplification.js';
export * from './bounded-map.js';
export * from './cookie.js';
export * from './counters.js';
export * from './crypto-ops.js';
export * from './forwarders.js';
export * from './glare.js';
export * from './handshake.js';
export * from './identity.js';
export * from './initiator.js';
export * from './introduction.js';
export * from './rate-limit.js';
export * from './responder.js';
export * from './schedule.js';
export * from './selection.js';
