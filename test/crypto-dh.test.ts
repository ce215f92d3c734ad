// Diffie-Hellman groups 2/14/16 (wire-reference D.4): agreement, minimal encoding, validation,
// cross-checked against BigInt modular exponentiation and node's built-in MODP groups.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { getDiffieHellman } from 'node:crypto';
import {
  CryptoError,
  dhGroup,
  dhKeyPairFromPrivateKey,
  dhPublicKeyProblem,
  generateDhKeyPair,
  isValidDhPublicKey,
  stripLeadingZeros,
  toHex,
  validateDhPublicKey,
} from '../src/crypto/index.js';
import { bigOf, bytesOf, modPow } from './support/bigint-dh.js';

const isCode = (code: string) => (e: unknown) => e instanceof CryptoError && e.code === code;

const dh = suite('crypto dh');

dh('group primes equal RFC 2409 / RFC 3526 (node built-ins) and the D.4 text', () => {
  for (const g of [2, 14, 16] as const) {
    assert.is(toHex(dhGroup(g).prime), getDiffieHellman(`modp${g}`).getPrime('hex'));
    assert.is(dhGroup(g).primeBytes, { 2: 128, 14: 256, 16: 512 }[g]);
  }
  assert.ok(toHex(dhGroup(2).prime).endsWith('49286651ece65381ffffffffffffffff'));
  assert.throws(() => dhGroup(5), isCode('ERR_CRYPTO_UNSUPPORTED_GROUP'));
  assert.throws(() => generateDhKeyPair(1), isCode('ERR_CRYPTO_UNSUPPORTED_GROUP'));
});

dh('group 2: two generated pairs agree; public key = 2^x mod p (BigInt reference)', () => {
  const p = bigOf(dhGroup(2).prime);
  for (let i = 0; i < 8; i++) {
    const a = generateDhKeyPair(2);
    const b = generateDhKeyPair(2);
    const x = bigOf(a.exportPrivateKey());
    assert.ok(x < 1n << 224n && x >= 1n << 223n, 'private exponent is 224 bits');
    assert.is(toHex(a.publicKey), toHex(bytesOf(modPow(2n, x, p))));
    assert.ok(a.publicKey[0] !== 0, 'public key is minimal');
    const s1 = a.computeSecret(b.publicKey);
    const s2 = b.computeSecret(a.publicKey);
    assert.is(toHex(s1), toHex(s2));
    assert.is(toHex(s1), toHex(bytesOf(modPow(bigOf(b.publicKey), x, p))));
    assert.ok(s1[0] !== 0);
    assert.ok(isValidDhPublicKey(2, a.publicKey));
  }
});

dh('a secret with a leading zero byte is stripped', () => {
  // Search for a far key whose secret with a fixed private key starts with 0x00 (1 in 256).
  const p = bigOf(dhGroup(2).prime);
  const a = generateDhKeyPair(2);
  const x = bigOf(a.exportPrivateKey());
  let found = 0;
  for (let i = 0; i < 4000 && found < 2; i++) {
    const b = generateDhKeyPair(2);
    const ref = modPow(bigOf(b.publicKey), x, p);
    if (ref >= 1n << 1016n) continue;
    const s = a.computeSecret(b.publicKey);
    assert.ok(s.length < 128, `secret of ${s.length} bytes`);
    assert.is(toHex(s), toHex(bytesOf(ref)));
    assert.is(toHex(s), toHex(b.computeSecret(a.publicKey)));
    found++;
  }
  assert.ok(found > 0, 'no short secret in 4000 tries (probability ~1e-7)');
});

dh('validation rejects 1, 2, p-1, p, out-of-range and low-weight keys; accepts leading zeros', () => {
  const p = bigOf(dhGroup(2).prime);
  const rejects = (k: Uint8Array) => dhPublicKeyProblem(2, k) !== undefined;
  assert.ok(rejects(bytesOf(1n)));
  assert.ok(rejects(bytesOf(2n)));
  assert.ok(rejects(new Uint8Array(0)));
  assert.ok(rejects(bytesOf(p - 1n)));
  assert.ok(rejects(bytesOf(p)));
  assert.ok(rejects(bytesOf(p + 5n)));
  assert.ok(rejects(bytesOf((1n << 24n) - 1n)));
  assert.ok(rejects(bytesOf(p - (1n << 24n) + 1n)));
  assert.ok(rejects(new Uint8Array(129).fill(0x11)));
  // Low weight: 15 one bits (2^1000 + 14 ones) / no zero bits (all ones in 1000 bits).
  assert.ok(rejects(bytesOf((1n << 1000n) + 0x3fffn)));
  assert.ok(rejects(bytesOf((1n << 1000n) - 1n)));
  // Exactly 16 ones and plenty of zeros passes; 15 ones fails.
  assert.not.ok(rejects(bytesOf((1n << 1000n) + (0x7fffn << 30n))));
  assert.ok(rejects(bytesOf((1n << 1000n) + (0x3fffn << 30n))));
  // The edge values themselves are allowed when weights are fine.
  assert.not.ok(rejects(bytesOf(p - (1n << 24n))));
  const k = generateDhKeyPair(2).publicKey;
  assert.not.ok(rejects(new Uint8Array([0, 0, ...k])));
  assert.throws(() => validateDhPublicKey(2, bytesOf(2n)), isCode('ERR_CRYPTO_BAD_PUBLIC_KEY'));
  const a = generateDhKeyPair(2);
  assert.throws(() => a.computeSecret(bytesOf(p - 1n)), isCode('ERR_CRYPTO_BAD_PUBLIC_KEY'));
  assert.throws(() => a.computeSecret(bytesOf(1n)), isCode('ERR_CRYPTO_BAD_PUBLIC_KEY'));
});

dh('groups 14 and 16 round trip; private keys restore', () => {
  for (const g of [14, 16] as const) {
    const a = generateDhKeyPair(g);
    const b = generateDhKeyPair(g);
    assert.is(bigOf(a.exportPrivateKey()) >> BigInt(dhGroup(g).privateKeyBits - 1), 1n);
    assert.ok(a.publicKey.length <= dhGroup(g).primeBytes && a.publicKey.length > dhGroup(g).primeBytes - 4);
    const s = a.computeSecret(b.publicKey);
    assert.is(toHex(s), toHex(b.computeSecret(a.publicKey)));
    const p = bigOf(dhGroup(g).prime);
    assert.is(toHex(s), toHex(bytesOf(modPow(bigOf(b.publicKey), bigOf(a.exportPrivateKey()), p))));
    const again = dhKeyPairFromPrivateKey(g, a.exportPrivateKey());
    assert.is(toHex(again.publicKey), toHex(a.publicKey));
  }
  assert.throws(() => dhKeyPairFromPrivateKey(2, new Uint8Array(4)), isCode('ERR_CRYPTO_BAD_KEY'));
  assert.throws(() => dhKeyPairFromPrivateKey(2, dhGroup(2).prime), isCode('ERR_CRYPTO_BAD_KEY'));
  // A group-16 key is longer than the group-2 prime: rejected, not silently reduced.
  const k16 = generateDhKeyPair(16).publicKey;
  assert.throws(() => generateDhKeyPair(2).computeSecret(k16), isCode('ERR_CRYPTO_BAD_PUBLIC_KEY'));
});

dh('stripLeadingZeros returns a view', () => {
  const b = new Uint8Array([0, 0, 1, 0]);
  const s = stripLeadingZeros(b);
  assert.is(toHex(s), '0100');
  assert.is(s.buffer, b.buffer);
  assert.is(stripLeadingZeros(new Uint8Array(3)).length, 0);
});

dh.run();
