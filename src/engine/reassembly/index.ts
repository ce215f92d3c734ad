export * from './types.js';
export { ReferenceReassembler } from './reference.js';
export { WasmReassembler } from './wasm.js';

import { ReferenceReassembler } from './reference.js';
import { WasmReassembler } from './wasm.js';
import type { Reassembler, ReassemblyConfig } from './types.js';

/** Creates a reassembler of the given kind ('wasm' needs build/wasm/reassembly.wasm). */
export function createReassembler(kind: 'reference' | 'wasm', config: Partial<ReassemblyConfig> = {}): Reassembler {
  return kind === 'wasm' ? new WasmReassembler(config) : new ReferenceReassembler(config);
}
