// rtmfp-engine: the public surface. Sub-entry points (`rtmfp-engine/wire`, `/amf`, `/flash-messages`,
// `/crypto`, `/engine`, `/session`, `/flow`, `/flash`, `/server`, `/media`) expose the same modules one layer at a time.
export const VERSION = '0.1.0';
export { RtmfpError } from './errors.js';
export * from './time/index.js';
export * from './transport/index.js';
export * from './wire/index.js';
export * from './wire/amf/index.js';
export * from './wire/flash/index.js';
export * from './crypto/index.js';
export * from './engine/index.js';
export * from './flow/index.js';
export * from './session/index.js';
export * from './stream/index.js';
export * from './flash/index.js';
export * from './server/index.js';
export * from './media/index.js';
