// Datagram transports: the seam between the engine and the network (node:dgram UDP, or the
// in-memory virtual network). Every datagram the engine sends or receives passes through one.
export * from './udp-transport.js';
export * from './transport-error.js';
export * from './socket-address.js';
export * from './datagram-transport.js';
export * from './address-cache.js';
export * from './virtual-network.js';
export * from './virtual-link.js';
export * from './virtual-nat.js';
export * from './virtual-host.js';
export * from './virtual-port.js';
export * from './virtual-realm.js';
