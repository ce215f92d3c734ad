// The README's snippets marked `// readme-test` run as pasted: each is written as an ES module
// inside the package (so `import ... from 'rtmfp-engine'` resolves to this build by the package's
// own name) and run with node against a server on 127.0.0.1, port 0 passed as RTMFP_PORT. Each
// must exit 0 on its own (it closes what it opens) within the time bound.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RtmfpServer } from '../src/server/rtmfp-server.js';

const test = suite('README');
// Compiled layout: <repo>/dist/test/readme.test.js
const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const RUN_MS = 20_000;

/** The ```ts blocks whose first line is `// readme-test`. */
function readmeSnippets(text: string): string[] {
  const out: string[] = [];
  const re = /```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1]!.startsWith('// readme-test\n')) out.push(m[1]!);
  }
  return out;
}

function run(file: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('the README has a runnable client snippet', () => {
  const snippets = readmeSnippets(readFileSync(README, 'utf8'));
  assert.ok(snippets.length >= 1, 'at least one // readme-test snippet');
  for (const s of snippets) assert.match(s, /from 'rtmfp-engine'/, 'imports from the package name');
});

test('every // readme-test snippet runs as pasted against a server on 127.0.0.1 and exits 0', async () => {
  const server = await RtmfpServer.listen({ host: '127.0.0.1', port: 0 });
  try {
    const snippets = readmeSnippets(readFileSync(README, 'utf8'));
    for (const [i, code] of snippets.entries()) {
      const file = fileURLToPath(new URL(`../readme-snippet-${i}.mjs`, import.meta.url));
      writeFileSync(file, code);
      try {
        const r = await run(file, { RTMFP_PORT: String(server.port) });
        assert.is(r.code, 0, `snippet ${i} exit: ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        if (code.includes('nc.connect(')) assert.match(r.stdout, /NetConnection\.Connect\.Success/);
      } finally {
        rmSync(file, { force: true });
      }
    }
  } finally {
    await server.close();
  }
});

test.run();
