/**
 * xorshift32 (Marsaglia 2003): a seeded PRNG so every bench run times the same inputs. Returns
 * numbers in [0, 1). Seed 0 is replaced by 1 (xorshift has no state 0).
 */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}
