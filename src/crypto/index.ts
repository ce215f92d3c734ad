// Flash-profile crypto primitives (RFC 7425 section 4; wire-reference A.2, A.3, D).
export * from './errors.js';
export * from './hex.js';
export * from './default-key.js';
export * from './checksum.js';
export * from './envelope.js';
export * from './dh.js';
export * from './kdf.js';
export * from './certificate.js';
export * from './key-components.js';
export * from './peer-id.js';
export * from './handshake-crypto.js';
