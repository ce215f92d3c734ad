/**
 * `npm run bench` runs every suite in bench/suites/; `npm run bench -- crypto wire` runs some.
 * Each writes bench/results/<suite>.json (BENCH_RESULTS_DIR overrides the directory).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isStandaloneSuite } from './relay/standalone-suite.js';
import { runSuite, runnerOptionsFromEnv } from './runner.js';
import type { BenchSuite } from './suite.js';

// This file runs as dist/bench/run.js: suites are compiled next to it, results go to the source tree.
const suitesDir = new URL('./suites/', import.meta.url);
const resultsDir = process.env.BENCH_RESULTS_DIR || fileURLToPath(new URL('../../bench/results/', import.meta.url));

async function main(argv: string[]): Promise<number> {
  const available = readdirSync(suitesDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
  const wanted = argv.length > 0 ? argv : available;
  const unknown = wanted.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
    return 2;
  }
  const options = runnerOptionsFromEnv(process.env, resultsDir);
  let failures = 0;
  for (const name of wanted) {
    const mod = (await import(new URL(`${name}.js`, suitesDir).href)) as { default?: unknown };
    if (isStandaloneSuite(mod.default)) {
      // End-to-end suites (relay) measure on their own and write their own results.
      console.log(`\n${mod.default.name}: ${mod.default.description}`);
      const { errors } = await mod.default.run(options);
      for (const e of errors) console.error(`  ERROR ${e}`);
      failures += errors.length;
      continue;
    }
    const suite = mod.default as BenchSuite | undefined;
    if (!suite || typeof suite.register !== 'function') {
      console.error(`bench/suites/${name}: no default BenchSuite export`);
      failures++;
      continue;
    }
    console.log(`\n${suite.name}: ${suite.description}`);
    const { errors } = await runSuite(suite, options);
    failures += errors.length;
  }
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
