// A reusable byte-decoder fuzzer: random views (at non-zero offsets of a random pool, so decoders
// that forget DataView's byteOffset fail) and mutations of valid encodings (bit flips,
// truncation, extension, insertion, overwrite with boundary bytes). Seeded, so failures reproduce.
import * as assert from 'uvu/assert';
import { Prng } from '../wire-prng.js';
import { fuzzCount } from './fuzz-scale.js';

/** 100,000 per decoder in full (`npm run soak`), a quarter in `npm test` (fuzz-scale.ts). */
export const INPUTS_PER_DECODER = fuzzCount(100_000);

export interface FuzzOptions {
  /** Seed of the PRNG driving inputs and mutations. */
  seed: number;
  /** Longest random input. Default 300. */
  maxRandomLength?: number;
  /** Bytes sprinkled into the random pool so long VLUs and stop bytes are common. */
  interesting?: number[];
}

export class ByteFuzzer {
  readonly rng: Prng;
  private readonly pool: Uint8Array;
  private readonly scratch = new Uint8Array(1024);
  private readonly maxRandomLength: number;
  private readonly interesting: number[];
  /** One line per decoder fuzzed: how many inputs decoded and how many were refused. */
  readonly stats: string[] = [];

  constructor(options: FuzzOptions) {
    this.rng = new Prng(options.seed);
    this.maxRandomLength = options.maxRandomLength ?? 300;
    this.interesting = options.interesting ?? [0x80, 0xff, 0x00, 0x01, 0x7f];
    this.pool = this.rng.bytes(1 << 20);
    for (let i = 0; i < this.pool.length; i += 7) this.pool[i] = this.rng.pick(this.interesting);
  }

  /** A mutated copy of `src` (a view of a scratch buffer, valid until the next call). */
  mutate(src: Uint8Array): Uint8Array {
    const { rng, scratch } = this;
    let len = Math.min(src.length, 700);
    scratch.set(src.subarray(0, len));
    const rounds = 1 + rng.int(3);
    for (let k = 0; k < rounds; k++) {
      switch (rng.int(5)) {
        case 0: // bit flip
          if (len > 0) scratch[rng.int(len)]! ^= 1 << rng.int(8);
          break;
        case 1: // truncation
          len = rng.int(len + 1);
          break;
        case 2: {
          // extension
          const add = Math.min(1 + rng.int(16), scratch.length - len);
          for (let i = 0; i < add; i++) scratch[len + i] = rng.u32() & 0xff;
          len += add;
          break;
        }
        case 3: {
          // insertion
          if (len >= scratch.length) break;
          const at = rng.int(len + 1);
          scratch.copyWithin(at + 1, at, len);
          scratch[at] = rng.pick([...this.interesting, rng.u32() & 0xff]);
          len++;
          break;
        }
        default: // overwrite with an interesting byte
          if (len > 0) scratch[rng.int(len)] = rng.pick(this.interesting);
      }
    }
    return scratch.subarray(0, len);
  }

  /** Half random views of the pool, half mutations of the corpus (all random when it is empty). */
  input(corpus: readonly Uint8Array[]): Uint8Array {
    const { rng } = this;
    if (corpus.length === 0 || rng.bool()) {
      const len = rng.int(this.maxRandomLength + 1);
      const at = rng.int(this.pool.length - len);
      return this.pool.subarray(at, at + len);
    }
    return this.mutate(rng.pick(corpus));
  }

  /**
   * Feeds `count` inputs to `decode`; every throw must satisfy `isTyped`. Both outcomes must
   * occur, or the corpus is not reaching the decoder's interesting paths.
   */
  run(
    name: string,
    corpus: readonly Uint8Array[],
    decode: (b: Uint8Array) => unknown,
    isTyped: (e: unknown) => boolean,
    count = INPUTS_PER_DECODER,
  ): void {
    let ok = 0;
    let thrown = 0;
    for (let i = 0; i < count; i++) {
      const b = this.input(corpus);
      try {
        decode(b);
        ok++;
      } catch (e) {
        if (!isTyped(e)) assert.unreachable(`${name}: input ${Buffer.from(b).toString('hex')} threw ${String(e)}`);
        thrown++;
      }
    }
    assert.ok(ok > 0, `${name}: nothing decoded`);
    assert.ok(thrown > 0, `${name}: nothing refused`);
    this.stats.push(`${name}: ${ok} decoded, ${thrown} refused`);
  }
}
