// PoolDiffieHellman (groups 2 and 14, wire-reference D.4) against inline src/crypto/dh.ts key
// pairs and an independent BigInt modular exponentiation: pool keys agree with inline keys both
// ways, key pairs cross threads as bytes, bad peer keys reject with typed errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dhGroup, dhKeyPairFromPrivateKey, dhPublicKeyProblem, generateDhKeyPair, type DhGroupId } from '../src/crypto/dh.js';
import { EnginePool } from '../src/engine/pool/engine-pool.js';
import { EngineError } from '../src/engine/pool/errors.js';
import { PoolDiffieHellman } from '../src/engine/pool/pool-diffie-hellman.js';
import type { PoolDhKeyPair } from '../src/engine/pool/tasks.js';
import { bigOf, bytesOf, modPow } from './support/bigint-dh.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Awaits `p`, which must reject with EngineError `code` and exactly `workerCode` (undefined = none). */
async function rejectsWith(p: Promise<unknown>, code: string, workerCode: string | undefined, what: string): Promise<void> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `${what}: resolved instead of rejecting`);
  assert.instance(error, EngineError, `${what}: ${String(error)}`);
  assert.is((error as EngineError).code, code, `${what}: code`);
  assert.is((error as EngineError).workerCode, workerCode, `${what}: workerCode`);
}

const GROUPS: readonly DhGroupId[] = [2, 14];
const PRIVATE_BYTES: Record<number, number> = { 2: 28, 14: 40 };

const pooled = suite('pool dh');
let dh: PoolDiffieHellman;
pooled.before(() => {
  dh = new PoolDiffieHellman({ threads: 2 });
});
pooled.after(async () => {
  await dh.close();
});

for (const g of GROUPS) {
  pooled(`group ${g}: pool key pairs are well formed, public = 2^x mod p (BigInt reference)`, async () => {
    const p = bigOf(dhGroup(g).prime);
    const pairs = await Promise.all([0, 1, 2, 3].map(() => dh.generateKeyPair(g)));
    for (const pair of pairs) {
      assert.is(pair.group, g);
      assert.instance(pair.publicKey, Uint8Array);
      assert.instance(pair.privateKey, Uint8Array);
      assert.is(pair.privateKey.length, PRIVATE_BYTES[g], 'rtmfp-cpp private exponent size');
      assert.ok(pair.privateKey[0]! >= 0x80, 'exponent is full-size');
      assert.is.not(pair.publicKey[0], 0, 'public key is minimal');
      assert.is(hex(pair.publicKey), hex(bytesOf(modPow(2n, bigOf(pair.privateKey), p))));
      assert.is(dhPublicKeyProblem(g, pair.publicKey), undefined);
      // The bytes rebuild the same pair on this thread.
      assert.is(hex(dhKeyPairFromPrivateKey(g, pair.privateKey).publicKey), hex(pair.publicKey));
    }
  });

  pooled(`group ${g}: pool and inline key pairs agree both ways, across workers`, async () => {
    const p = bigOf(dhGroup(g).prime);
    const pairs = await Promise.all([0, 1, 2, 3].map(() => dh.generateKeyPair(g)));
    const inline = generateDhKeyPair(g);
    // Every pool pair against the inline pair, in parallel on both workers, in both argument forms.
    const viaPair = await Promise.all(pairs.map((a) => dh.computeSharedSecret(a, inline.publicKey)));
    const viaBytes = await Promise.all(pairs.map((a) => dh.computeSharedSecret(a.privateKey, inline.publicKey, g)));
    // The inline side, and the pool with the inline pair's private key against each pool key.
    const inlineSide = pairs.map((a) => inline.computeSecret(a.publicKey));
    const poolWithInlineKey = await Promise.all(pairs.map((a) => dh.computeSharedSecret(inline.exportPrivateKey(), a.publicKey, g)));
    const x = bigOf(inline.exportPrivateKey());
    for (let i = 0; i < pairs.length; i++) {
      const reference = hex(bytesOf(modPow(bigOf(pairs[i]!.publicKey), x, p)));
      assert.is(hex(viaPair[i]!), reference);
      assert.is(hex(viaBytes[i]!), reference);
      assert.is(hex(inlineSide[i]!), reference);
      assert.is(hex(poolWithInlineKey[i]!), reference);
      assert.is.not(viaPair[i]![0], 0, 'secret is minimal');
    }
    // Two pool pairs agree with each other (each generated and used on whichever worker was free).
    const [ab, ba] = await Promise.all([dh.computeSharedSecret(pairs[0]!, pairs[1]!.publicKey), dh.computeSharedSecret(pairs[1]!, pairs[0]!.publicKey)]);
    assert.is(hex(ab), hex(ba));
    assert.is(hex(ab), hex(dhKeyPairFromPrivateKey(g, pairs[0]!.privateKey).computeSecret(pairs[1]!.publicKey)));
  });
}

pooled('group 2 is the default; leading zeros and keys inside larger buffers are accepted', async () => {
  const a = await dh.generateKeyPair();
  assert.is(a.group, 2);
  const inline = generateDhKeyPair(2);
  const expected = hex(inline.computeSecret(a.publicKey));
  assert.is(hex(await dh.computeSharedSecret(a.privateKey, inline.publicKey)), expected);
  // The peer key as a view into a "packet", behind two leading zero bytes.
  const packet = new Uint8Array(300).fill(0xee);
  packet.fill(0, 10, 12);
  packet.set(inline.publicKey, 12);
  const view = packet.subarray(10, 12 + inline.publicKey.length);
  assert.is(hex(await dh.computeSharedSecret(a, view)), expected);
});

pooled('a fresh private key every call', async () => {
  const pairs = await Promise.all(Array.from({ length: 8 }, () => dh.generateKeyPair(2)));
  assert.is(new Set(pairs.map((p) => hex(p.privateKey))).size, 8);
  assert.is(new Set(pairs.map((p) => hex(p.publicKey))).size, 8);
});

pooled('bad peer keys reject with ERR_ENGINE_DH / ERR_CRYPTO_BAD_PUBLIC_KEY (RFC 7425 section 4.6.2)', async () => {
  const group16Key = generateDhKeyPair(16).publicKey;
  for (const g of GROUPS) {
    const a = await dh.generateKeyPair(g);
    const pMinus1 = bytesOf(bigOf(dhGroup(g).prime) - 1n);
    const bad: [string, Uint8Array][] = [
      ['1', Uint8Array.of(1)],
      ['p-1', pMinus1],
      ['empty', new Uint8Array(0)],
      ['zero', Uint8Array.of(0)],
      [`${dhGroup(g).primeBytes + 1} bytes of 0x01`, new Uint8Array(dhGroup(g).primeBytes + 1).fill(1)],
      ['2^24 - 1', bytesOf((1n << 24n) - 1n)],
      ['a group 16 key', group16Key],
    ];
    for (const [what, key] of bad) {
      await rejectsWith(dh.computeSharedSecret(a, key), 'ERR_ENGINE_DH', 'ERR_CRYPTO_BAD_PUBLIC_KEY', `group ${g}, peer key ${what}`);
    }
  }
  // 129 bytes of 0x01, explicitly, for group 2 (longer than its 128-byte prime).
  const a = await dh.generateKeyPair(2);
  await rejectsWith(dh.computeSharedSecret(a.privateKey, new Uint8Array(129).fill(1), 2), 'ERR_ENGINE_DH', 'ERR_CRYPTO_BAD_PUBLIC_KEY', '129 x 0x01');
  // The pool still works after the rejections.
  const inline = generateDhKeyPair(2);
  assert.is(hex(await dh.computeSharedSecret(a, inline.publicKey)), hex(inline.computeSecret(a.publicKey)));
});

pooled('bad private keys reject with ERR_ENGINE_DH / ERR_CRYPTO_BAD_KEY', async () => {
  const inline = generateDhKeyPair(2);
  const pMinus1 = bytesOf(bigOf(dhGroup(2).prime) - 1n);
  for (const [what, key] of [
    ['empty', new Uint8Array(0)],
    ['zero', new Uint8Array(4)],
    ['p-1', pMinus1],
  ] as const) {
    await rejectsWith(dh.computeSharedSecret(key, inline.publicKey, 2), 'ERR_ENGINE_DH', 'ERR_CRYPTO_BAD_KEY', `private key ${what}`);
  }
});

pooled('argument errors are caught on the main thread: ERR_ENGINE_DH without workerCode', async () => {
  const a = await dh.generateKeyPair(2);
  const b = await dh.generateKeyPair(14);
  await rejectsWith(dh.computeSharedSecret(a, 'nope' as unknown as Uint8Array), 'ERR_ENGINE_DH', undefined, 'string peer key');
  await rejectsWith(dh.computeSharedSecret('nope' as unknown as Uint8Array, b.publicKey, 14), 'ERR_ENGINE_DH', undefined, 'string private key');
  await rejectsWith(dh.computeSharedSecret({ ...a, privateKey: [1, 2] } as unknown as PoolDhKeyPair, b.publicKey), 'ERR_ENGINE_DH', undefined, 'array private key');
  await rejectsWith(dh.generateKeyPair(5 as DhGroupId), 'ERR_ENGINE_DH', undefined, 'generate in group 5');
  await rejectsWith(dh.computeSharedSecret(a.privateKey, b.publicKey, 1 as DhGroupId), 'ERR_ENGINE_DH', undefined, 'agree in group 1');
  await rejectsWith(dh.computeSharedSecret({ ...a, group: 15 as DhGroupId }, b.publicKey), 'ERR_ENGINE_DH', undefined, 'pair in group 15');
  // A pair's group wins; a contradicting explicit group is refused rather than guessed at.
  const mixed = (dh.computeSharedSecret as (k: PoolDhKeyPair, y: Uint8Array, g: DhGroupId) => Promise<Uint8Array>).call(dh, a, b.publicKey, 14);
  await rejectsWith(mixed, 'ERR_ENGINE_DH', undefined, 'pair group 2, explicit group 14');
});

pooled('a shared pool is left open; a closed pool rejects with ERR_ENGINE_CLOSED', async () => {
  const pool = new EnginePool({ threads: 1 });
  const shared = new PoolDiffieHellman(pool);
  const a = await shared.generateKeyPair(2);
  await shared.close();
  assert.is(pool.isClosed, false);
  const inline = generateDhKeyPair(2);
  assert.is(hex(await shared.computeSharedSecret(a, inline.publicKey)), hex(inline.computeSecret(a.publicKey)));
  await pool.close();
  await rejectsWith(shared.generateKeyPair(2), 'ERR_ENGINE_CLOSED', undefined, 'after close');
});

pooled.run();
