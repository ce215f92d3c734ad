// Sessions (RFC 7016 section 3.5): the endpoint, its sessions and the handshake.
export * from './handshake/index.js';
export * from './session.js';
export * from './endpoint.js';
