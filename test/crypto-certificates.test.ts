// Certificates (D.1), key components (D.2), negotiation (D.3) and peer IDs (D.6), checked
// against the decodes of the captured handshakes and against peer-ids.json.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import {
  CryptoError,
  buildFlashClientCertificate,
  buildInitiatorComponents,
  buildResponderComponents,
  buildServerCertificate,
  canonicalEpd,
  certificateSignedPart,
  decodeCertificate,
  decodeKeyComponents,
  encodeCertificate,
  negotiateIntegrity,
  negotiateIntegrityOrThrow,
  openDatagram,
  peerIdFromCanonicalEpd,
  peerIdFromCertificate,
  peerIdFromHex,
  peerIdToHex,
  startupEnvelope,
  toHex,
  type IntegrityOffer,
} from '../src/crypto/index.js';
import { ByteReader } from '../src/wire/reader.js';
import { encodeOptionList } from '../src/wire/option.js';
import { curatedFiles, hex, rawScenarios, readJson } from './support/vectors.js';

interface OptionDecode {
  type: string;
  name: string;
  valueLen: number;
  group?: number;
  publicKeyLen?: number;
  text?: string;
  flags?: { byte: number };
  hmacLength?: number;
}
interface FieldDecode {
  len: number;
  hex: string;
  options: OptionDecode[];
  sha256?: string;
}
interface Chunk {
  name?: string;
  certificate?: FieldDecode;
  skic?: FieldDecode;
  skrc?: FieldDecode;
}
interface VectorFile {
  negotiation?: {
    initiator: { hmacFlags: number; hmacLen: number; sseqFlags: number };
    responder: { hmacFlags: number; hmacLen: number; sseqFlags: number };
    initiatorSendsHmac: boolean;
    responderSendsHmac: boolean;
    initiatorSendsSseq: boolean;
    responderSendsSseq: boolean;
  };
  datagrams?: { chunks?: Chunk[] }[];
}

function allChunks(): { file: string; chunk: Chunk }[] {
  return curatedFiles().flatMap((file) =>
    (readJson<VectorFile>(file).datagrams ?? []).flatMap((d) => (d.chunks ?? []).map((chunk) => ({ file, chunk }))),
  );
}

function isCode(code: string) {
  return (e: unknown) => e instanceof CryptoError && e.code === code;
}

const cert = suite('crypto certificates');

cert('every certificate in the handshake decodes as documented', () => {
  let n = 0;
  for (const { file, chunk } of allChunks()) {
    const f = chunk.certificate;
    if (!f) continue;
    const bytes = hex(f.hex);
    assert.is(bytes.length, f.len);
    const c = decodeCertificate(bytes);
    assert.is(c.options.length, f.options.length, `${file} option count`);
    assert.is(toHex(c.signedPart), f.hex, 'no marker: the whole field is signed');
    assert.is(c.unsignedOptions.length, 0);
    let ki = 0;
    let gi = 0;
    for (const [i, o] of f.options.entries()) {
      assert.is(c.options[i]!.type, parseInt(o.type, 16));
      assert.is(c.options[i]!.value.length, o.valueLen);
      if (o.name === 'staticDHPublicKey') {
        assert.is(c.staticKeys[ki]!.group, o.group);
        assert.is(c.staticKeys[ki]!.publicKey.length, o.publicKeyLen);
        ki++;
      } else if (o.name === 'supportedEphemeralDHGroup') {
        assert.is(c.ephemeralGroups[gi++], o.group);
      } else if (o.name === 'hostname') {
        assert.is(c.hostname, o.text);
      } else if (o.name === 'acceptsAncillaryData') {
        assert.ok(c.acceptsAncillaryData);
      } else if (o.name === 'extraRandomness') {
        assert.is(c.extraRandomness[0]!.length, o.valueLen);
      }
    }
    assert.is(c.staticKeys.length, ki);
    assert.is(c.ephemeralGroups.length, gi);
    // Generic option round trip reproduces the field exactly.
    assert.is(toHex(encodeOptionList(c.options)), f.hex);
    if (f.sha256 !== undefined) {
      assert.is(toHex(peerIdFromCertificate(bytes)), f.sha256);
      assert.is(toHex(peerIdFromCertificate(bytes)), createHash('sha256').update(bytes).digest('hex'));
    }
    // Builders reproduce the documented forms byte for byte.
    if (f.len === 132) {
      assert.is(f.hex.slice(0, 8), '81021d02');
      assert.is(toHex(buildFlashClientCertificate(c.staticKeys[0]!.publicKey)), f.hex, `${file} Flash client certificate`);
    }
    if (c.staticKeys.length > 0) {
      const spec = c.hostname === undefined ? { staticKeys: c.staticKeys } : { hostname: c.hostname, staticKeys: c.staticKeys };
      assert.is(toHex(encodeCertificate(spec)), f.hex, `${file} static certificate`);
    }
    if (f.hex.startsWith('010a410e')) {
      // Mona's layout: 01 0a, 41 0e <64>, 02 15 02, 02 15 05, 02 15 0e.
      assert.equal(c.ephemeralGroups, [2, 5, 14]);
      assert.is(toHex(buildServerCertificate({ randomness: c.extraRandomness[0]!, groups: c.ephemeralGroups })), f.hex);
    }
    n++;
  }
  assert.is(n, 29);
});

cert('server certificate builder: 77 bytes, group 2 first by default', () => {
  const c = buildServerCertificate();
  assert.is(c.length, 77);
  assert.is(toHex(c.subarray(0, 4)), '010a410e');
  assert.is(toHex(c.subarray(68)), '021502' + '02150e' + '021510');
  const d = decodeCertificate(c);
  assert.equal(d.ephemeralGroups, [2, 14, 16]);
  assert.ok(d.acceptsAncillaryData);
  const h = buildServerCertificate({ hostname: 'echo' });
  assert.is(toHex(h.subarray(0, 6)), '05006563686f');
  assert.is(decodeCertificate(h).hostname, 'echo');
});

cert('marker: only the part before it is signed and hashed', () => {
  const signed = buildFlashClientCertificate(new Uint8Array(128).fill(7));
  const withTrailer = encodeCertificate({
    staticKeys: [{ group: 2, publicKey: new Uint8Array(128).fill(7) }],
    unsignedOptions: [{ type: 0x0e, value: hex('aabb') }],
  });
  assert.is(withTrailer.length, signed.length + 1 + 4);
  const d = decodeCertificate(withTrailer);
  assert.is(toHex(d.signedPart), toHex(signed));
  assert.is(d.unsignedOptions.length, 1);
  assert.is(toHex(certificateSignedPart(withTrailer)), toHex(signed));
  assert.is(toHex(peerIdFromCertificate(withTrailer)), createHash('sha256').update(signed).digest('hex'));
  // A non-minimal marker (80 00) is a marker too.
  const odd = new Uint8Array([...signed, 0x80, 0x00, 0x03, 0x0e, 0xaa, 0xbb]);
  assert.is(toHex(decodeCertificate(odd).signedPart), toHex(signed));
});

cert('semantic errors are CryptoErrors', () => {
  assert.throws(() => decodeCertificate(hex('021d02')), isCode('ERR_CRYPTO_BAD_CERTIFICATE')); // static key, no key
  assert.throws(() => decodeCertificate(hex('03150202')), isCode('ERR_CRYPTO_BAD_CERTIFICATE')); // bytes after group
  assert.throws(() => decodeCertificate(hex('020061' + '020062')), isCode('ERR_CRYPTO_BAD_CERTIFICATE')); // two hostnames
  assert.throws(() => decodeCertificate(new Uint8Array(5000)), isCode('ERR_CRYPTO_BAD_LENGTH'));
  assert.throws(() => buildFlashClientCertificate(new Uint8Array(129)), isCode('ERR_CRYPTO_BAD_KEY'));
});

const kc = suite('crypto key components');

kc('every SKIC and SKRC decodes as documented; builders reproduce librtmfp and Mona forms', () => {
  let n = 0;
  for (const { file, chunk } of allChunks()) {
    for (const f of [chunk.skic, chunk.skrc]) {
      if (!f) continue;
      const bytes = hex(f.hex);
      const d = decodeKeyComponents(bytes);
      assert.is(d.options.length, f.options.length);
      for (const o of f.options) {
        if (o.name === 'dhGroupSelect') assert.is(d.groupSelect, o.group);
        else if (o.name === 'extraRandomness') assert.is(d.extraRandomness!.length, o.valueLen);
        else if (o.name === 'hmacNegotiation') {
          assert.is(d.hmac!.flags, o.flags!.byte);
          assert.is(d.hmac!.length, o.hmacLength);
        } else if (o.name === 'sseqNegotiation') assert.is(d.sseq!.flags, o.flags!.byte);
        else if (o.name === 'ephemeralDHPublicKey') {
          assert.is(d.ephemeralKey!.group, o.group);
          assert.is(d.ephemeralKey!.publicKey.length, o.publicKeyLen);
        } else assert.unreachable(`${file}: unexpected option ${o.name}`);
      }
      const ephemeral = d.ephemeralKey === undefined ? {} : { ephemeralKey: d.ephemeralKey };
      const random = d.extraRandomness === undefined ? {} : { extraRandomness: d.extraRandomness };
      if (f === chunk.skic) {
        // librtmfp and rtmfp-cpp both order SKIC as 0d/1d, 0e, 1a, 1e.
        const built = buildInitiatorComponents({
          ...ephemeral,
          ...random,
          ...(d.groupSelect === undefined ? {} : { groupSelect: d.groupSelect }),
          ...(d.hmac ? { hmac: d.hmac } : {}),
          ...(d.sseq ? { sseq: d.sseq } : {}),
        });
        assert.is(toHex(built), f.hex, `${file} SKIC`);
      } else if (f.hex.startsWith('031a0000021e00')) {
        assert.is(toHex(buildResponderComponents({ ...ephemeral, ...random })), f.hex, `${file} librtmfp/Mona SKRC`);
      }
      n++;
    }
  }
  assert.is(n, 23);
});

kc('responder builder default prefix is exactly 03 1a 00 00 02 1e 00', () => {
  const b = buildResponderComponents({ extraRandomness: new Uint8Array(64) });
  assert.is(toHex(b.subarray(0, 7)), '031a0000021e00');
  assert.is(b.length, 73);
});

kc('HMAC option: default length 16 when absent, limits enforced', () => {
  assert.is(decodeKeyComponents(hex('021a07')).hmac!.length, 16);
  assert.is(decodeKeyComponents(hex('031a0720')).hmac!.length, 32);
  assert.throws(() => decodeKeyComponents(hex('031a0721')), isCode('ERR_CRYPTO_BAD_KEY_COMPONENT'));
  assert.throws(() => decodeKeyComponents(hex('031a0203')), isCode('ERR_CRYPTO_BAD_KEY_COMPONENT'));
  assert.is(decodeKeyComponents(hex('031a0100')).hmac!.length, 0); // request only: length unused
  assert.throws(() => decodeKeyComponents(hex('021e07021e07')), isCode('ERR_CRYPTO_BAD_KEY_COMPONENT'));
  assert.throws(() => decodeKeyComponents(hex('020d02')), isCode('ERR_CRYPTO_BAD_KEY_COMPONENT'));
});

const neg = suite('crypto negotiation');

function offerOf(bytes: string): IntegrityOffer {
  const d = decodeKeyComponents(hex(bytes));
  return { hmac: d.hmac, sseq: d.sseq };
}

neg('reproduces every recorded negotiation, from both ends', () => {
  let n = 0;
  for (const file of curatedFiles()) {
    const v = readJson<VectorFile>(file);
    if (!v.negotiation) continue;
    const chunks = (v.datagrams ?? []).flatMap((d) => d.chunks ?? []);
    const i = offerOf(chunks.find((c) => c.skic)!.skic!.hex);
    const r = offerOf(chunks.find((c) => c.skrc)!.skrc!.hex);
    const g = v.negotiation;
    assert.is(i.hmac?.flags ?? 0, g.initiator.hmacFlags);
    assert.is(i.sseq?.flags ?? 0, g.initiator.sseqFlags);
    assert.is(r.hmac?.flags ?? 0, g.responder.hmacFlags);
    assert.is(i.hmac?.length ?? 0, g.initiator.hmacLen);
    assert.is(r.hmac?.length ?? 0, g.responder.hmacLen);
    const fromI = negotiateIntegrityOrThrow(i, r);
    const fromR = negotiateIntegrityOrThrow(r, i);
    assert.is(fromI.sendHmacLength > 0, g.initiatorSendsHmac, file);
    assert.is(fromR.sendHmacLength > 0, g.responderSendsHmac, file);
    assert.is(fromI.sendSequenceNumbers, g.initiatorSendsSseq);
    assert.is(fromR.sendSequenceNumbers, g.responderSendsSseq);
    // What one side sends is what the other expects.
    assert.is(fromI.sendHmacLength, fromR.receiveHmacLength);
    assert.is(fromR.sendHmacLength, fromI.receiveHmacLength);
    assert.is(fromI.sendSequenceNumbers, fromR.receiveSequenceNumbers);
    n++;
  }
  assert.is(n, 5);
});

neg('D.3 rules: request forces send-on-request; requirement without offer fails', () => {
  // mini-initiator (02, 16) against tcserver (07, 16): both send (tcserver requests).
  const mini = { hmac: { flags: 2, length: 16 }, sseq: { flags: 2 } };
  const tc = { hmac: { flags: 7, length: 16 }, sseq: { flags: 7 } };
  const a = negotiateIntegrityOrThrow(mini, tc);
  assert.equal([a.sendHmacLength, a.receiveHmacLength, a.sendSequenceNumbers, a.receiveSequenceNumbers], [16, 16, true, true]);
  // Different advertised lengths: each direction uses its sender's length.
  const b = negotiateIntegrityOrThrow({ hmac: { flags: 4, length: 10 } }, { hmac: { flags: 4, length: 20 } });
  assert.equal([b.sendHmacLength, b.receiveHmacLength], [10, 20]);
  // Anything requiring HMAC against Mona (00) fails, from either end.
  const mona = offerOf('031a0000021e00');
  const r1 = negotiateIntegrity(tc, mona);
  assert.is(r1.ok, false);
  assert.is(!r1.ok && r1.code, 'ERR_CRYPTO_NEGOTIATION_FAILED');
  assert.is(negotiateIntegrity(mona, tc).ok, false);
  assert.throws(() => negotiateIntegrityOrThrow(mona, { sseq: { flags: 1 } }), isCode('ERR_CRYPTO_NEGOTIATION_FAILED'));
  // Missing options mean flags 0: checksum, no SSEQ.
  assert.equal(negotiateIntegrityOrThrow({}, {}), { ok: true, sendHmacLength: 0, receiveHmacLength: 0, sendSequenceNumbers: false, receiveSequenceNumbers: false });
  // A side that will send must have a usable length.
  assert.is(negotiateIntegrity({ hmac: { flags: 4, length: 0 } }, {}).ok, false);
});

const pid = suite('crypto peer IDs');

/** Certificates in every raw capture's startup packets (IHello/RHello/IIKeying use the default key). */
function rawCertificates(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const startup = startupEnvelope();
  for (const sc of rawScenarios()) {
    for (const cap of sc.captures) {
      for (const d of cap.datagrams) {
        if (!d.hex) continue;
        let packet: Uint8Array;
        try {
          packet = openDatagram(hex(d.hex), startup).packet;
        } catch {
          continue; // a session packet
        }
        try {
          const r = new ByteReader(packet);
          const flags = r.u8();
          if ((flags & 3) !== 3) continue;
          if (flags & 0x08) r.u16();
          if (flags & 0x04) r.u16();
          while (r.remaining >= 3) {
            const type = r.u8();
            if (type === 0xff) break;
            const body = r.sub(r.u16());
            if (type === 0x70) {
              body.vluField(); // tag echo
              body.vluField(); // cookie
              out.push(body.rest());
            } else if (type === 0x38) {
              body.skip(4);
              body.vluField(); // cookie
              out.push(body.vluField());
            }
          }
        } catch {
          // 0xff padding read as a chunk: end of packet (wire-reference A.5)
        }
      }
    }
  }
  return out;
}

pid('peer-ids.json: every ID whose certificate crossed the wire is SHA-256 of it', () => {
  const { rows } = readJson<{ rows: { printedID: string; reproduced: boolean; scenario: string }[] }>('peer-ids.json');
  const ids = new Set<string>();
  const certs = rawCertificates();
  for (const c of certs) ids.add(toHex(peerIdFromCertificate(c)));
  for (const { chunk } of allChunks()) if (chunk.certificate) ids.add(toHex(peerIdFromCertificate(hex(chunk.certificate.hex))));
  let reproduced = 0;
  for (const row of rows) {
    if (row.reproduced) {
      assert.ok(ids.has(row.printedID), `${row.scenario}: ${row.printedID} not reproduced`);
      reproduced++;
    } else {
      assert.not.ok(ids.has(row.printedID), 'an ID recorded as not reproducible matched');
    }
  }
  assert.is(reproduced, 34);
  assert.ok(certs.length > 20, `only ${certs.length} certificates found in raw captures`);
});

pid('canonical EPD and hex helpers', () => {
  const id = peerIdFromHex('D98BF6FC3B0241ACB60AF44B9F70970F6252AA96C1B991AE122A54118A2FBA38');
  assert.is(peerIdToHex(id), 'd98bf6fc3b0241acb60af44b9f70970f6252aa96c1b991ae122a54118a2fba38');
  const epd = canonicalEpd(id);
  assert.is(toHex(epd.subarray(0, 2)), '210f');
  assert.is(epd.length, 34);
  assert.is(toHex(peerIdFromCanonicalEpd(epd)!), peerIdToHex(id));
  assert.is(peerIdFromCanonicalEpd(epd.subarray(0, 33)), undefined);
  assert.throws(() => peerIdFromHex('abc'), isCode('ERR_CRYPTO_BAD_HEX'));
  assert.throws(() => peerIdFromHex('zz'.repeat(32)), isCode('ERR_CRYPTO_BAD_HEX'));
  assert.throws(() => peerIdFromHex('00'.repeat(31)), isCode('ERR_CRYPTO_BAD_HEX'));
  assert.throws(() => canonicalEpd(new Uint8Array(31)), isCode('ERR_CRYPTO_BAD_LENGTH'));
});

cert.run();
kc.run();
neg.run();
pid.run();
