// Captured chunk layouts against our state machines (vectors: ../shared/vectors/, see README):
// the responder takes librtmfp's and rtmfp-cpp's IHello and IIKeying up to the cookie check (their
// cookies are Mona's and tcserver's, so the refusal is precise), and with our own cookie swapped
// in the same IIKeying bytes complete a session; the initiator takes Mona's (64-byte) and
// tcserver's (65-byte) RHello when the tag is ours.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { socketAddressFromEndpoint } from '../src/wire/address.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import type { AnyChunk } from '../src/wire/chunk.js';
import type { IHelloChunk, RHelloChunk } from '../src/wire/chunks/hello.js';
import type { IIKeyingChunk } from '../src/wire/chunks/keying.js';
import { decodePacket } from '../src/wire/packet.js';
import {
  createFlashIdentity,
  createServerIdentity,
  DEFAULT_CRYPTO_OPS,
  HandshakeInitiator,
  HandshakeResponder,
  type HandshakeCryptoOps,
  type SendStartupAction,
} from '../src/session/handshake/index.js';
import { hex as fromHex, readJson, toHex as hex, vectorsAvailable } from './support/vectors.js';
import { seededRandom } from './handshake-support.js';

interface Datagram {
  n: number;
  from: string;
  length: number;
  plaintextHex: string;
  sessionID: string;
}

function firstChunk(d: Datagram): AnyChunk {
  // Startup plaintext = checksum (2) + packet (A.3).
  const packet = decodePacket(fromHex(d.plaintextHex).subarray(2));
  return packet.chunks[0]!;
}

function endpoint(text: string) {
  const i = text.lastIndexOf(':');
  return socketAddressFromEndpoint({ address: text.slice(0, i), port: Number(text.slice(i + 1)) });
}

function countingOps(): { ops: HandshakeCryptoOps; calls: () => number } {
  let n = 0;
  return {
    ops: { ...DEFAULT_CRYPTO_OPS, respondKeying: (...a) => (n++, DEFAULT_CRYPTO_OPS.respondKeying(...a)) },
    calls: () => n,
  };
}

const server = createServerIdentity();
const client = createFlashIdentity();
const files = ['mona-tc/handshake.json', 'cpp-tc/handshake-hmac-sseq.json', 'cpp-tc/handshake-checksum.json'];
const v = suite('handshake: captured vectors');

for (const file of files) {
  v(`${file}: our responder answers the IHello, refuses the foreign cookie, keys with ours`, () => {
    if (!vectorsAvailable()) return;
    const { datagrams } = readJson<{ datagrams: Datagram[] }>(file);
    const ihDatagram = datagrams.find((d) => firstChunk(d).type === ChunkType.IHello)!;
    const iiDatagram = datagrams.find((d) => firstChunk(d).type === ChunkType.IIKeying)!;
    const from = endpoint(iiDatagram.from);
    const counting = countingOps();
    const r = new HandshakeResponder({ identity: server, crypto: counting.ops, random: seededRandom(file) });

    const answer = r.onIHello(firstChunk(ihDatagram) as IHelloChunk, endpoint(ihDatagram.from), ihDatagram.length, 2000);
    assert.is(answer.length, 1, 'the EPD (ancillary data) selects a server certificate');
    const rhello = (answer[0] as SendStartupAction).chunk as RHelloChunk;
    assert.is(hex(rhello.tagEcho), hex((firstChunk(ihDatagram) as IHelloChunk).tag));
    assert.is(rhello.cookie.length, 64);

    const ii = firstChunk(iiDatagram) as IIKeyingChunk;
    const theirs = ii.cookieEcho;
    const expected = theirs.length === 64 ? { kind: 'bad', reason: 'mac' } : { kind: 'bad', reason: 'length' };
    assert.equal(r.cookies.verify(theirs, from, 2000), expected);
    assert.equal(r.onIIKeying(ii, from, iiDatagram.length, 2000), []);
    assert.is(r.counters.drops.badCookie, 1);
    assert.is(counting.calls(), 0);

    // The same IIKeying bytes with our cookie (the cookie of the RHello we sent) go all the way.
    const ours: IIKeyingChunk = { ...ii, cookieEcho: rhello.cookie };
    const out = r.onIIKeying(ours, endpoint(ihDatagram.from), iiDatagram.length, 2500);
    assert.equal(out.map((x) => x.kind), ['established', 'sendStartup']);
    assert.is(counting.calls(), 1);
    const est = out[0]!.kind === 'established' ? out[0]!.session : undefined;
    assert.is(hex(est!.farSessionId), hex(ii.initiatorSessionId));
    assert.is(est!.farPeerId.length, 32);
    const send = out[1] as SendStartupAction;
    assert.is(hex(send.sessionId), hex(ii.initiatorSessionId), 'RIKeying goes out with SSID = initiator session ID');
  });
}

v('peer IDs of captured certificates: the responder reports SHA-256 of the certificate (peer-ids.json)', () => {
  if (!vectorsAvailable()) return;
  const { datagrams } = readJson<{ datagrams: (Datagram & { chunks: { certificate?: { sha256?: string } }[] })[] }>('mona-tc/handshake.json');
  const iiDatagram = datagrams.find((d) => firstChunk(d).type === ChunkType.IIKeying)!;
  const r = new HandshakeResponder({ identity: server, random: seededRandom('p') });
  const from = endpoint(iiDatagram.from);
  const ii = firstChunk(iiDatagram) as IIKeyingChunk;
  const out = r.onIIKeying({ ...ii, cookieEcho: r.cookies.issue(from, 0) }, from, iiDatagram.length, 0);
  const est = out.find((x) => x.kind === 'established');
  assert.ok(est && est.kind === 'established');
  assert.is(hex(est.session.farPeerId), iiDatagram.chunks[0]!.certificate!.sha256!);
});

const rh = suite('handshake: captured RHello layouts at our initiator');

const rhelloFiles = [
  ['mona-tc/handshake.json', 64],
  ['cpp-tc/handshake-hmac-sseq.json', 65],
] as const;

for (const [file, cookieLength] of rhelloFiles) {
  rh(`${file}: ${cookieLength}-byte cookie accepted once the tag is ours; IIKeying echoes it exactly`, () => {
    if (!vectorsAvailable()) return;
    const { datagrams } = readJson<{ datagrams: Datagram[] }>(file);
    const ih = firstChunk(datagrams.find((d) => firstChunk(d).type === ChunkType.IHello)!) as IHelloChunk;
    const rhDatagram = datagrams.find((d) => firstChunk(d).type === ChunkType.RHello)!;
    const theirs = firstChunk(rhDatagram) as RHelloChunk;
    assert.is(theirs.cookie.length, cookieLength);
    const ini = new HandshakeInitiator({ identity: client, random: seededRandom(file) });
    const { attemptId, actions } = ini.open(ih.epd.slice(), [endpoint(rhDatagram.from)], 0);
    const tag = ((actions[0] as SendStartupAction).chunk as IHelloChunk).tag;
    // Their tag is not ours: ignored.
    assert.equal(ini.onRHello(theirs, endpoint(rhDatagram.from), 10), []);
    const out = ini.onRHello({ ...theirs, tagEcho: tag }, endpoint(rhDatagram.from), 20);
    assert.is(out.length, 1);
    const iik = (out[0] as SendStartupAction).chunk as IIKeyingChunk;
    assert.is(iik.type, ChunkType.IIKeying);
    assert.is(hex(iik.cookieEcho), hex(theirs.cookie));
    assert.is(hex(iik.skic.subarray(0, 3)), '021d02', 'group 2 selected from the responder ephemeral groups');
    assert.is(hex(iik.initiatorCertificate), hex(client.certificate));
    assert.is(ini.attempt(attemptId)!.state, 'keyingSent');
    // A 66-byte cookie (tcserver after 128 s) is just as opaque.
    if (cookieLength === 65) {
      const ini2 = new HandshakeInitiator({ identity: client, random: seededRandom('66') });
      const t2 = ((ini2.open(ih.epd.slice(), [endpoint(rhDatagram.from)], 0).actions[0] as SendStartupAction).chunk as IHelloChunk).tag;
      const c66 = new Uint8Array(66);
      c66.set([0x81, 0x00]);
      c66.set(theirs.cookie.subarray(1), 2);
      const out2 = ini2.onRHello({ ...theirs, tagEcho: t2, cookie: c66 }, endpoint(rhDatagram.from), 1);
      assert.is(hex(((out2[0] as SendStartupAction).chunk as IIKeyingChunk).cookieEcho), hex(c66));
    }
  });
}

v.run();
rh.run();
