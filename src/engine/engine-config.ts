// The engine configuration an Endpoint runs: which backend serves each hot path. Chosen in one
// place (`selectEngine`), from the measured winners on this machine kind (README "Which backend
// wins"; bench/results/*.json), with every choice overridable and `describe()` saying what runs
// and why. The endpoint's packet path is synchronous (one decrypt call per received turn, one
// encrypt call per flush), so it takes inline ciphers; worker pools serve Diffie-Hellman and
// batch work that can wait for a round trip.
import { NodeBatchedCipher } from './aes/node-batched.js';
import { NodeLongLivedCipher } from './aes/node-long-lived.js';
import { NodePerPacketCipher } from './aes/node-per-packet.js';
import { WasmPacketCipher } from './aes/wasm.js';
import type { KeyTable } from './key-table.js';
import type { PacketCipherSync } from './packet-batch.js';
import { EngineError } from './pool/errors.js';

/** Inline packet-cipher backends (RFC 7425 packet encryption, wire-reference A.3). */
export type InlineCipherChoice = 'node' | 'node-long-lived' | 'node-per-packet' | 'wasm';
/** The flow receiver's reassembly (RFC 7016 3.6.3) and the multicast fragment window. */
export type HotPathChoice = 'reference' | 'wasm';

export interface EngineChoices {
  /** Packet cipher; default: the measured winner ('node', batched node:crypto). */
  cipher?: InlineCipherChoice | 'auto';
  /** Reassembly backend; default: the measured winner ('reference', shared per endpoint). */
  reassembly?: HotPathChoice | 'auto';
  /** Fragment window backend for group multicast; default: the measured winner ('wasm'). */
  window?: HotPathChoice | 'auto';
  /** Use the debug WASM builds (assertions on). */
  wasmDebug?: boolean;
}

export interface EngineConfig {
  readonly cipher: InlineCipherChoice;
  readonly reassembly: HotPathChoice;
  readonly window: HotPathChoice;
  readonly wasmDebug: boolean;
  /** Builds the endpoint's packet cipher over its key table. */
  createCipher(keys: KeyTable): PacketCipherSync;
  /** One line per hot path: what runs and why. */
  describe(): string[];
}

/**
 * The measured winners (2-core AMD EPYC VM with AES-NI, Node 20; README table). A re-run of
 * `npm run bench -- crypto reassembly window` that changes a winner changes it here.
 */
export const MEASURED_ENGINE_WINNERS = {
  cipher: {
    choice: 'node' as InlineCipherChoice,
    why: 'bench/results/crypto.json: batched node:crypto decrypt 0.83 us/packet at batch 64 vs WASM 4.16 us; encrypt 3.55 vs 4.04 us',
  },
  reassembly: {
    choice: 'reference' as HotPathChoice,
    why:
      'bench/results/sessions.json: the reference reassembler is shared by an endpoint\'s sessions and takes memory as it is used ' +
      '(an idle session about 13-16 KiB in all), where a WASM one per session allocates 4.3 MiB up front; per fragment WASM is ' +
      'faster (bench/results/reassembly.json: 170 vs 307 ns, 1 MiB random order), so choose it for few sessions with heavy traffic',
  },
  window: {
    choice: 'wasm' as HotPathChoice,
    why: 'bench/results/window.json: WASM 22 us vs reference 116 us per 100 ms period at 32 neighbors',
  },
} as const;

const CIPHERS: readonly string[] = ['auto', 'node', 'node-long-lived', 'node-per-packet', 'wasm'];
const HOT_PATHS: readonly string[] = ['auto', 'reference', 'wasm'];

/** Resolves the choices (default: every measured winner). Throws EngineError on an unknown name. */
export function selectEngine(choices: EngineChoices = {}): EngineConfig {
  const pick = <T extends string>(name: keyof typeof MEASURED_ENGINE_WINNERS, given: string | undefined, allowed: readonly string[]): { choice: T; why: string } => {
    const v = given ?? 'auto';
    if (!allowed.includes(v)) {
      throw new EngineError('ERR_ENGINE_BACKEND', `unknown ${name} backend ${JSON.stringify(v)}; expected one of ${allowed.join(', ')}`);
    }
    const w = MEASURED_ENGINE_WINNERS[name];
    return v === 'auto' ? { choice: w.choice as T, why: `measured winner: ${w.why}` } : { choice: v as T, why: 'chosen explicitly' };
  };
  const cipher = pick<InlineCipherChoice>('cipher', choices.cipher, CIPHERS);
  const reassembly = pick<HotPathChoice>('reassembly', choices.reassembly, HOT_PATHS);
  const window = pick<HotPathChoice>('window', choices.window, HOT_PATHS);
  const wasmDebug = choices.wasmDebug ?? false;
  return {
    cipher: cipher.choice,
    reassembly: reassembly.choice,
    window: window.choice,
    wasmDebug,
    createCipher(keys: KeyTable): PacketCipherSync {
      switch (cipher.choice) {
        case 'node':
          return new NodeBatchedCipher(keys);
        case 'node-long-lived':
          return new NodeLongLivedCipher(keys);
        case 'node-per-packet':
          return new NodePerPacketCipher(keys);
        case 'wasm':
          return new WasmPacketCipher(keys, { debug: wasmDebug });
      }
    },
    describe: () => [
      `packet cipher '${cipher.choice}' (inline): ${cipher.why}`,
      `reassembly '${reassembly.choice}': ${reassembly.why}`,
      `fragment window '${window.choice}': ${window.why}`,
    ],
  };
}
