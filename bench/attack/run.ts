// `npm run attack` runs every attack of issue 9's findings in full against a real server on
// 127.0.0.1 and writes bench/results/attack.json; `npm run attack -- --short` is the CI form
// (.ci/run runs it after the tests and counts its totals with theirs); names select attacks.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { ATTACKS } from './attacks/index.js';
import { runAttack } from './run-attack.js';

async function main(argv: string[]): Promise<number> {
  const short = argv.includes('--short');
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !ATTACKS.some((a) => a.name === n));
  if (unknown.length > 0) {
    console.error(`unknown attack(s): ${unknown.join(', ')}; available: ${ATTACKS.map((a) => a.name).join(', ')}`);
    return 2;
  }
  const chosen = names.length > 0 ? ATTACKS.filter((a) => names.includes(a.name)) : ATTACKS;
  const results = [];
  for (const a of chosen) {
    console.log(`attack ${a.name}: ${a.finding}`);
    const r = await runAttack(a, { short });
    console.log(`  ${r.passed ? 'held' : 'FAILED'} in ${r.elapsedMs} ms ${JSON.stringify(r.metrics)}`);
    for (const f of r.failures) console.log(`  - ${f}`);
    results.push({ ...r, finding: a.finding });
  }
  if (!short) {
    const out = fileURLToPath(new URL('../../../bench/results/attack.json', import.meta.url));
    const doc = { suite: 'attack', date: new Date().toISOString(), machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version }, results };
    writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
    console.log(`wrote ${out}`);
  }
  const failed = results.filter((r) => !r.passed).length;
  console.log(`${results.length - failed} attacks held, ${failed} failed`);
  // The same totals in uvu's summary form, which .ci/run adds to the test suite's.
  console.log(`  Total:     ${results.length}\n  Passed:    ${results.length - failed}`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
