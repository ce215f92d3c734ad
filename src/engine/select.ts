import { InlinePacketCipher } from './aes/inline.js';
import { NodeBatchedCipher } from './aes/node-batched.js';
import { NodeLongLivedCipher } from './aes/node-long-lived.js';
import { NodePerPacketCipher } from './aes/node-per-packet.js';
import { WasmPacketCipher } from './aes/wasm.js';
import type { KeyTable } from './key-table.js';
import type { PacketCipher } from './packet-batch.js';
import { EngineError } from './pool/errors.js';
import { PoolPacketCipher, type PoolPacketCipherOptions } from './pool/pool-packet-cipher.js';

/**
 * The one place that decides which packet-cipher backend (RFC 7425 packet encryption,
 * wire-reference §A.3) the session layer gets.
 *
 * - 'node': node:crypto, long-lived ciphers, packets of one key batched through one update().
 * - 'node-long-lived': node:crypto, one long-lived cipher per key, one update() per packet.
 * - 'node-per-packet': node:crypto, a new cipher per packet (the naive baseline).
 * - 'wasm': AssemblyScript AES on the calling thread.
 * - 'pool-node' / 'pool-wasm': the same in piscina worker threads (PoolPacketCipher).
 * - 'auto': the measured winner below.
 */
export type PacketCipherChoice = 'auto' | 'node' | 'node-long-lived' | 'node-per-packet' | 'wasm' | 'pool-node' | 'pool-wasm';
export type ConcreteCipherChoice = Exclude<PacketCipherChoice, 'auto'>;

/**
 * What 'auto' picks, from bench/results/crypto.json (per 1200-byte packet, batches of 1-256,
 * 2-core VM, Node 20). The coordinator refreshes this from new bench runs.
 */
export const MEASURED_PACKET_CIPHER_WINNER: { choice: ConcreteCipherChoice; source: string; why: string } = {
  choice: 'node',
  source: 'bench/results/crypto.json',
  why:
    'node:crypto with long-lived ciphers (AES-NI through OpenSSL) is fastest inline: batched decrypt 0.8-0.9 us/packet ' +
    'at batches of 64-256, 5x the constant-time WASM AES (4.7 us); encrypt 2.7 us long-lived vs 3.5 us WASM (1.3x); ' +
    'pool rows add a worker round trip and only approach inline at 256-packet batches',
};

export interface SelectPacketCipherOptions {
  choice?: PacketCipherChoice;
  /** Options for the pool choices (threads, atomics, handoff, ...). */
  pool?: Omit<PoolPacketCipherOptions, 'backend'>;
  /** Use the debug WASM build (assertions on) for 'wasm' and 'pool-wasm'. */
  wasmDebug?: boolean;
}

export interface SelectedPacketCipher {
  cipher: PacketCipher;
  requested: PacketCipherChoice;
  choice: ConcreteCipherChoice;
  reason: string;
  /** One line for logs: which backend runs and why. */
  describe(): string;
}

const CHOICES: readonly PacketCipherChoice[] = ['auto', 'node', 'node-long-lived', 'node-per-packet', 'wasm', 'pool-node', 'pool-wasm'];

/** Builds the packet cipher for `options.choice` (default 'auto'). Close it when done. */
export function selectPacketCipher(keys: KeyTable, options: SelectPacketCipherOptions = {}): SelectedPacketCipher {
  const requested = options.choice ?? 'auto';
  if (!CHOICES.includes(requested)) {
    throw new EngineError('ERR_ENGINE_BACKEND', `unknown packet cipher choice ${String(requested)}; expected one of ${CHOICES.join(', ')}`);
  }
  const choice = requested === 'auto' ? MEASURED_PACKET_CIPHER_WINNER.choice : requested;
  const reason =
    requested === 'auto'
      ? `auto: measured winner (${MEASURED_PACKET_CIPHER_WINNER.source}): ${MEASURED_PACKET_CIPHER_WINNER.why}`
      : `requested explicitly`;
  const wasmDebug = options.wasmDebug ?? false;
  let cipher: PacketCipher;
  switch (choice) {
    case 'node':
      cipher = new InlinePacketCipher(new NodeBatchedCipher(keys));
      break;
    case 'node-long-lived':
      cipher = new InlinePacketCipher(new NodeLongLivedCipher(keys));
      break;
    case 'node-per-packet':
      cipher = new InlinePacketCipher(new NodePerPacketCipher(keys));
      break;
    case 'wasm':
      cipher = new InlinePacketCipher(new WasmPacketCipher(keys, { debug: wasmDebug }));
      break;
    case 'pool-node':
      cipher = new PoolPacketCipher(keys, { ...options.pool, backend: 'node' });
      break;
    case 'pool-wasm':
      cipher = new PoolPacketCipher(keys, { ...options.pool, backend: 'wasm', wasmDebug });
      break;
  }
  return {
    cipher,
    requested,
    choice,
    reason,
    describe: () => `packet cipher ${cipher.name} (${cipher.placement}, choice '${choice}'): ${reason}`,
  };
}
