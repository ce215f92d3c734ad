// D.4 / D.5 key derivation against every recorded derivation in the captured vectors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { deriveSessionKeys, deriveSessionKeysHex, keysForRole, toHex, fromHex } from '../src/crypto/index.js';
import { curatedFiles, readJson, vectorsAvailable } from './support/vectors.js';

interface Derived {
  initiatorToResponderAesKey: string;
  responderToInitiatorAesKey: string;
  initiatorToResponderHmacKey: string;
  responderToInitiatorHmacKey: string;
  initiatorNonce: string;
  responderNonce: string;
}
interface KeyBlock {
  session: string;
  dhSecretHex: string;
  skicHex: string;
  skrcHex: string;
  derived: Derived;
}
interface MiniKeys {
  secretHex: string;
  txKey: string;
  rxKey: string;
  nearNonce: string;
  farNonce: string;
}
interface ChunkDecode {
  name?: string;
  skic?: { hex: string };
  skrc?: { hex: string };
}
interface VectorFile {
  keyDerivation?: KeyBlock;
  p2pKeyDerivation?: KeyBlock;
  sessionKeysInThisCapture?: KeyBlock[];
  sessionKeys?: MiniKeys | null;
  datagrams?: { chunks?: ChunkDecode[] }[];
}

const kdf = suite('crypto kdf');

kdf('vectors are present', () => {
  assert.ok(vectorsAvailable(), 'shared vectors folder missing');
});

function checkBlock(file: string, block: KeyBlock): void {
  const k = deriveSessionKeysHex(block.dhSecretHex, block.skicHex, block.skrcHex);
  const d = block.derived;
  const where = `${file} ${block.session}`;
  assert.is(toHex(k.initiatorToResponder.aesKey), d.initiatorToResponderAesKey, `${where} I2R AES`);
  assert.is(toHex(k.responderToInitiator.aesKey), d.responderToInitiatorAesKey, `${where} R2I AES`);
  assert.is(toHex(k.initiatorToResponder.hmacKey), d.initiatorToResponderHmacKey, `${where} I2R HMAC`);
  assert.is(toHex(k.responderToInitiator.hmacKey), d.responderToInitiatorHmacKey, `${where} R2I HMAC`);
  assert.is(toHex(k.initiatorNonce), d.initiatorNonce, `${where} initiator nonce`);
  assert.is(toHex(k.responderNonce), d.responderNonce, `${where} responder nonce`);
}

kdf('every keyDerivation, p2pKeyDerivation and sessionKeysInThisCapture entry', () => {
  let blocks = 0;
  for (const file of curatedFiles()) {
    const v = readJson<VectorFile>(file);
    for (const b of [v.keyDerivation, v.p2pKeyDerivation, ...(v.sessionKeysInThisCapture ?? [])]) {
      if (b === undefined) continue;
      checkBlock(file, b);
      blocks++;
    }
  }
  // 6 curated handshake derivations + the per-capture lists; at least the 20 sessions of H.
  assert.ok(blocks >= 20, `only ${blocks} derivation blocks found`);
});

kdf('every mini/* sessionKeys, from the SKIC/SKRC in that file', () => {
  let checked = 0;
  for (const file of curatedFiles().filter((f) => f.startsWith('mini/'))) {
    const v = readJson<VectorFile>(file);
    if (!v.sessionKeys) continue;
    const chunks = (v.datagrams ?? []).flatMap((d) => d.chunks ?? []);
    const skic = chunks.find((c) => c.skic)?.skic?.hex;
    const skrc = chunks.find((c) => c.skrc)?.skrc?.hex;
    assert.ok(skic && skrc, `${file}: SKIC/SKRC not found`);
    // The mini-initiator is the initiator: tx = I2R, near nonce = initiator nonce.
    const near = keysForRole(deriveSessionKeysHex(v.sessionKeys.secretHex, skic!, skrc!), 'initiator');
    assert.is(toHex(near.send.aesKey), v.sessionKeys.txKey, `${file} tx`);
    assert.is(toHex(near.receive.aesKey), v.sessionKeys.rxKey, `${file} rx`);
    assert.is(toHex(near.nearNonce), v.sessionKeys.nearNonce, `${file} near nonce`);
    assert.is(toHex(near.farNonce), v.sessionKeys.farNonce, `${file} far nonce`);
    checked++;
  }
  assert.is(checked, 2);
});

kdf('a padded secret is stripped (D.4): same keys with and without leading zeros', () => {
  const v = readJson<VectorFile>('cpp-tc/handshake-hmac-sseq.json');
  const b = v.keyDerivation!;
  const padded = '0000' + b.dhSecretHex;
  const k = deriveSessionKeysHex(padded, b.skicHex, b.skrcHex);
  assert.is(toHex(k.initiatorToResponder.aesKey), b.derived.initiatorToResponderAesKey);
});

kdf('role views swap directions and nonces', () => {
  const k = deriveSessionKeys(fromHex('0102030405'), fromHex('aa'), fromHex('bb'));
  const i = keysForRole(k, 'initiator');
  const r = keysForRole(k, 'responder');
  assert.equal(i.send, r.receive);
  assert.equal(i.receive, r.send);
  assert.equal(i.nearNonce, r.farNonce);
  assert.not.equal(toHex(k.initiatorToResponder.aesKey), toHex(k.responderToInitiator.aesKey));
  assert.throws(() => deriveSessionKeys(new Uint8Array(3), fromHex('aa'), fromHex('bb')), (e: Error & { code?: string }) => e.code === 'ERR_CRYPTO_BAD_KEY');
});

kdf.run();
