// Fixed-byte examples from wire-reference A.1 (VLU, options), A.4 (flags), A.6 (addresses),
// A.7 (EPDs), C.2 (Mona return flow header) and C.3 (ack range cursor).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AddressOrigin,
  ByteReader,
  ByteWriter,
  ChunkType,
  decodeAckRangesBody,
  decodeChunk,
  decodeEpd,
  decodeNextUserDataBody,
  decodeOptionList,
  decodePacket,
  decodePacketHeader,
  decodeSocketAddress,
  decodeUserDataBody,
  encodeChunkToBytes,
  encodeEpd,
  encodeSocketAddress,
  epdAncillaryText,
  fingerprintEpd,
  formatIp,
  formatSocketAddress,
  FragmentControl,
  packetFlags,
  PacketHeader,
  PacketMode,
  socketAddressFromEndpoint,
  socketAddressToEndpoint,
  WireError,
  WireErrorCode,
  writePacketHeader,
  type AckRangesChunk,
  type UserDataChunk,
} from '../src/wire/index.js';
import { TransportError } from '../src/transport/index.js';
import { fromHex, hexOf, Prng } from './wire-prng.js';

const vlu = suite('wire A.1 VLU');

const VLU_TABLE: [number, string][] = [
  [0, '00'],
  [127, '7f'],
  [128, '8100'],
  [130, '8102'],
  [16383, 'ff7f'],
  [65407, '83fe7f'],
  [2000001, 'fa8901'],
];

vlu('table values encode and decode', () => {
  for (const [value, hex] of VLU_TABLE) {
    const w = new ByteWriter();
    w.vlu(value);
    assert.is(hexOf(w.written()), hex, `encode ${value}`);
    const r = new ByteReader(fromHex(hex));
    assert.is(r.vlu(), value, `decode ${hex}`);
    assert.ok(r.atEnd());
  }
});

vlu('non-minimal forms are accepted, overflow past 2^53 is a Limit error', () => {
  assert.is(new ByteReader(fromHex('808001')).vlu(), 1);
  const big = new ByteWriter();
  big.vlu(Number.MAX_SAFE_INTEGER);
  assert.is(new ByteReader(big.written()).vlu(), Number.MAX_SAFE_INTEGER);
  try {
    new ByteReader(fromHex('ffffffffffffffff7f')).vlu();
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, WireError);
    assert.is((e as WireError).code, WireErrorCode.Limit);
  }
});

vlu('options: 05 00 54 43 04 00 and 01 0a', () => {
  const opts = decodeOptionList(fromHex('05005443040001' + '0a'));
  assert.is(opts.length, 2);
  assert.is(opts[0]!.type, 0);
  assert.is(hexOf(opts[0]!.value), '54430400');
  assert.is(opts[1]!.type, 0x0a);
  assert.is(opts[1]!.value.length, 0);
});
vlu.run();

const flags = suite('wire A.4 packet flags');

// Every flags byte in A.4's observed table, with what it means.
const FLAGS: [string, Omit<PacketHeader, 'timestamp' | 'timestampEcho'> & { ts: boolean; tse: boolean }][] = [
  ['0b', { timeCritical: false, timeCriticalReverse: false, ts: true, tse: false, mode: PacketMode.Startup }],
  ['8d', { timeCritical: true, timeCriticalReverse: false, ts: true, tse: true, mode: PacketMode.Initiator }],
  ['81', { timeCritical: true, timeCriticalReverse: false, ts: false, tse: false, mode: PacketMode.Initiator }],
  ['01', { timeCritical: false, timeCriticalReverse: false, ts: false, tse: false, mode: PacketMode.Initiator }],
  ['0d', { timeCritical: false, timeCriticalReverse: false, ts: true, tse: true, mode: PacketMode.Initiator }],
  ['4e', { timeCritical: false, timeCriticalReverse: true, ts: true, tse: true, mode: PacketMode.Responder }],
  ['4a', { timeCritical: false, timeCriticalReverse: true, ts: true, tse: false, mode: PacketMode.Responder }],
  ['c2', { timeCritical: true, timeCriticalReverse: true, ts: false, tse: false, mode: PacketMode.Responder }],
  ['ce', { timeCritical: true, timeCriticalReverse: true, ts: true, tse: true, mode: PacketMode.Responder }],
  ['0e', { timeCritical: false, timeCriticalReverse: false, ts: true, tse: true, mode: PacketMode.Responder }],
  ['02', { timeCritical: false, timeCriticalReverse: false, ts: false, tse: false, mode: PacketMode.Responder }],
  ['89', { timeCritical: true, timeCriticalReverse: false, ts: true, tse: false, mode: PacketMode.Initiator }],
  ['8a', { timeCritical: true, timeCriticalReverse: false, ts: true, tse: false, mode: PacketMode.Responder }],
  ['8e', { timeCritical: true, timeCriticalReverse: false, ts: true, tse: true, mode: PacketMode.Responder }],
];

flags('observed flags bytes decode and re-encode', () => {
  for (const [hex, want] of FLAGS) {
    const bytes = fromHex(hex + '1234' + '5678');
    const { header, chunksStart } = decodePacketHeader(bytes);
    assert.is(header.timeCritical, want.timeCritical, hex);
    assert.is(header.timeCriticalReverse, want.timeCriticalReverse, hex);
    assert.is(header.mode, want.mode, hex);
    assert.is(header.timestamp, want.ts ? 0x1234 : undefined, hex);
    assert.is(header.timestampEcho, want.tse ? (want.ts ? 0x5678 : 0x1234) : undefined, hex);
    assert.is(chunksStart, 1 + (want.ts ? 2 : 0) + (want.tse ? 2 : 0), hex);
    assert.is(packetFlags(header).toString(16).padStart(2, '0'), hex);
    const w = new ByteWriter();
    writePacketHeader(w, header);
    assert.is(hexOf(w.written()), hexOf(bytes.subarray(0, chunksStart)), hex);
  }
});

flags('mode 0 decodes (for the session mode check) but does not encode', () => {
  assert.is(decodePacketHeader(fromHex('00')).header.mode, PacketMode.Invalid);
  assert.throws(() => packetFlags({ timeCritical: false, timeCriticalReverse: false, mode: 0 }), (e: unknown) => e instanceof WireError);
});

flags('stop rules: padding, 0x00, overrun, short tail; unknown chunks reported', () => {
  // 4d is librtmfp's private close reason: unknown to us, skipped, reported.
  const p = decodePacket(fromHex('02' + '4d000101' + '4c0000' + 'ffffff'));
  assert.is(p.chunks.length, 2);
  assert.equal(p.chunks[0], { type: 'unknown', chunkType: 0x4d, body: fromHex('01') });
  assert.is(p.chunks[1]!.type, ChunkType.SessionCloseAck);
  assert.is(p.stopReason, 'padding');
  assert.is(hexOf(p.trailing), 'ffffff');
  assert.is(decodePacket(fromHex('02' + '4c0000' + '000000')).stopReason, 'null');
  assert.is(decodePacket(fromHex('02' + '4c0000' + '010005ab')).stopReason, 'overrun');
  const short = decodePacket(fromHex('02' + '4c0000' + 'ab01'));
  assert.is(short.stopReason, 'end');
  assert.is(short.chunks.length, 1);
});
flags.run();

const addr = suite('wire A.6 socket addresses');

addr('captured IPv4 addresses (cpp-intro Redirect and Forwarded IHello)', () => {
  const a = decodeSocketAddress(fromHex('007f000001bddb'));
  assert.is(formatSocketAddress(a), '127.0.0.1:48603');
  assert.is(a.origin, AddressOrigin.Unknown);
  const b = decodeSocketAddress(fromHex('027f0000018a1b'));
  assert.equal(socketAddressToEndpoint(b), { address: '127.0.0.1', port: 35355, family: 4, origin: AddressOrigin.Observed });
  assert.is(hexOf(encodeSocketAddress(socketAddressFromEndpoint({ address: '127.0.0.1', port: 35355, origin: 2 }))), '027f0000018a1b');
  // Mona's "peer is gone": 0.0.0.0:0, origin 0 (B.6).
  assert.is(formatSocketAddress(decodeSocketAddress(fromHex('00000000000000'))), '0.0.0.0:0');
});

addr('IPv6 with origin bits', () => {
  const bytes = fromHex('83' + '00000000000000000000000000000001' + '0050');
  const a = decodeSocketAddress(bytes);
  assert.is(a.family, 6);
  assert.is(a.origin, AddressOrigin.Relay);
  assert.is(formatSocketAddress(a), '[::1]:80');
  assert.is(hexOf(encodeSocketAddress(socketAddressFromEndpoint({ address: '::1', port: 80, family: 'IPv6', origin: 3 }))), hexOf(bytes));
  const v4mapped = socketAddressFromEndpoint({ address: '::ffff:192.0.2.1', port: 1 });
  assert.is(hexOf(v4mapped.ip), '00000000000000000000ffffc0000201');
  assert.is(hexOf(socketAddressFromEndpoint({ address: 'fe80::1%eth0', port: 1 }).ip), 'fe800000000000000000000000000001');
});

addr('IPv6 text form agrees with the WHATWG URL serializer (independent RFC 5952 reference)', () => {
  const rng = new Prng(6);
  for (let i = 0; i < 2000; i++) {
    const ip = rng.bytes(16);
    // Make zero runs common so compression is exercised.
    for (let k = 0; k < 8; k++) if (rng.int(3) === 0) ip[2 * k] = ip[2 * k + 1] = 0;
    const text = formatIp({ family: 6, ip });
    assert.is(`[${text}]`, new URL(`http://[${text}]/`).hostname);
    assert.is(hexOf(socketAddressFromEndpoint({ address: text, port: 9 }).ip), hexOf(ip));
  }
});

addr('bad input is a WireError', () => {
  for (const h of ['', '00', '007f0000', '807f000001bddb', '007f000001bddb00']) {
    assert.throws(() => decodeSocketAddress(fromHex(h)), (e: unknown) => e instanceof WireError, h);
  }
  for (const t of ['1.2.3', '1.2.3.256', '1::2::3', 'x::1', '1:2:3:4:5:6:7:8:9']) {
    assert.throws(() => socketAddressFromEndpoint({ address: t, port: 1 }), (e: unknown) => e instanceof TransportError && e.code === 'ERR_TRANSPORT_ADDRESS', t);
  }
});
addr.run();

const epd = suite('wire A.7 endpoint discriminators');

epd('tcconn URI EPD and librtmfp path EPD', () => {
  const uri = 'rtmfp://127.0.0.1:19551/live';
  const bytes = fromHex('1d0a' + Buffer.from(uri).toString('hex'));
  const d = decodeEpd(bytes);
  assert.is(epdAncillaryText(d), uri);
  assert.is(d.fingerprint, undefined);
  assert.is(hexOf(encodeEpd({ ancillaryData: uri })), hexOf(bytes));
  assert.is(hexOf(encodeEpd({ ancillaryData: 'live' })), '050a6c697665');
});

epd('fingerprint EPD is 21 0f + 32 bytes, first; fcclient adds ancillary data after it', () => {
  const fp = fromHex('475ccf214e810cbc5f481e00b0af860b353f3afd7f9a627b0b1a3378e4cc26cf');
  const canonical = fingerprintEpd(fp);
  assert.is(hexOf(canonical), '210f' + hexOf(fp));
  const fc = fromHex('210f' + hexOf(fp) + '070a72746d66703a');
  const d = decodeEpd(fc);
  assert.is(hexOf(d.fingerprint!), hexOf(fp));
  assert.is(epdAncillaryText(d), 'rtmfp:');
  assert.is(hexOf(encodeEpd({ fingerprint: fp, ancillaryData: 'rtmfp:' })), hexOf(fc));
  const h = decodeEpd(encodeEpd({ requiredHostname: 'echo' }));
  assert.is(h.requiredHostname, 'echo');
  assert.throws(() => decodeEpd(fromHex('030f0102')), (e: unknown) => e instanceof WireError);
  assert.throws(() => decodeEpd(fromHex('0300ff80')), (e: unknown) => e instanceof WireError);
});
epd.run();

const ud = suite('wire C.1/C.2 user data');

ud('Mona return flow header 80 01 01 01 05 00 54 43 04 00 02 0a 02 00', () => {
  const body = fromHex('8001010105005443040002' + '0a0200' + 'abcd');
  const c = decodeUserDataBody(body);
  assert.is(c.flowId, 1);
  assert.is(c.sequenceNumber, 1);
  assert.is(c.fsnOffset, 1);
  assert.is(c.fragmentControl, FragmentControl.Whole);
  assert.not.ok(c.abandon);
  assert.not.ok(c.final);
  assert.is(hexOf(c.options!.userMetadata!), '54430400');
  assert.is(c.options!.returnFlowAssociation, 2);
  assert.is(c.options!.otherOptions, undefined);
  assert.is(hexOf(c.data), 'abcd');
  assert.is(hexOf(encodeChunkToBytes(c)), '100010' + hexOf(body));
  // the data is a view into the input, not a copy
  assert.is(c.data.buffer, body.buffer);
});

ud('abandon and close forms (C.1): 02 flow seq 00 and 03 with no data', () => {
  const abn = decodeUserDataBody(fromHex('02030500'));
  assert.equal([abn.abandon, abn.final, abn.flowId, abn.sequenceNumber, abn.fsnOffset, abn.data.length], [true, false, 3, 5, 0, 0]);
  const fin = decodeUserDataBody(fromHex('03010301'));
  assert.equal([fin.abandon, fin.final, fin.sequenceNumber, fin.fsnOffset], [true, true, 3, 1]);
  const nud = decodeNextUserDataBody(fromHex('30ab'));
  assert.is(nud.fragmentControl, FragmentControl.Middle);
  assert.is(hexOf(nud.data), 'ab');
});

ud('OPT without a marker, FSN offset above the sequence number: WireError', () => {
  assert.throws(() => decodeUserDataBody(fromHex('800101010500544304')), (e: unknown) => e instanceof WireError);
  assert.throws(() => decodeUserDataBody(fromHex('00010203')), (e: unknown) => e instanceof WireError);
});
ud.run();

const ack = suite('wire C.3 ack ranges');

ack('running cursor: C=5, (0,1) then (2,0) = received 7..8 and 12', () => {
  const body = fromHex('024005' + '0001' + '0200');
  const c = decodeAckRangesBody(body);
  assert.equal(c.ranges, [
    { from: 7, to: 8 },
    { from: 12, to: 12 },
  ]);
  assert.is(c.flowId, 2);
  assert.is(c.bufferBlocksAvailable, 64);
  assert.is(hexOf(encodeChunkToBytes(c)), '510007' + hexOf(body));
});

ack('captured acks: 51 0003 02 40 01 and Mona 51 0005 02 83fe7f 01', () => {
  const a = decodeChunk(0x51, fromHex('024001')) as AckRangesChunk;
  assert.equal([a.flowId, a.bufferBlocksAvailable, a.cumulativeAck, a.ranges.length], [2, 64, 1, 0]);
  const m = decodeChunk(0x51, fromHex('0283fe7f01')) as AckRangesChunk;
  assert.is(m.bufferBlocksAvailable, 65407);
});

ack('adjacent or unsorted ranges cannot be encoded', () => {
  const base = { type: ChunkType.AckRanges, flowId: 1, bufferBlocksAvailable: 1, cumulativeAck: 5 } as const;
  for (const ranges of [[{ from: 6, to: 6 }], [{ from: 7, to: 8 }, { from: 9, to: 9 }], [{ from: 9, to: 8 }]]) {
    assert.throws(() => encodeChunkToBytes({ ...base, ranges }), (e: unknown) => e instanceof WireError);
  }
});
ack.run();

// Keep the type import used (UserDataChunk documents the shape decoded above).
export type _UserData = UserDataChunk;
