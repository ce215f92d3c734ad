import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { machineInfo, type MachineInfo } from './machine.js';
import type { BenchSuite } from './suite.js';

/** One task's result, per unit (packet, fragment, message), not per iteration. */
export interface BenchRow {
  name: string;
  /** Units per second: 1e9 / meanNs. */
  hz: number;
  meanNs: number;
  p99Ns: number;
  /** Timed iterations (tinybench latency samples). */
  samples: number;
}

/** The shape of bench/results/<suite>.json. */
export interface SuiteResult {
  suite: string;
  date: string;
  machine: MachineInfo;
  rows: BenchRow[];
}

export interface RunnerOptions {
  /** Time budget per task in ms (tinybench `time`). */
  timeMs: number;
  warmupMs: number;
  /** Minimum timed iterations per task. */
  iterations: number;
  warmupIterations: number;
  /** Directory for <suite>.json; null writes nothing. */
  outDir: string | null;
  log: (line: string) => void;
}

/**
 * Defaults sized so the crypto suite (~60 tasks) takes about a minute on 2 cores; override with
 * BENCH_TIME_MS, BENCH_WARMUP_MS, BENCH_ITERATIONS, BENCH_WARMUP_ITERATIONS.
 */
export function runnerOptionsFromEnv(env: NodeJS.ProcessEnv, outDir: string | null): RunnerOptions {
  const num = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
    return v;
  };
  return {
    timeMs: num('BENCH_TIME_MS', 500),
    warmupMs: num('BENCH_WARMUP_MS', 100),
    iterations: num('BENCH_ITERATIONS', 16),
    warmupIterations: num('BENCH_WARMUP_ITERATIONS', 8),
    outDir,
    log: (line) => console.log(line),
  };
}

/** Runs one suite: register, run, divide by units, print, write JSON, tear down. */
export async function runSuite(suite: BenchSuite, options: RunnerOptions): Promise<{ result: SuiteResult; errors: string[] }> {
  const bench = new Bench({
    name: suite.name,
    time: options.timeMs,
    warmupTime: options.warmupMs,
    iterations: options.iterations,
    warmupIterations: options.warmupIterations,
  });
  const handle = await suite.register(bench);
  const errors: string[] = [];
  const rows: BenchRow[] = [];
  try {
    await bench.run();
    for (const task of bench.tasks) {
      const r = task.result;
      if (r.state !== 'completed' && r.state !== 'aborted-with-statistics') {
        errors.push(`${task.name}: ${r.state === 'errored' ? r.error.message : r.state}`);
        continue;
      }
      const units = handle.unitsPerIteration?.[task.name] ?? 1;
      if (!(units > 0)) throw new Error(`${suite.name}: unitsPerIteration[${task.name}] must be positive`);
      const meanNs = (r.latency.mean * 1e6) / units;
      rows.push({
        name: task.name,
        hz: meanNs > 0 ? 1e9 / meanNs : 0,
        meanNs,
        p99Ns: (r.latency.p99 * 1e6) / units,
        samples: r.latency.samplesCount,
      });
    }
  } finally {
    await handle.teardown?.();
  }
  const result: SuiteResult = { suite: suite.name, date: new Date().toISOString(), machine: machineInfo(), rows };
  options.log(formatTable(result));
  for (const e of errors) options.log(`  ERROR ${e}`);
  if (options.outDir !== null) {
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, `${suite.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  }
  return { result, errors };
}

function fmt(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}

/** A plain-text table: name, ops/s, mean ns, p99 ns (all per unit), samples, time vs the fastest row. */
export function formatTable(result: SuiteResult): string {
  const fastest = Math.min(...result.rows.map((r) => r.meanNs).filter((v) => v > 0), Infinity);
  const head = ['name', 'ops/s per unit', 'mean ns/unit', 'p99 ns/unit', 'samples', 'vs fastest'];
  const body = result.rows.map((r) => [
    r.name,
    fmt(r.hz),
    fmt(r.meanNs),
    fmt(r.p99Ns),
    String(r.samples),
    Number.isFinite(fastest) && fastest > 0 ? `${(r.meanNs / fastest).toFixed(2)}x` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const m = result.machine;
  return [
    `# ${result.suite} (${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.platform})`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ].join('\n');
}
