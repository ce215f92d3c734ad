// Writes docs/errors.md from the table in src/error-codes.ts (the one list of error codes).
// Run: node scripts/error-docs.mjs   (test/error-codes.test.ts fails when the doc is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export function renderErrorDocs(source) {
  const lines = [
    '# Error codes',
    '',
    'Every error this library throws on purpose is an `RtmfpError` (or a subclass such as `WireError`,',
    '`AmfError`, `CryptoError`, `SendFlowError`, `NetCallError`, `TransportError`) with a stable `code`',
    'from one union, `RtmfpErrorCode` (`src/error-codes.ts`). Switch on `code`; messages may change.',
    'Bad input from the network never throws to the application: it is dropped and counted (see each',
    "layer's counters) or answered with a status; these codes reach callers of the API.",
    '',
  ];
  let section = '';
  const body = source.slice(source.indexOf('export const ERROR_CODES'));
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    const sec = /^\/\/ (\S+\/.*)$/.exec(line);
    if (sec) {
      section = sec[1];
      lines.push(`## ${section}`, '', '| code | meaning |', '|---|---|');
      continue;
    }
    const m = /^(ERR_[A-Z0-9_]+): (['"])(.*)\2,$/.exec(line);
    if (m) lines.push(`| \`${m[1]}\` | ${m[3].replace(/\\'/g, "'")} |`);
    else if (line.startsWith('} as const')) break;
  }
  return lines.join('\n').replace(/\n## /g, '\n\n## ').replace(/\n\n\n/g, '\n\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const src = readFileSync(join(root, 'src/error-codes.ts'), 'utf8');
  writeFileSync(join(root, 'docs/errors.md'), renderErrorDocs(src));
  console.log('wrote docs/errors.md');
}
