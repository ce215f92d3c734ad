export { PacketCipherError, type PacketCipherErrorCode } from './errors.js';
export { checkPacketBatch } from './batch-check.js';
export { NodePerPacketCipher } from './node-per-packet.js';
export { NodeLongLivedCipher } from './node-long-lived.js';
export { NodeBatchedCipher } from './node-batched.js';
export { InlinePacketCipher } from './inline.js';
export { WasmPacketCipher, WasmStagedBatch } from './wasm.js';
