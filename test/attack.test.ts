// The attack suite in its short form (issue 9): each finding as a bounded attack against a real
// server process on 127.0.0.1, asserting the fixed behaviour. `npm run attack` runs them in full.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ATTACKS } from '../bench/attack/attacks/index.js';
import { runAttack } from '../bench/attack/run-attack.js';

for (const a of ATTACKS) {
  test(`attack ${a.name} (short): ${a.finding}`, async () => {
    const r = await runAttack(a, { short: true });
    console.log(`    ${a.name}: ${JSON.stringify(r.metrics)}`);
    assert.ok(r.passed, r.failures.join('\n'));
  });
}

test.run();
