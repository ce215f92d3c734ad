import type { RunnerOptions, SuiteResult } from '../runner.js';

/**
 * A suite that measures on its own instead of through tinybench (bench/run.ts calls `run`
 * instead of `register`): for end-to-end runs whose rows are one measurement window each, with
 * fields of their own next to the standard ones. It prints its table and writes its results
 * (bench/results/<name>.json and any extra files) under `options.outDir` itself.
 */
export interface StandaloneSuite {
  name: string;
  description: string;
  run(options: RunnerOptions): Promise<{ result: SuiteResult; errors: string[] }>;
}

export function isStandaloneSuite(v: unknown): v is StandaloneSuite {
  return typeof v === 'object' && v !== null && typeof (v as { run?: unknown }).run === 'function' && !('register' in v);
}
