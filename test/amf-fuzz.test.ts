// Fuzz: random and mutated inputs for the AMF0 decoder, the AMF3 decoder and the Flash message
// decoder. Only typed errors (AmfError, FlashError, WireError) may come out, nothing may hang
// (every input is timed), and whatever decodes must re-encode without untyped errors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Amf0Decoder, Amf0Encoder, Amf3Decoder, Amf3Encoder, AmfError, type AmfValue } from '../src/wire/amf/index.js';
import { FlashError, FlashMessageDecoder, encodeFlashMessage } from '../src/wire/flash/index.js';
import { WireError } from '../src/wire/errors.js';
import { amfDiff, hex, prng, toHex, ValueGenerator } from './amf-helpers.js';
import { cpuMs } from './support/cpu-time.js';
import { fuzzCount } from './support/fuzz-scale.js';

/** 100,000 in full (`npm run soak`), a quarter in `npm test` (support/fuzz-scale.ts). */
const ITERATIONS = fuzzCount(100_000);
const MAX_MS_PER_INPUT = 250;

const rnd = prng(0xf022);
const int = (n: number): number => Math.floor(rnd() * n);

function typed(e: unknown): boolean {
  return e instanceof AmfError || e instanceof FlashError || e instanceof WireError;
}

/** Byte-level mutations, including splicing in nesting and self-reference fragments. */
function mutate(src: Uint8Array, fragments: readonly Uint8Array[]): Uint8Array {
  let b = Array.from(src);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = int(b.length + 1);
    switch (int(9)) {
      case 0: if (b.length) b[Math.min(at, b.length - 1)] = int(256); break;
      case 1: if (b.length) b[Math.min(at, b.length - 1)]! ^= 1 << int(8); break;
      case 2: b.splice(at, 0, int(256)); break;
      case 3: b.splice(at, 1 + int(4)); break;
      case 4: b = b.slice(0, at); break;
      case 5: { const f = fragments[int(fragments.length)]!; const times = 1 + int(120); const ins: number[] = []; for (let i = 0; i < times; i++) ins.push(...f); b.splice(at, 0, ...ins); break; }
      case 6: { const s = int(b.length + 1); const e = s + int(16); b.splice(at, 0, ...b.slice(s, e)); break; }
      case 7: if (b.length) b[Math.min(at, b.length - 1)] = [0x00, 0x7f, 0x80, 0xff, 0x01, 0x09, 0x11, 0x07][int(8)]!; break;
      default: b.splice(at, 0, ...fragments[int(fragments.length)]!); break;
    }
  }
  return new Uint8Array(b);
}

function randomBytes(): Uint8Array {
  const b = new Uint8Array(int(40));
  for (let i = 0; i < b.length; i++) b[i] = int(256);
  return b;
}

interface Outcome {
  ok: number;
  errors: Record<string, number>;
  maxMs: number;
}

function cpuTime(decode: (b: Uint8Array) => void, input: Uint8Array): number {
  const t0 = cpuMs();
  try {
    decode(input);
  } catch {
    // Typed or not, it was checked on the first run.
  }
  return cpuMs() - t0;
}

function run(name: string, corpus: Uint8Array[], fragments: Uint8Array[], decode: (b: Uint8Array) => void): Outcome {
  const out: Outcome = { ok: 0, errors: {}, maxMs: 0 };
  for (let i = 0; i < ITERATIONS; i++) {
    const input = i % 5 === 0 ? randomBytes() : mutate(corpus[int(corpus.length)]!, fragments);
    const t0 = performance.now();
    try {
      decode(input);
      out.ok++;
    } catch (e) {
      if (!typed(e)) {
        assert.unreachable(`${name}: untyped ${e instanceof Error ? e.stack : String(e)} for input ${toHex(input)}`);
      }
      const code = (e as AmfError).code;
      out.errors[code] = (out.errors[code] ?? 0) + 1;
    }
    // A slow input is timed again in CPU time, which does not grow while a loaded machine
    // preempts the process, and the fastest of three counts: a GC pause does not repeat, a
    // decoder that is superlinear in its input does.
    let ms = performance.now() - t0;
    if (ms > MAX_MS_PER_INPUT) ms = Math.min(cpuTime(decode, input), cpuTime(decode, input), cpuTime(decode, input));
    if (ms > out.maxMs) out.maxMs = ms;
    if (ms > MAX_MS_PER_INPUT) assert.unreachable(`${name}: ${ms.toFixed(0)} ms of CPU (fastest of 3) for input ${toHex(input)}`);
  }
  return out;
}

function report(name: string, o: Outcome): void {
  if (process.env.FUZZ_STATS) console.log(name, JSON.stringify(o));
  // Useful when tuning: how much of the fuzz reached deep code rather than failing at once.
  assert.ok(o.ok > 100, `${name}: only ${o.ok} inputs decoded`);
  assert.ok(Object.keys(o.errors).length >= 4, `${name}: error variety ${JSON.stringify(o.errors)}`);
}

test(`AMF3 decoder: ${ITERATIONS} random and mutated inputs`, () => {
  const g = new ValueGenerator(1);
  const enc = new Amf3Encoder();
  const corpus = Array.from({ length: 400 }, () => enc.encode(g.amf3(4, [])));
  corpus.push(hex('0a0b01 0361 0a00 01'), hex('0903 01 0900'), hex('1103 00 0a0b0101 1100'));
  const fragments = [hex('0903 01'), hex('0a0b01 0361'), hex('1003 00 01'), hex('1103 00'), hex('0a00'), hex('0600'), hex('0a01'), hex('0d7f00'), hex('0a07 0341')];
  const dec = new Amf3Decoder();
  const check = new Amf3Decoder();
  const o = run('amf3', corpus, fragments, (b) => {
    const v = dec.decode(b);
    // Whatever decodes must survive a round trip unchanged.
    const again = enc.encode(v);
    const d = amfDiff(check.decode(again), v);
    if (d) throw new Error(`round trip differs at ${d} for ${toHex(b)}`);
  });
  report('amf3', o);
});

test(`AMF0 decoder: ${ITERATIONS} random and mutated inputs`, () => {
  const g = new ValueGenerator(2);
  const enc = new Amf0Encoder();
  const corpus = Array.from({ length: 400 }, () => enc.encode(g.amf0(4, [])));
  corpus.push(hex('03 0001 61 07 0000 0000 09'), hex('0a 00000001 07 0000'), hex('11 0a0b01 0361 0a00 01'));
  const fragments = [hex('03 0001 61'), hex('0a 00000001'), hex('08 00000001 0001 61'), hex('07 0000'), hex('0000 09'), hex('11 0903 01'), hex('10 0001 54 0001 61'), hex('11 0600')];
  const dec = new Amf0Decoder();
  const o = run('amf0', corpus, fragments, (b) => {
    const v = dec.decodeAll(b);
    enc.encodeAll(v as AmfValue[]);
  });
  report('amf0', o);
});

test(`Flash message decoder: ${ITERATIONS} random and mutated inputs`, () => {
  const corpus: Uint8Array[] = [];
  const root = join(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared', 'vectors');
  for (const d of ['cpp-tc', 'mona-tc', 'mona-p2p']) {
    const dir = join(root, d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/"messageHex":\s*"([0-9a-f]+)"/g)) {
        if (m[1]!.length < 2000) corpus.push(hex(m[1]!));
      }
    }
  }
  corpus.push(hex('04 00000000 0022 00000001 00000002'), hex('11 00000000 00 0200017800000000000000000005 110a0b01 0361 0a00 01'));
  assert.ok(corpus.length > 20, 'vector messages found');
  const fragments = [hex('03 0001 61'), hex('11 0903 01'), hex('07 0000'), hex('0a 00000001'), hex('05'), hex('0000 09'), hex('02 0001 61')];
  const dec = new FlashMessageDecoder();
  const o = run('flash', corpus, fragments, (b) => {
    encodeFlashMessage(dec.decode(b));
  });
  report('flash', o);
});

test.run();
