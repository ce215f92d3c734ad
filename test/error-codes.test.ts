// The error codes are one documented union: every 'ERR_...' code written in src/ is in
// ERROR_CODES (src/error-codes.ts), and docs/errors.md is the table rendered from it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../src/error-codes.js';
import { RtmfpError } from '../src/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const test = suite('error codes');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') ? [p] : [];
  });
}

test('every code used in src/ is in the union', () => {
  const used = new Set<string>();
  for (const f of sources(join(root, 'src'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/'(ERR_[A-Z0-9_]+)'/g)) used.add(m[1]!);
  }
  assert.ok(used.size > 50, `found only ${used.size} codes: is src/ where this test looks?`);
  const missing = [...used].filter((c) => !(c in ERROR_CODES));
  assert.equal(missing, [], `codes not in src/error-codes.ts: ${missing.join(', ')}`);
});

test('docs/errors.md is the rendered table (node scripts/error-docs.mjs)', async () => {
  const { renderErrorDocs } = (await import(join(root, 'scripts/error-docs.mjs'))) as { renderErrorDocs: (s: string) => string };
  const expected = renderErrorDocs(readFileSync(join(root, 'src/error-codes.ts'), 'utf8'));
  assert.is(readFileSync(join(root, 'docs/errors.md'), 'utf8'), expected);
  for (const code of Object.keys(ERROR_CODES)) assert.ok(expected.includes(`\`${code}\``), code);
});

test('an RtmfpError carries its code and class name', () => {
  const e = new RtmfpError('ERR_SESSION_CLOSED', 'x');
  assert.is(e.code, 'ERR_SESSION_CLOSED');
  assert.is(e.name, 'RtmfpError');
  assert.ok(e instanceof Error);
});

test.run();
