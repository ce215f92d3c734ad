import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Bench } from 'tinybench';
import { formatTable, runSuite, runnerOptionsFromEnv, type SuiteResult } from '../bench/runner.js';
import type { BenchSuite } from '../bench/suite.js';

// A fake suite whose tasks report a fixed duration (tinybench's overriddenDuration), so the
// per-unit division is exact: 2 ms per iteration over 4 units is 500,000 ns per unit.
function fakeSuite(events: string[]): BenchSuite {
  return {
    name: 'fake',
    description: 'fixed durations',
    async register(bench: Bench) {
      bench.add('two-ms/units-4', () => ({ overriddenDuration: 2 }));
      bench.add('two-ms/units-1', () => ({ overriddenDuration: 2 }));
      bench.add('async-one-ms', async () => {
        await Promise.resolve();
        return { overriddenDuration: 1 };
      });
      bench.add('throws', () => {
        throw new Error('on purpose');
      });
      return {
        unitsPerIteration: { 'two-ms/units-4': 4 },
        async teardown() {
          events.push('teardown');
        },
      };
    },
  };
}

test('runs a suite, divides by units, writes the JSON shape, reports task errors, tears down', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
  try {
    const events: string[] = [];
    const lines: string[] = [];
    const options = { ...runnerOptionsFromEnv({ BENCH_TIME_MS: '20', BENCH_WARMUP_MS: '0', BENCH_ITERATIONS: '5' }, dir), log: (l: string) => lines.push(l) };
    const { result, errors } = await runSuite(fakeSuite(events), options);
    assert.equal(events, ['teardown']);
    assert.is(errors.length, 1);
    assert.match(errors[0]!, /throws: on purpose/);

    const json = JSON.parse(readFileSync(join(dir, 'fake.json'), 'utf8')) as SuiteResult;
    assert.equal(json, JSON.parse(JSON.stringify(result)));
    assert.equal(Object.keys(json).sort(), ['date', 'machine', 'rows', 'suite']);
    assert.is(json.suite, 'fake');
    assert.ok(!Number.isNaN(Date.parse(json.date)));
    assert.type(json.machine.cpu, 'string');
    assert.ok(json.machine.cores >= 1);
    assert.match(json.machine.node, /^v\d+/);
    assert.type(json.machine.platform, 'string');
    assert.equal(json.rows.map((r) => r.name), ['two-ms/units-4', 'two-ms/units-1', 'async-one-ms']);
    for (const r of json.rows) assert.equal(Object.keys(r).sort(), ['hz', 'meanNs', 'name', 'p99Ns', 'samples']);

    const [four, one, asyncRow] = json.rows as [SuiteResult['rows'][0], SuiteResult['rows'][0], SuiteResult['rows'][0]];
    assert.ok(Math.abs(four.meanNs - 500_000) < 1e-3, `meanNs ${four.meanNs}`);
    assert.ok(Math.abs(four.p99Ns - 500_000) < 1e-3, `p99Ns ${four.p99Ns}`);
    assert.ok(Math.abs(four.hz - 2000) < 1e-6, `hz ${four.hz}`);
    assert.ok(Math.abs(one.meanNs - 2_000_000) < 1e-3);
    assert.ok(Math.abs(one.hz - 500) < 1e-6);
    assert.ok(Math.abs(asyncRow.meanNs - 1_000_000) < 1e-3);
    assert.ok(four.samples >= 5, `samples ${four.samples}`);

    const table = lines.join('\n');
    assert.match(table, /two-ms\/units-4\s+2\.00e\+3|two-ms\/units-4\s+2,000/);
    assert.match(table, /two-ms\/units-1 .* 4\.00x/);
    assert.match(table, /ERROR throws: on purpose/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('env overrides are validated', () => {
  const o = runnerOptionsFromEnv({ BENCH_TIME_MS: '1234' }, null);
  assert.is(o.timeMs, 1234);
  assert.is(o.outDir, null);
  assert.throws(() => runnerOptionsFromEnv({ BENCH_TIME_MS: 'soon' }, null), /BENCH_TIME_MS/);
});

test('formatTable marks the fastest row 1.00x', () => {
  const t = formatTable({
    suite: 's',
    date: '2024-01-01T00:00:00.000Z',
    machine: { cpu: 'c', cores: 2, node: 'v20', platform: 'linux', arch: 'x64' },
    rows: [
      { name: 'slow', hz: 1e6, meanNs: 1000, p99Ns: 2000, samples: 10 },
      { name: 'fast', hz: 4e6, meanNs: 250, p99Ns: 300, samples: 10 },
    ],
  });
  assert.match(t, /slow .* 4\.00x/);
  assert.match(t, /fast .* 1\.00x/);
});

test.run();
