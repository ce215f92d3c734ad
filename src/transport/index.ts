// Datagram transports: the seam between the engine and the network (node:dgram UDP, or the
// in-memory virtual network). Every datagram the engine sends or receives passes through one.
export * from './udp-transport.js';
export * from './transport-error.js';
export * from './socket-address.js';
