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

let failed = 0;
for (const name of modules) {
  for (const target of ['release', 'debug']) {
    const suffix = target === 'release' ? '' : '.debug';
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
console.log(`build-wasm: ${modules.length} module(s), ${failed} failure(s)`);
process.exit(failed ? 1 : 0);
