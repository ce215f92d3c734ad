import type { Bench } from 'tinybench';

/**
 * What a benchmark suite module (`bench/suites/<name>.ts`) exports as `default`.
 * The runner (`bench/run.ts`) creates one tinybench Bench per suite, calls `register`, runs it,
 * prints a table and writes `bench/results/<name>.json`.
 */
export interface BenchSuite {
  name: string;
  description: string;
  /** Adds tasks to the bench. Setup that should not be timed happens here. */
  register(bench: Bench): Promise<SuiteHandle>;
}

export interface SuiteHandle {
  /**
   * How many units (packets, fragments, messages) one iteration of a task processes. The
   * runner divides the per-iteration time by this, so results read "per packet". Default 1.
   */
  unitsPerIteration?: Record<string, number>;
  /** Releases pools, sockets, memory. */
  teardown?(): Promise<void>;
}
