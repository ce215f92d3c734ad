// `mkdir -p` with a bounded number of steps. Node's `mkdir(path, { recursive: true })` never
// returns under /proc (mkdir there fails with ENOENT although the parent exists, and Node goes
// back up to the parent and down again, forever, one core spinning): a record directory under
// /proc hung the recorder. Here each missing component is created once, from the nearest
// existing ancestor down; a component that cannot be created is an error.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Creates `path` and its missing parents; resolves when it is a directory, rejects otherwise. */
export async function makeDirectory(path: string): Promise<void> {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    try {
      const s = await stat(at);
      if (!s.isDirectory()) throw Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break; // the root itself is missing: mkdir below reports it
    at = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      await mkdir(missing[i]!);
    } catch (e) {
      // Created meanwhile by someone else: fine if it is a directory now.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(missing[i]!)).isDirectory()) throw e;
    }
  }
}
