// Runs compiled uvu test files in parallel worker processes: `node scripts/run-tests.mjs
// [dir] [pattern]` (default dist/test, \.test\.js$). Each worker imports one file at a time and
// runs it with uvu's own runner, so each file prints exactly what `uvu dir file` would (its
// header, its tests, its Total / Passed / Skipped lines: .ci/run sums those). Files go to whichever
// worker is free, the slowest of the previous run first (their times are kept in
// <dir>/.test-times.json, a build artefact), so the wall time is close to the longest file, not
// the sum. A file's output is printed whole when it finishes, never interleaved.
//
// TEST_JOBS sets the number of workers (default: twice the machine's available parallelism:
// many files spend much of their time waiting on sockets, real timers or child processes).
// A compiled file whose TypeScript source is gone (dist/ is not cleaned by tsc) is skipped. TEST_FILE_TIMEOUT_MS bounds one file (default 600,000): a file still running then fails and
// its worker is replaced. Exit code 1 when any test failed or any file crashed or hung.
import { fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--worker') await worker();
else await main();

async function main() {
  const dir = resolve(process.argv[2] ?? 'dist/test');
  const pattern = new RegExp(process.argv[3] ?? '\\.test\\.js$');
  const jobs = Math.max(1, Number(process.env.TEST_JOBS) || 2 * availableParallelism());
  const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS) || 600_000;
  const timesPath = join(dir, '.test-times.json');
  let previous = {};
  try {
    previous = JSON.parse(readFileSync(timesPath, 'utf8'));
  } catch {
    // First run: name order.
  }
  // <root>/dist/<sub> mirrors <root>/<sub> (tsconfig rootDir "."): its sources, when they are there.
  const parts = dir.split(sep);
  const at = parts.lastIndexOf('dist');
  const sources = at >= 0 ? join(parts.slice(0, at).join(sep) || sep, ...parts.slice(at + 1)) : undefined;
  const stale = (f) => sources !== undefined && existsSync(sources) && !existsSync(join(sources, f.replace(/\.js$/, '.ts')));
  const skippedStale = readdirSync(dir).filter((f) => pattern.test(f) && stale(f));
  if (skippedStale.length > 0) console.log(`run-tests: skipped, their sources are gone: ${skippedStale.join(', ')}`);
  const files = readdirSync(dir)
    .filter((f) => pattern.test(f) && !stale(f))
    .sort((a, b) => (previous[b] ?? 0) - (previous[a] ?? 0) || a.localeCompare(b));
  if (files.length === 0) {
    console.error(`run-tests: no file in ${dir} matches ${pattern}`);
    process.exit(1);
  }
  const started = performance.now();
  const times = {};
  const failedFiles = [];
  let total = 0;
  let passed = 0;
  let skipped = 0;
  let next = 0;

  const runWorker = () =>
    new Promise((done) => {
      const child = fork(self, ['--worker'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      let current;
      let output = '';
      let timer;
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const give = () => {
        if (next >= files.length) {
          current = undefined;
          child.send({ exit: true });
          return;
        }
        current = { file: files[next++], t0: performance.now() };
        output = '';
        timer = setTimeout(() => {
          output += `\n  run-tests: ${current.file} still running after ${fileTimeoutMs} ms: stopped\n`;
          child.kill('SIGKILL');
        }, fileTimeoutMs);
        child.send({ file: join(dir, current.file), name: current.file });
      };
      child.on('message', (m) => {
        clearTimeout(timer);
        // The pipes may still hold the end of the file's output: let them drain first.
        setImmediate(() => {
          times[current.file] = Math.round(performance.now() - current.t0);
          process.stdout.write(output);
          total += m.total;
          passed += m.passed;
          skipped += m.skipped;
          if (m.failed) failedFiles.push(current.file);
          give();
        });
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (current) {
          // The file crashed its worker (or hung): report it, and carry on with a new worker.
          process.stdout.write(output + `\n  run-tests: ${current.file}: worker exited (${signal ?? `code ${code}`}) before the file finished\n\n`);
          failedFiles.push(current.file);
          times[current.file] = Math.round(performance.now() - current.t0);
          current = undefined;
          runWorker().then(done);
        } else {
          done();
        }
      });
      give();
    });

  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, runWorker));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  try {
    // Only the files of this pattern that still exist keep a time (a partial run keeps the others').
    const kept = Object.fromEntries(Object.entries(previous).filter(([f]) => existsSync(join(dir, f)) && !stale(f)));
    if (existsSync(dir)) writeFileSync(timesPath, JSON.stringify({ ...kept, ...times }, null, 1) + '\n');
  } catch {
    // Only an ordering hint.
  }
  const failed = total - passed - skipped;
  console.log(`run-tests: ${files.length} files, ${total} tests: ${passed} passed, ${failed} failed, ${skipped} skipped, in ${seconds} s with ${jobs} workers`);
  if (failedFiles.length > 0) console.log(`run-tests: failing files: ${[...new Set(failedFiles)].join(', ')}`);
  process.exitCode = failed > 0 || failedFiles.length > 0 ? 1 : 0;
}

/** One worker: runs the files it is sent, one at a time, with uvu's runner. */
async function worker() {
  // uvu queues suites for its CLI runner only when this is set before it loads.
  globalThis.UVU_DEFER = 1;
  const uvu = await import('uvu');
  process.on('message', async (m) => {
    if (m.exit) {
      process.disconnect();
      return;
    }
    globalThis.UVU_QUEUE = [[m.name]];
    globalThis.UVU_INDEX = 0;
    // Count what uvu prints in its summary (it returns nothing).
    let text = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk, ...rest) => {
      text += String(chunk);
      return write(chunk, ...rest);
    };
    let crashed = false;
    try {
      await import(pathToFileURL(m.file).href);
      await uvu.exec(false);
    } catch (err) {
      crashed = true;
      console.error(`  run-tests: ${m.name} failed to run: ${err?.stack ?? String(err)}`);
    } finally {
      process.stdout.write = write;
    }
    const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
    const count = (label) => Number(plain.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
    const failed = crashed || process.exitCode === 1;
    process.exitCode = 0;
    process.send({ total: count('Total'), passed: count('Passed'), skipped: count('Skipped'), failed });
  });
}
