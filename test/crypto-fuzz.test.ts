// Robustness: random and mutated inputs to the envelope and the certificate / key-component
// decoders must yield a result or a typed error (CryptoError / WireError), never anything else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CryptoError,
  buildFlashClientCertificate,
  buildInitiatorComponents,
  buildResponderComponents,
  buildServerCertificate,
  decodeCertificate,
  decodeKeyComponents,
  encodeCertificate,
  openDatagram,
  parsePlaintext,
  peerIdFromCertificate,
  sealDatagram,
  startupEnvelope,
  type EnvelopeParams,
} from '../src/crypto/index.js';
import { WireError } from '../src/wire/errors.js';
import { curatedFiles, hex, readJson } from './support/vectors.js';
import { fuzzCount } from './support/fuzz-scale.js';

/** 100,000 in full (`npm run soak`), a quarter in `npm test` (support/fuzz-scale.ts). */
const N = fuzzCount(100_000);

// xorshift32, seeded: failures are reproducible.
let seed = 0x9e3779b9;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const int = (n: number): number => Math.floor(rnd() * n);
function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}

function mutate(base: Uint8Array): Uint8Array {
  let b = base.slice();
  const ops = 1 + int(4);
  for (let k = 0; k < ops; k++) {
    switch (int(6)) {
      case 0: // flip bits
        if (b.length) b[int(b.length)]! ^= 1 << int(8);
        break;
      case 1: // random byte
        if (b.length) b[int(b.length)] = int(256);
        break;
      case 2: // truncate
        b = b.subarray(0, int(b.length + 1));
        break;
      case 3: // extend
        b = new Uint8Array([...b, ...randomBytes(1 + int(20))]);
        break;
      case 4: // interesting values
        if (b.length) b[int(b.length)] = [0x00, 0x7f, 0x80, 0xff, 0x81][int(5)]!;
        break;
      default: // delete a span
        if (b.length > 2) {
          const at = int(b.length - 1);
          b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + 1 + int(8))]);
        }
    }
  }
  return b;
}

function expectTyped(fn: () => unknown, what: string, input: Uint8Array): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof CryptoError || e instanceof WireError) return false;
    assert.unreachable(`${what} threw ${String(e)} for ${Buffer.from(input).toString('hex')}`);
    return false;
  }
}

interface VectorDatagram {
  rawHex: string;
  key?: string | null;
  chunks?: { certificate?: { hex: string }; skic?: { hex: string }; skrc?: { hex: string } }[];
}

const datagrams: Uint8Array[] = [];
const certificates: Uint8Array[] = [];
const components: Uint8Array[] = [];
for (const f of curatedFiles()) {
  for (const d of readJson<{ datagrams?: VectorDatagram[] }>(f).datagrams ?? []) {
    if (d.key === 'default key') datagrams.push(hex(d.rawHex));
    for (const c of d.chunks ?? []) {
      if (c.certificate) certificates.push(hex(c.certificate.hex));
      if (c.skic) components.push(hex(c.skic.hex));
      if (c.skrc) components.push(hex(c.skrc.hex));
    }
  }
}

test('openDatagram: 100k random and mutated datagrams, startup and HMAC+SSEQ modes', () => {
  const startup = startupEnvelope();
  const hmac: EnvelopeParams = { key: randomBytes(16), hmacKey: randomBytes(32), hmacLength: 16, sequenceNumbers: true };
  const sseqChecksum: EnvelopeParams = { key: randomBytes(16), hmacLength: 0, sequenceNumbers: true };
  const sealed = [
    ...datagrams,
    sealDatagram(hex('00000003'), hex('8d0001000c0000'), hmac, 5),
    sealDatagram(hex('00000003'), hex('4a00010100'), sseqChecksum, 200),
  ];
  let ok = 0;
  for (let i = 0; i < N; i++) {
    const input = i % 4 === 0 ? randomBytes(int(80)) : mutate(sealed[int(sealed.length)]!);
    const params = [startup, hmac, sseqChecksum][i % 3]!;
    if (expectTyped(() => openDatagram(input, params), 'openDatagram', input)) ok++;
  }
  // Unmutated opens must still work (sanity that the loop exercised real paths).
  assert.ok(openDatagram(sealed[sealed.length - 2]!, hmac).sessionSequenceNumber === 5);
  assert.ok(ok < N / 10, `${ok} mutated datagrams opened`);
});

test('parsePlaintext: 100k random plaintexts (SSEQ VLU + checksum paths)', () => {
  const p: EnvelopeParams = { key: new Uint8Array(16), hmacLength: 0, sequenceNumbers: true };
  const q: EnvelopeParams = { key: new Uint8Array(16), hmacKey: new Uint8Array(1), hmacLength: 8, sequenceNumbers: true };
  for (let i = 0; i < N; i++) {
    const b = randomBytes(int(40));
    if (i % 3 === 0) b.fill(0xff, 0, int(b.length + 1)); // long VLUs
    expectTyped(() => parsePlaintext(b, i % 2 ? p : q), 'parsePlaintext', b);
  }
});

test('decodeCertificate and peerIdFromCertificate: 100k random and mutated certificates', () => {
  const bases = [
    ...certificates,
    buildServerCertificate({ hostname: 'x' }),
    buildFlashClientCertificate(randomBytes(128)),
    encodeCertificate({ staticKeys: [{ group: 2, publicKey: randomBytes(8) }], unsignedOptions: [{ type: 0x0e, value: randomBytes(3) }] }),
  ];
  let decoded = 0;
  for (let i = 0; i < N; i++) {
    const input = i % 5 === 0 ? randomBytes(int(60)) : mutate(bases[int(bases.length)]!);
    if (expectTyped(() => decodeCertificate(input), 'decodeCertificate', input)) decoded++;
    if (i % 4 === 0) expectTyped(() => peerIdFromCertificate(input), 'peerIdFromCertificate', input);
  }
  assert.ok(decoded > 0 && decoded < N);
});

test('decodeKeyComponents: 100k random and mutated SKIC/SKRC', () => {
  const bases = [
    ...components,
    buildResponderComponents({ extraRandomness: randomBytes(64) }),
    buildInitiatorComponents({ groupSelect: 2, extraRandomness: randomBytes(64), hmac: { flags: 2, length: 10 }, sseq: { flags: 2 } }),
  ];
  let decoded = 0;
  for (let i = 0; i < N; i++) {
    const input = i % 5 === 0 ? randomBytes(int(60)) : mutate(bases[int(bases.length)]!);
    if (expectTyped(() => decodeKeyComponents(input), 'decodeKeyComponents', input)) decoded++;
  }
  assert.ok(decoded > 0 && decoded < N);
});

test.run();
