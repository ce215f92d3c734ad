// Public surface of the RTMFP wire codecs (RFC 7016 section 2). The amf/ and flash/ subfolders
// have their own index files.
export * from './errors.js';
export * from './reader.js';
export * from './writer.js';
export * from './option.js';
export * from './address.js';
export * from './epd.js';
export * from './chunk-type.js';
export * from './chunks/limits.js';
export * from './chunks/hello.js';
export * from './chunks/keying.js';
export * from './chunks/ping.js';
export * from './chunks/user-data.js';
export * from './chunks/ack.js';
export * from './chunks/flow-control.js';
export * from './chunks/close.js';
export * from './chunks/fragment.js';
export * from './chunks/ecn.js';
export * from './chunk.js';
export * from './packet.js';
export * from './netgroup/fragments-map.js';
