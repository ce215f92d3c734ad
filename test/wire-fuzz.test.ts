// Fuzz: every decoder gets at least 100,000 inputs (random bytes of length 0..300 taken at random
// offsets of a random pool, so views have non-zero byteOffset, plus mutations of valid encodings:
// bit flips, truncation, extension, byte insertion, byte overwrite). Every throw must be a
// WireError; anything else (RangeError, TypeError...) fails. Seeded, so failures reproduce.
import { test } from 'uvu';
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
import { ByteFuzzer, INPUTS_PER_DECODER } from './support/fuzz.js';
import { ALL_CHUNK_TYPES, randomAddress, randomChunk } from './wire-random.js';

// Refusals are the common case here; capturing a stack for each of ~1.5M errors would dominate
// the run time. The error class and code are what is checked.
// uvu runs every test file in one process, so the old limit is restored in the last test.
const savedStackTraceLimit = Error.stackTraceLimit;
Error.stackTraceLimit = 0;

const fuzzer = new ByteFuzzer({ seed: 0xf022 });
const rng = fuzzer.rng;
const isWireError = (e: unknown): boolean => e instanceof WireError;
const stats = fuzzer.stats;

function fuzz(name: string, corpus: Uint8Array[], decode: (b: Uint8Array) => unknown): void {
  fuzzer.run(name, corpus, decode, isWireError);
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
      for (let i = 0; i < INPUTS_PER_DECODER; i++) decodeChunk(type, fuzzer.input(corpus));
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
