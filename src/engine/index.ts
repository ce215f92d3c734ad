// The engine: key table, packet batches, AES backends, worker pools and backend selection.
export { KeyTable } from './key-table.js';
export {
  allocatePacketBatch,
  validatePacketBatch,
  MAX_BATCH_PACKET_BYTES,
  type CipherDirection,
  type PacketBatch,
  type PacketCipher,
  type PacketCipherSync,
} from './packet-batch.js';
export { instantiateWasm, compileWasm, wasmPath, type WasmModuleName } from './wasm-loader.js';
export * from './aes/index.js';
export * from './pool/index.js';
export {
  selectPacketCipher,
  MEASURED_PACKET_CIPHER_WINNER,
  type PacketCipherChoice,
  type ConcreteCipherChoice,
  type SelectPacketCipherOptions,
  type SelectedPacketCipher,
} from './select.js';

export {
  selectEngine,
  MEASURED_ENGINE_WINNERS,
  type EngineChoices,
  type EngineConfig,
  type InlineCipherChoice,
  type HotPathChoice,
} from './engine-config.js';

// Reassembly (RFC 7016 section 3.6.3 receiver) and multicast fragment window scheduling.
export * from './reassembly/index.js';
export * from './window/index.js';
