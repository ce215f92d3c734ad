import { createDiffieHellman, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EngineError } from '../src/engine/pool/errors.js';
import {
  GROUP2_PRIME,
  agreeGroup2,
  generateGroup2KeyPair,
  minimalBigEndian,
  publicKeyFromRaw,
  rawPublicKey,
} from '../src/engine/pool/dh-group2.js';
import { PoolDiffieHellman } from '../src/engine/pool/pool-diffie-hellman.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const nodeDh = generateKeyPairSync as unknown as (t: 'dh', o: { group: string }) => { publicKey: KeyObject; privateKey: KeyObject };

const inline = suite('dh group 2 inline');

inline('the prime is RFC 2409 group 2 (known first/last words, 128 bytes)', () => {
  assert.is(GROUP2_PRIME.length, 128);
  assert.is(hex(GROUP2_PRIME.subarray(0, 16)), 'ffffffffffffffffc90fdaa22168c234');
  assert.is(hex(GROUP2_PRIME.subarray(112)), '49286651ece65381ffffffffffffffff');
  // Same prime node:crypto uses for 'modp2'.
  const ref = createDiffieHellman(Buffer.from(GROUP2_PRIME), 2);
  assert.is(hex(ref.getPrime()), hex(GROUP2_PRIME));
});

inline('raw public key -> SPKI rebuilds exactly the DER node exports', () => {
  for (let i = 0; i < 5; i++) {
    const { publicKey } = nodeDh('dh', { group: 'modp2' });
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const raw = rawPublicKey(publicKey);
    assert.ok(raw.length <= 128 && raw.length >= 100);
    assert.is.not(raw[0], 0, 'minimal encoding has no leading zero');
    const rebuilt = publicKeyFromRaw(raw).export({ type: 'spki', format: 'der' });
    assert.is(hex(rebuilt), hex(der));
    // Leading zeros on input are tolerated.
    const padded = new Uint8Array(raw.length + 2);
    padded.set(raw, 2);
    assert.is(hex(publicKeyFromRaw(padded).export({ type: 'spki', format: 'der' })), hex(der));
  }
});

inline('agreement matches an independent DiffieHellman object and is symmetric', () => {
  const ref = createDiffieHellman(Buffer.from(GROUP2_PRIME), 2);
  ref.generateKeys();
  for (let i = 0; i < 3; i++) {
    const a = generateGroup2KeyPair();
    const b = generateGroup2KeyPair();
    const ab = agreeGroup2(a.privateKey, b.publicKey);
    const ba = agreeGroup2(b.privateKey, a.publicKey);
    assert.is(hex(ab), hex(ba));
    assert.is.not(ab[0], 0);
    const withRef = agreeGroup2(a.privateKey, new Uint8Array(ref.getPublicKey()));
    const refSide = minimalBigEndian(new Uint8Array(ref.computeSecret(Buffer.from(a.publicKey))));
    assert.is(hex(withRef), hex(refSide));
  }
});

inline('fresh private key every call', () => {
  const a = generateGroup2KeyPair();
  const b = generateGroup2KeyPair();
  assert.is.not(hex(a.publicKey), hex(b.publicKey));
});

inline('bad inputs throw EngineError ERR_ENGINE_DH', () => {
  const a = generateGroup2KeyPair();
  for (const bad of [new Uint8Array(0), new Uint8Array(129).fill(1), Uint8Array.of(1), Uint8Array.of(0)]) {
    try {
      agreeGroup2(a.privateKey, bad);
      assert.unreachable(`accepted ${hex(bad)}`);
    } catch (e) {
      assert.instance(e, EngineError);
      assert.is((e as EngineError).code, 'ERR_ENGINE_DH');
    }
  }
  try {
    agreeGroup2(createPublicKey(a.privateKey), a.publicKey);
    assert.unreachable('accepted a public key as private');
  } catch (e) {
    assert.is((e as EngineError).code, 'ERR_ENGINE_DH');
  }
});

inline.run();

const pooled = suite('dh group 2 in the pool');
let dh: PoolDiffieHellman;
pooled.before(() => {
  dh = new PoolDiffieHellman({ threads: 2 });
});
pooled.after(async () => {
  await dh.close();
});

pooled('pool key pairs agree with inline agreement, both ways, across workers', async () => {
  const pairs = await Promise.all([dh.generateKeyPair(), dh.generateKeyPair(), dh.generateKeyPair(), dh.generateKeyPair()]);
  assert.is(new Set(pairs.map((p) => hex(p.publicKey))).size, 4);
  const a = pairs[0]!;
  const b = pairs[1]!;
  const inlineSecret = agreeGroup2(a.privateKey, b.publicKey);
  const [ab, ba] = await Promise.all([dh.computeSharedSecret(a.privateKey, b.publicKey), dh.computeSharedSecret(b.privateKey, a.publicKey)]);
  assert.is(hex(ab), hex(inlineSecret));
  assert.is(hex(ba), hex(inlineSecret));
  // A main-thread key pair agrees with a pool key pair.
  const m = generateGroup2KeyPair();
  assert.is(hex(await dh.computeSharedSecret(m.privateKey, a.publicKey)), hex(agreeGroup2(a.privateKey, m.publicKey)));
});

pooled('a bad peer key rejects with EngineError ERR_ENGINE_DH', async () => {
  const a = await dh.generateKeyPair();
  try {
    await dh.computeSharedSecret(a.privateKey, Uint8Array.of(1));
    assert.unreachable('accepted y = 1');
  } catch (e) {
    assert.instance(e, EngineError);
    assert.is((e as EngineError).code, 'ERR_ENGINE_DH');
  }
  try {
    await dh.computeSharedSecret(a.privateKey, 'nope' as unknown as Uint8Array);
    assert.unreachable('accepted a string');
  } catch (e) {
    assert.is((e as EngineError).code, 'ERR_ENGINE_DH');
  }
});

pooled.run();
