import { InlinePacketCipher } from './aes/inline.js';
import { MEASURED_ENGINE_WINNERS, selectEngine } from './engine-config.js';
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
 * What 'auto' picks: the engine's measured winner (MEASURED_ENGINE_WINNERS in engine-config.ts,
 * the one table of winners).
 */
export const MEASURED_PACKET_CIPHER_WINNER: { choice: ConcreteCipherChoice; source: string; why: string } = {
  choice: MEASURED_ENGINE_WINNERS.cipher.choice,
  source: 'bench/results/crypto.json',
  why: `${MEASURED_ENGINE_WINNERS.cipher.why}; pool rows add a worker round trip and only approach inline at 256-packet batches`,
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
    case 'node-long-lived':
    case 'node-per-packet':
    case 'wasm':
      // The inline backends are built in one place, the engine configuration.
      cipher = new InlinePacketCipher(selectEngine({ cipher: choice, wasmDebug }).createCipher(keys));
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
