// Compiles every AssemblyScript module under assembly/<name>/index.ts into
// build/wasm/<name>.wasm (release target) and build/wasm/<name>.debug.wasm (debug target),
// using the targets in asconfig.json. Each hot path is its own module so that its linear
// memory layout is private to it and a worker can load just the module it needs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ascBin = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
const outDir = join(root, 'build', 'wasm');
mkdirSync(outDir, { recursive: true });

const only = process.argv.slice(2);
const modules = readdirSync(join(root, 'assembly'))
  .filter((name) => statSync(join(root, 'assembly', name)).isDirectory())
  .filter((name) => existsSync(join(root, 'assembly', name, 'index.ts')))
  .filter((name) => only.length === 0 || only.includes(name));

// Newest modification time among a module's sources and the shared configuration: a target is
// rebuilt only when something it depends on changed (or FORCE_WASM_BUILD=1).
function newestInput(name) {
  let newest = Math.max(statSync(join(root, 'asconfig.json')).mtimeMs, statSync(join(root, 'package-lock.json')).mtimeMs);
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const p = join(dir, entry);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else newest = Math.max(newest, st.mtimeMs);
    }
  };
  walk(join(root, 'assembly', name));
  return newest;
}

let failed = 0;
let built = 0;
for (const name of modules) {
  const inputsAt = newestInput(name);
  for (const target of ['release', 'debug']) {
    const suffix = target === 'release' ? '' : '.debug';
    const out = join(outDir, `${name}${suffix}.wasm`);
    if (process.env.FORCE_WASM_BUILD !== '1' && existsSync(out) && statSync(out).mtimeMs > inputsAt) continue;
    built++;
    const args = [
      ascBin,
      join('assembly', name, 'index.ts'),
      '--config', 'asconfig.json',
      '--target', target,
      '--outFile', join('build', 'wasm', `${name}${suffix}.wasm`),
    ];
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`build-wasm: ${name} (${target}) failed`);
      failed++;
    }
  }
}
console.log(`build-wasm: ${modules.length} module(s), ${built} target(s) built, ${failed} failure(s)`);
process.exit(failed ? 1 : 0);
