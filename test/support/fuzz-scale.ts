// How many inputs a fuzz test tries. `npm test` runs a quarter of each fuzz test's full count
// (the seeded sequences are the same, so it checks their first quarter); `npm run soak` sets
// FUZZ_SCALE=1 and runs them in full. Any FUZZ_SCALE > 0 is taken (FUZZ_SCALE=10 for a long run).
const DEFAULT_SCALE = 0.25;

export function fuzzCount(full: number): number {
  const v = Number(process.env.FUZZ_SCALE);
  const scale = Number.isFinite(v) && v > 0 ? v : DEFAULT_SCALE;
  return Math.max(1, Math.round(full * scale));
}
