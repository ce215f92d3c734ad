// Fuzz: every decoder gets at least 100,000 inputs (random bytes of length 0..300 taken at random
// offsets of a random pool, so views have non-zero byteOffset, plus mutations of valid encodings:
// bit flips, truncation, extension, byte insertion, byte overwrite). Every throw must be a
// WireError; anything else (RangeError, TypeError...) fails. Seeded, so failures reproduce.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ByteReader,
  ChunkType,
  decodeChunk,
  decodeEpd,
  decodeOptionList,
  decodePacket,
  decodeSocketAddress,
  encodeChunkToBytes,
  encodeEpd,
  encodeOptionList,
  encodePacket,
  encodeSocketAddress,
  ByteWriter,
  PacketMode,
  readUserDataOptions,
  resolveUserData,
  SESSION_CHUNK_TYPES,
  WireError,
} from '../src/wire/index.js';
import { Prng } from './wire-prng.js';
import { ALL_CHUNK_TYPES, randomAddress, randomChunk } from './wire-random.js';

const INPUTS_PER_DECODER = 100_000;
// Refusals are the common case here; capturing a stack for each of ~1.5M errors would dominate
// the run time. The error class and code are what is checked.
// uvu runs every test file in one process, so the old limit is restored in the last test.
const savedStackTraceLimit = Error.stackTraceLimit;
Error.stackTraceLimit = 0;
const POOL = 1 << 20;

const rng = new Prng(0xf022);
const pool = rng.bytes(POOL);
// Sprinkle VLU continuation bytes and padding so long VLUs and stop bytes are common.
for (let i = 0; i < POOL; i += 7) pool[i] = rng.pick([0x80, 0xff, 0x00, 0x01, 0x7f]);
const scratch = new Uint8Array(1024);

function mutate(src: Uint8Array): Uint8Array {
  let len = Math.min(src.length, 700);
  scratch.set(src.subarray(0, len));
  const rounds = 1 + rng.int(3);
  for (let k = 0; k < rounds; k++) {
    switch (rng.int(5)) {
      case 0: // bit flip
        if (len > 0) scratch[rng.int(len)]! ^= 1 << rng.int(8);
        break;
      case 1: // truncation
        len = rng.int(len + 1);
        break;
      case 2: {
        // extension
        const add = Math.min(1 + rng.int(16), scratch.length - len);
        for (let i = 0; i < add; i++) scratch[len + i] = rng.u32() & 0xff;
        len += add;
        break;
      }
      case 3: {
        // insertion
        if (len >= scratch.length) break;
        const at = rng.int(len + 1);
        scratch.copyWithin(at + 1, at, len);
        scratch[at] = rng.pick([0x00, 0x7f, 0x80, 0xff, rng.u32() & 0xff]);
        len++;
        break;
      }
      default: // overwrite with an interesting byte
        if (len > 0) scratch[rng.int(len)] = rng.pick([0x00, 0x7f, 0x80, 0xff]);
    }
  }
  // A view at a non-zero offset of the scratch buffer.
  return scratch.subarray(0, len);
}

function input(corpus: Uint8Array[]): Uint8Array {
  if (corpus.length === 0 || rng.bool()) {
    const len = rng.int(301);
    const at = rng.int(POOL - len);
    return pool.subarray(at, at + len);
  }
  return mutate(rng.pick(corpus));
}

const stats: string[] = [];

function fuzz(name: string, corpus: Uint8Array[], decode: (b: Uint8Array) => unknown): void {
  let ok = 0;
  let thrown = 0;
  for (let i = 0; i < INPUTS_PER_DECODER; i++) {
    const b = input(corpus);
    try {
      decode(b);
      ok++;
    } catch (e) {
      if (!(e instanceof WireError)) {
        assert.unreachable(`${name}: input ${Buffer.from(b).toString('hex')} threw ${String(e)}`);
      }
      thrown++;
    }
  }
  // Both outcomes must occur, or the corpus is not reaching the decoder's interesting paths.
  assert.ok(ok > 0, `${name}: nothing decoded`);
  assert.ok(thrown > 0, `${name}: nothing refused`);
  stats.push(`${name}: ${ok} decoded, ${thrown} refused`);
}

test('VLU', () => {
  const corpus = [0, 1, 127, 128, 16383, 2000001, 2 ** 32, Number.MAX_SAFE_INTEGER].map((v) => new ByteWriter().vlu(v).written().slice());
  fuzz('vlu', corpus, (b) => {
    const r = new ByteReader(b);
    while (!r.atEnd()) r.vlu();
  });
});

test('option list', () => {
  const corpus = Array.from({ length: 50 }, () =>
    encodeOptionList(
      Array.from({ length: rng.int(5) }, () => ({ type: rng.vluValue(), value: rng.bytes(rng.int(20)) })),
      rng.bool(),
    ),
  );
  fuzz('option list', corpus, (b) => decodeOptionList(b));
  fuzz('user data option list', corpus, (b) => readUserDataOptions(new ByteReader(b)));
});

test('socket address', () => {
  const corpus = Array.from({ length: 50 }, () => encodeSocketAddress(randomAddress(rng)));
  fuzz('address', corpus, (b) => decodeSocketAddress(b));
});

test('EPD', () => {
  const corpus = [
    encodeEpd({ ancillaryData: 'rtmfp://127.0.0.1:19551/live' }),
    encodeEpd({ ancillaryData: 'live' }),
    encodeEpd({ fingerprint: rng.bytes(32) }),
    encodeEpd({ fingerprint: rng.bytes(32), ancillaryData: 'rtmfp:' }),
    encodeEpd({ requiredHostname: 'echo', ancillaryData: rng.bytes(10) }),
  ];
  fuzz('epd', corpus, (b) => decodeEpd(b));
});

test('every chunk body decoder', () => {
  for (const type of ALL_CHUNK_TYPES) {
    const corpus = Array.from({ length: 100 }, () => encodeChunkToBytes(randomChunk(rng, type)).slice(3));
    const name = `chunk 0x${type.toString(16).padStart(2, '0')}`;
    if (type === ChunkType.SessionCloseRequest || type === ChunkType.SessionCloseAck || type === ChunkType.Ping || type === ChunkType.PingReply) {
      // These accept any body: only check that nothing but WireError escapes.
      for (let i = 0; i < INPUTS_PER_DECODER; i++) decodeChunk(type, input(corpus));
      stats.push(`${name}: accepts every body`);
      continue;
    }
    fuzz(name, corpus, (b) => decodeChunk(type, b));
  }
});

test('packet (header, framing, every chunk, Next User Data resolution)', () => {
  const sessionTypes = [...SESSION_CHUNK_TYPES];
  const corpus: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    const w = new ByteWriter(new Uint8Array(2000));
    const startup = rng.int(4) === 0;
    const chunks = Array.from({ length: startup ? 1 : 1 + rng.int(4) }, () =>
      randomChunk(rng, startup ? rng.pick([0x30, 0x70, 0x71, 0x79, 0x38, 0x78]) : rng.pick(sessionTypes)),
    );
    const header = { timeCritical: rng.bool(), timeCriticalReverse: rng.bool(), mode: startup ? PacketMode.Startup : PacketMode.Initiator, timestamp: rng.int(65536) };
    try {
      encodePacket(w, header, chunks, 1900);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      continue;
    }
    w.fill(0xff, rng.int(16));
    corpus.push(w.written().slice());
  }
  fuzz('packet', corpus, (b) => {
    const p = decodePacket(b);
    resolveUserData(p.chunks);
  });
});

test('summary', () => {
  Error.stackTraceLimit = savedStackTraceLimit;
  for (const s of stats) console.log(`  ${s}`);
});

test.run();
