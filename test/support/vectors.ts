// Loads the captured test vectors that live beside the repository in ../shared/vectors/
// (see that folder's README). Paths are computed from this file's location so the tests run
// from any clone: the compiled file is <repo>/dist/test/support/vectors.js.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const vectorsDir = join(repoRoot, '..', 'shared', 'vectors');

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function vectorsAvailable(): boolean {
  return existsSync(vectorsDir);
}

/** Curated JSON files (relative paths like `cpp-tc/handshake-hmac-sseq.json`), excluding raw/. */
export function curatedFiles(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(vectorsDir)) {
    const p = join(vectorsDir, dir);
    if (dir === 'raw' || !statSync(p).isDirectory()) continue;
    for (const f of readdirSync(p)) if (f.endsWith('.json')) out.push(`${dir}/${f}`);
  }
  return out.sort();
}

export function readJson<T = unknown>(rel: string): T {
  return JSON.parse(readFileSync(join(vectorsDir, rel), 'utf8')) as T;
}

/** One datagram of a raw capture (`raw/sN/capture*.jsonl`, and the mini-initiator logs in s9). */
export interface RawDatagram {
  n: number;
  t: number;
  dir: string;
  src?: string;
  dst?: string;
  via?: string;
  len: number;
  hex: string;
  note?: string;
  plaintextHex?: string;
}

export interface RawCapture {
  scenario: string;
  file: string;
  datagrams: RawDatagram[];
}

export interface KeyLogEntry {
  kind: string;
  pid: number;
  length: number;
  hex: string;
}

export interface RawScenario {
  name: string;
  captures: RawCapture[];
  keys: KeyLogEntry[];
}

export function rawScenarios(): RawScenario[] {
  const base = join(vectorsDir, 'raw');
  return readdirSync(base)
    .filter((d) => statSync(join(base, d)).isDirectory())
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((name) => {
      const dir = join(base, name);
      const files = readdirSync(dir);
      const captures = files
        .filter((f) => f.endsWith('.jsonl'))
        .map((file) => ({
          scenario: name,
          file,
          datagrams: readFileSync(join(dir, file), 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as RawDatagram),
        }));
      const keys = files
        .filter((f) => /^keys.*\.txt$/.test(f))
        .flatMap((f) =>
          readFileSync(join(dir, f), 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => {
              const [kind, pid, length, h] = l.trim().split(/\s+/);
              return { kind: kind!, pid: Number(pid), length: Number(length), hex: h! };
            }),
        );
      return { name, captures, keys };
    });
}
