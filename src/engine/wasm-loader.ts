import { readFileSync } from 'node:fs';
import * as loader from '@assemblyscript/loader';

/**
 * Loads the hot-path WebAssembly modules built from `assembly/<name>/index.ts` by
 * `scripts/build-wasm.mjs`, with @assemblyscript/loader. Compiled modules are cached per
 * process (a worker thread compiles its own once); every call returns a fresh instance with its
 * own linear memory, so two callers never share state.
 */
export type WasmModuleName = 'aes' | 'reassembly' | 'window' | (string & {});

const compiled = new Map<string, WebAssembly.Module>();

/** Where a module's binary lives: build/wasm/<name>.wasm (release) or <name>.debug.wasm. */
export function wasmPath(name: WasmModuleName, debug = false): URL {
  // This file is dist/src/engine/wasm-loader.js at run time; build/ is at the package root.
  return new URL(`../../../build/wasm/${name}${debug ? '.debug' : ''}.wasm`, import.meta.url);
}

export function compileWasm(name: WasmModuleName, debug = false): WebAssembly.Module {
  const key = `${name}:${debug}`;
  let mod = compiled.get(key);
  if (!mod) {
    mod = new WebAssembly.Module(readFileSync(wasmPath(name, debug)));
    compiled.set(key, mod);
  }
  return mod;
}

/** Instantiates a module; `E` describes its exports. */
export function instantiateWasm<E extends Record<string, unknown>>(
  name: WasmModuleName,
  options: { debug?: boolean; imports?: Record<string, Record<string, unknown>> } = {},
): loader.ResultObject & { exports: loader.ASUtil & E } {
  const mod = compileWasm(name, options.debug ?? false);
  const imports = {
    env: {
      abort(_msg: number, _file: number, line: number, column: number): never {
        throw new Error(`WASM module ${name} aborted at ${line}:${column}`);
      },
    },
    ...options.imports,
  };
  const result = loader.instantiateSync<E>(mod, imports as loader.Imports);
  // asconfig.json exports the start function as `_initialize` (so that instantiation itself cannot
  // trap); the loader does not call it, so do it here, once, before anyone sees the instance.
  // Top-level statements (table derivation, global initializers) run in it.
  const start = (result.exports as Record<string, unknown>)['_initialize'];
  if (typeof start === 'function') (start as () => void)();
  return result;
}
