// The datagram envelope (wire-reference A.2, A.3) against every curated datagram that has both
// rawHex and plaintextHex: open with the recorded key, compare the plaintext, SSEQ and integrity,
// then re-seal and compare with the captured bytes (zero IV makes encryption deterministic).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createCipheriv } from 'node:crypto';
import {
  CryptoError,
  aesCbcZeroIvInPlace,
  datagramCiphertextLength,
  defaultKey,
  deriveSessionKeysHex,
  finishDatagram,
  internetChecksum,
  isDefaultKey,
  keysForRole,
  openDatagram,
  parsePlaintext,
  plaintextPrefixLength,
  preparePlaintext,
  readSessionId,
  readSessionIdValue,
  sealDatagram,
  startupEnvelope,
  toHex,
  verifyDatagramHmac,
  type EnvelopeParams,
} from '../src/crypto/index.js';
import { curatedFiles, hex, readJson } from './support/vectors.js';

interface Datagram {
  n: number;
  direction: string;
  rawHex: string;
  plaintextHex?: string;
  sessionID?: string;
  key?: string | null;
  what?: string;
  integrity?: { checksum?: string; hmac?: string };
  sessionSequenceNumber?: number;
  paddingLength?: number;
  chunks?: { skic?: { hex: string }; skrc?: { hex: string } }[];
}
interface KeyBlock {
  session: string;
  derived: {
    initiatorToResponderAesKey: string;
    responderToInitiatorAesKey: string;
    initiatorToResponderHmacKey: string;
    responderToInitiatorHmacKey: string;
  };
}
interface VectorFile {
  keyDerivation?: KeyBlock;
  p2pKeyDerivation?: KeyBlock;
  sessionKeysInThisCapture?: KeyBlock[];
  sessionKeys?: { secretHex: string; txKey: string; rxKey: string; txHmacLen: number; rxHmacLen: number; txSseq: boolean; rxSseq: boolean } | null;
  datagrams: Datagram[];
}

const STARTUP_WHAT = /^(IHello|RHello|IIKeying|RIKeying|RHelloCookieChange)/;

/** Candidate envelopes for one datagram, from the keys recorded in the same file. */
function candidates(v: VectorFile, d: Datagram): EnvelopeParams[] {
  if (d.key === 'default key' || (d.what !== undefined && STARTUP_WHAT.test(d.what))) return [startupEnvelope()];
  if (typeof d.key === 'string') {
    const m = /^session key \((initiator->responder|responder->initiator), hmacLen (\d+), sseq (true|false)\)$/.exec(d.key);
    assert.ok(m, `unrecognised key label ${d.key}`);
    const i2r = m![1] === 'initiator->responder';
    const blocks = [v.keyDerivation, v.p2pKeyDerivation, ...(v.sessionKeysInThisCapture ?? [])].filter((b) => b !== undefined);
    // "I <-> R": an I->R datagram carries R's session ID, an R->I datagram carries I's.
    const matching = blocks.filter((b) => b.session.split(' <-> ')[i2r ? 1 : 0] === d.sessionID);
    assert.ok(matching.length > 0, `no key block for session ${d.sessionID}`);
    return matching.map((b) => ({
      key: hex(i2r ? b.derived.initiatorToResponderAesKey : b.derived.responderToInitiatorAesKey),
      hmacKey: hex(i2r ? b.derived.initiatorToResponderHmacKey : b.derived.responderToInitiatorHmacKey),
      hmacLength: Number(m![2]),
      sequenceNumbers: m![3] === 'true',
    }));
  }
  // mini/*: our own initiator; session keys from its note, HMAC keys re-derived with the KDF.
  const sk = v.sessionKeys;
  assert.ok(sk, `no keys for datagram ${d.n}`);
  const chunks = v.datagrams.flatMap((x) => x.chunks ?? []);
  const keys = keysForRole(deriveSessionKeysHex(sk!.secretHex, chunks.find((c) => c.skic)!.skic!.hex, chunks.find((c) => c.skrc)!.skrc!.hex), 'initiator');
  const tx = d.direction.startsWith('mini-initiator');
  return [
    {
      key: hex(tx ? sk!.txKey : sk!.rxKey),
      hmacKey: tx ? keys.send.hmacKey : keys.receive.hmacKey,
      hmacLength: tx ? sk!.txHmacLen : sk!.rxHmacLen,
      sequenceNumbers: tx ? sk!.txSseq : sk!.rxSseq,
    },
  ];
}

const env = suite('crypto envelope vectors');

env('open and re-seal every curated datagram with a plaintext', () => {
  let opened = 0;
  let hmacs = 0;
  let sseqs = 0;
  for (const file of curatedFiles()) {
    const v = readJson<VectorFile>(file);
    for (const d of v.datagrams ?? []) {
      if (d.plaintextHex === undefined || d.rawHex === undefined) continue;
      const raw = hex(d.rawHex);
      const where = `${file} #${d.n}`;
      let match: { params: EnvelopeParams; result: ReturnType<typeof openDatagram> } | undefined;
      for (const params of candidates(v, d)) {
        try {
          const result = openDatagram(raw, params);
          if (toHex(result.plaintext) === d.plaintextHex) match = { params, result };
        } catch (e) {
          if (!(e instanceof CryptoError)) throw e;
        }
      }
      assert.ok(match, `${where}: no recorded key opens it to plaintextHex`);
      const { params, result } = match!;
      if (d.sessionID !== undefined) assert.is(toHex(result.sessionId), d.sessionID, `${where} session ID`);
      if (d.sessionSequenceNumber !== undefined) {
        assert.is(result.sessionSequenceNumber, d.sessionSequenceNumber, `${where} SSEQ`);
        sseqs++;
      }
      if (d.integrity?.hmac !== undefined) {
        assert.is(params.hmacLength, d.integrity.hmac.length / 2);
        assert.is(d.rawHex.slice(-params.hmacLength * 2), d.integrity.hmac, `${where} HMAC bytes`);
        hmacs++;
      }
      if (d.integrity?.checksum !== undefined) {
        assert.is(params.hmacLength, 0, `${where} checksum mode`);
        assert.is(d.plaintextHex.slice(result.sessionSequenceNumber >= 0 ? 2 : 0).slice(0, 4), d.integrity.checksum);
      }
      // Re-seal. With the recorded padding length we can strip the padding and let the sealer
      // add it back; mini/* records no padding length, so there we re-seal the padded packet.
      const pad = d.paddingLength ?? 0;
      const packet = result.packet.subarray(0, result.packet.length - pad);
      assert.ok(result.packet.subarray(result.packet.length - pad).every((b) => b === 0xff), `${where} 0xff padding`);
      const sseq = result.sessionSequenceNumber >= 0 ? result.sessionSequenceNumber : undefined;
      const resealed = sealDatagram(result.sessionId, packet, params, sseq);
      assert.is(toHex(resealed), d.rawHex, `${where} re-seal`);
      opened++;
    }
  }
  assert.is(opened, 208, 'the vectors README counts 208 entries with a plaintext');
  assert.ok(hmacs >= 37 && sseqs >= 37, `hmac ${hmacs} sseq ${sseqs}`);
});

env('split form equals the one-shot form, at an offset inside a larger buffer', () => {
  const v = readJson<VectorFile>('cpp-tc/session-hmac-sseq.json');
  let n = 0;
  for (const d of v.datagrams) {
    const raw = hex(d.rawHex);
    const params = candidates(v, d).find((p) => {
      try {
        openDatagram(raw, p);
        return true;
      } catch {
        return false;
      }
    })!;
    // Open, split: length -> HMAC -> AES -> parse.
    const body = datagramCiphertextLength(raw.length, params.hmacLength);
    verifyDatagramHmac(raw, params);
    const plain = raw.slice(4, 4 + body);
    aesCbcZeroIvInPlace('decrypt', params.key, plain);
    const info = parsePlaintext(plain, params);
    assert.is(toHex(plain), d.plaintextHex);
    assert.is(info.sessionSequenceNumber, d.sessionSequenceNumber);
    // Seal, split, 100 bytes into a shared buffer.
    const buf = new Uint8Array(4096).fill(0xaa);
    const at = 100;
    const prefix = plaintextPrefixLength(params, info.sessionSequenceNumber);
    assert.is(prefix, info.packetOffset);
    const packet = plain.subarray(info.packetOffset, plain.length - d.paddingLength!);
    buf.set(packet, at + 4 + prefix);
    const bodyLength = preparePlaintext(buf, at + 4, packet.length, params, info.sessionSequenceNumber);
    assert.is(bodyLength, body);
    aesCbcZeroIvInPlace('encrypt', params.key, buf.subarray(at + 4, at + 4 + bodyLength));
    const total = finishDatagram(buf, at, bodyLength, readSessionId(raw), params);
    assert.is(toHex(buf.subarray(at, at + total)), d.rawHex);
    assert.is(buf[at - 1], 0xaa);
    assert.is(buf[at + total], 0xaa);
    n++;
  }
  assert.is(n, 22);
});

const unit = suite('crypto envelope units');

unit('default key is "Adobe Systems 02"', () => {
  assert.is(toHex(defaultKey()), '41646f62652053797374656d73203032');
  assert.ok(isDefaultKey(new TextEncoder().encode('Adobe Systems 02')));
  assert.not.ok(isDefaultKey(new Uint8Array(16)));
});

unit('checksum: RFC 1071 words, odd trailing byte as the LOW-order byte', () => {
  // Independent reference: straightforward ones'-complement sum.
  const ref = (b: Uint8Array): number => {
    let s = 0;
    for (let i = 0; i + 1 < b.length; i += 2) s += b[i]! * 256 + b[i + 1]!;
    if (b.length % 2) s += b[b.length - 1]!;
    while (s > 0xffff) s = (s % 65536) + Math.floor(s / 65536);
    return 0xffff - s;
  };
  assert.is(internetChecksum(hex('0001f203f4f5f6f7')), ref(hex('0001f203f4f5f6f7')));
  assert.is(internetChecksum(hex('0001f203f4f5f6f7')), 0x220d);
  assert.is(internetChecksum(hex('01')), 0xfffe); // low-order: ~0x0001, not ~0x0100
  assert.is(internetChecksum(new Uint8Array(0)), 0xffff);
  assert.is(internetChecksum(new Uint8Array(200000).fill(0xff)), 0); // folding over long input
  for (let len = 0; len < 300; len++) {
    const b = new Uint8Array(len).map(() => (Math.random() * 256) | 0);
    assert.is(internetChecksum(b), ref(b), `length ${len}`);
  }
  const b = hex('00112233445566');
  assert.is(internetChecksum(b, 1, 6), ref(b.subarray(1, 6)));
});

unit('session ID is the XOR of the first three words; zero means startup', () => {
  const d = hex('01020304' + '10203040' + 'a0b0c0d0' + '00'.repeat(4));
  assert.is(toHex(readSessionId(d)), toHex(new Uint8Array([0x01 ^ 0x10 ^ 0xa0, 0x02 ^ 0x20 ^ 0xb0, 0x03 ^ 0x30 ^ 0xc0, 0x04 ^ 0x40 ^ 0xd0])));
  assert.is(readSessionIdValue(d), 0xb192f394);
  assert.is(toHex(readSessionId(hex('01020304'))), '01020304'); // short ciphertext padded with zeros
  assert.throws(() => readSessionId(hex('010203')), (e: unknown) => e instanceof CryptoError && e.code === 'ERR_CRYPTO_BAD_LENGTH');
});

unit('ciphertext is plain AES-128-CBC with a zero IV (cross-check against node:crypto)', () => {
  const params: EnvelopeParams = { key: hex('000102030405060708090a0b0c0d0e0f'), hmacLength: 0, sequenceNumbers: false };
  const packet = hex('0b000030002f');
  const sealed = sealDatagram(hex('00000000'), packet, params);
  assert.is(sealed.length, 4 + 16);
  const plain = new Uint8Array(16).fill(0xff);
  plain.set(packet, 2);
  const sum = internetChecksum(plain, 2);
  plain[0] = sum >> 8;
  plain[1] = sum & 0xff;
  const c = createCipheriv('aes-128-cbc', params.key, new Uint8Array(16)).setAutoPadding(false);
  assert.is(toHex(sealed.subarray(4)), toHex(c.update(plain)));
  const o = openDatagram(sealed, params);
  assert.is(toHex(o.packet.subarray(0, packet.length)), toHex(packet));
  assert.is(o.sessionSequenceNumber, -1);
});

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof CryptoError) return e.code;
    throw e;
  }
  return 'no error';
}

unit('open rejects wrong lengths, keys, HMACs and checksums with typed errors', () => {
  const hk = hex('11'.repeat(32));
  const p16: EnvelopeParams = { key: hex('22'.repeat(16)), hmacKey: hk, hmacLength: 16, sequenceNumbers: true };
  const sealed = sealDatagram(hex('00000002'), hex('8d00010300'), p16, 300);
  const o = openDatagram(sealed, p16);
  assert.is(o.sessionSequenceNumber, 300);
  assert.is(toHex(o.sessionId), '00000002');
  const flipped = sealed.slice();
  flipped[10]! ^= 1;
  assert.is(code(() => openDatagram(flipped, p16)), 'ERR_CRYPTO_BAD_HMAC');
  const mac = sealed.slice();
  mac[mac.length - 1]! ^= 0x80;
  assert.is(code(() => openDatagram(mac, p16)), 'ERR_CRYPTO_BAD_HMAC');
  assert.is(code(() => openDatagram(sealed.subarray(0, sealed.length - 1), p16)), 'ERR_CRYPTO_BAD_LENGTH');
  assert.is(code(() => openDatagram(sealed, { ...p16, hmacLength: 3 })), 'ERR_CRYPTO_BAD_LENGTH');
  assert.is(code(() => openDatagram(sealed, { ...p16, hmacKey: undefined })), 'ERR_CRYPTO_BAD_KEY');
  assert.is(code(() => openDatagram(sealed, { ...p16, key: new Uint8Array(15) })), 'ERR_CRYPTO_BAD_KEY');
  assert.is(code(() => openDatagram(new Uint8Array(4), startupEnvelope())), 'ERR_CRYPTO_BAD_LENGTH');
  assert.is(code(() => openDatagram(new Uint8Array(4 + 8208), startupEnvelope())), 'ERR_CRYPTO_BAD_LENGTH');

  const pc = startupEnvelope();
  const s2 = sealDatagram(hex('00000000'), hex('0b0000300000'), pc);
  const bad = s2.slice();
  bad[4 + 15]! ^= 4; // last ciphertext block changes -> its plaintext changes -> checksum fails
  assert.is(code(() => openDatagram(bad, pc)), 'ERR_CRYPTO_BAD_CHECKSUM');
  // Wrong key: decrypts to noise; the checksum catches it.
  assert.is(code(() => openDatagram(s2, { ...pc, key: hex('33'.repeat(16)) })), 'ERR_CRYPTO_BAD_CHECKSUM');
  // Seal-side parameter checks.
  assert.is(code(() => sealDatagram(hex('00000000'), new Uint8Array(0), pc)), 'ERR_CRYPTO_BAD_LENGTH');
  assert.is(code(() => sealDatagram(hex('00000000'), new Uint8Array(8191), pc)), 'ERR_CRYPTO_BAD_LENGTH');
  assert.is(code(() => sealDatagram(hex('000000'), hex('0b'), pc)), 'ERR_CRYPTO_BAD_LENGTH');
  assert.is(code(() => sealDatagram(hex('00000000'), hex('0b'), p16)), 'ERR_CRYPTO_BAD_PLAINTEXT'); // SSEQ missing
});

unit('SSEQ VLU of odd length with a checksum (odd-length checksum input) round-trips', () => {
  const p: EnvelopeParams = { key: hex('44'.repeat(16)), hmacLength: 0, sequenceNumbers: true };
  for (const sseq of [0, 127, 128, 16383, 16384, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
    const s = sealDatagram(hex('01000000'), hex('4a1234'), p, sseq);
    const o = openDatagram(s, p);
    assert.is(o.sessionSequenceNumber, sseq);
    assert.is(toHex(o.packet.subarray(0, 3)), '4a1234');
  }
});

env.run();
unit.run();
