// Round trips of every chunk type with seeded random fields, the packet builder's size limits,
// padding, Next User Data resolution, ack range truncation and the startup/session mode table.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ackBitmapFromReceived,
  ackBitmapReceived,
  ackRangesThatFit,
  bufferBlocksForBytes,
  ByteWriter,
  chunkAllowedInMode,
  chunkBodyLength,
  ChunkType,
  decodeChunk,
  decodePacket,
  encodeChunkToBytes,
  encodedChunkLength,
  encodePacket,
  iiKeyingSignedBytes,
  PacketBuilder,
  PacketMode,
  padToBlock,
  rangesFromReceived,
  resolveUserData,
  riKeyingSignedBytes,
  SESSION_CHUNK_TYPES,
  STARTUP_CHUNK_TYPES,
  WireError,
  type AckRangesChunk,
  type AnyChunk,
  type PacketHeader,
} from '../src/wire/index.js';
import { fromHex, hexOf, Prng } from './wire-prng.js';
import { ALL_CHUNK_TYPES, comparable, randomChunk, randomRanges } from './wire-random.js';

const rt = suite('wire chunk round trips');

rt('every chunk type: 2000 random values each encode, decode and re-encode identically', () => {
  const rng = new Prng(0x7016);
  for (const type of ALL_CHUNK_TYPES) {
    for (let i = 0; i < 2000; i++) {
      const c = randomChunk(rng, type);
      const bytes = encodeChunkToBytes(c);
      assert.is(bytes.length, encodedChunkLength(c), `0x${type.toString(16)} length`);
      assert.is(bytes[0], type);
      assert.is((bytes[1]! << 8) | bytes[2]!, bytes.length - 3);
      const d = decodeChunk(type, bytes.subarray(3));
      assert.equal(comparable(d), c, `0x${type.toString(16)} case ${i}`);
      assert.is(hexOf(encodeChunkToBytes(d)), hexOf(bytes));
      if (d.type === ChunkType.IIKeying) assert.is(hexOf(d.signedBytes!), hexOf(iiKeyingSignedBytes(c as typeof d)));
      if (d.type === ChunkType.RIKeying) {
        const skic = rng.bytes(10);
        assert.is(hexOf(riKeyingSignedBytes(d.responderSessionId, d.skrc, skic)), hexOf(d.signedBytes!) + hexOf(skic));
      }
    }
  }
});

rt('unknown chunk types pass through untouched', () => {
  const c: AnyChunk = { type: 'unknown', chunkType: 0x4d, body: fromHex('0102') };
  assert.is(hexOf(encodeChunkToBytes(c)), '4d00020102');
  assert.equal(decodeChunk(0x4d, fromHex('0102')), c);
});

rt('encoders refuse what decoders would refuse', () => {
  const bad: AnyChunk[] = [
    { type: ChunkType.IHello, epd: new Uint8Array(0), tag: new Uint8Array(65) },
    { type: ChunkType.RHello, tagEcho: new Uint8Array(16), cookie: new Uint8Array(257), responderCertificate: new Uint8Array(0) },
    { type: ChunkType.IIKeying, initiatorSessionId: new Uint8Array(3), cookieEcho: new Uint8Array(0), initiatorCertificate: new Uint8Array(0), skic: new Uint8Array(0), signature: new Uint8Array(0) },
    { type: ChunkType.EcnReport, congestionExperiencedCount: 256 },
    { type: ChunkType.UserData, flowId: 1, sequenceNumber: 1, fsnOffset: 2, fragmentControl: 0, abandon: false, final: false, data: new Uint8Array(0) },
    { type: ChunkType.Ping, message: new Uint8Array(70000) },
  ];
  for (const c of bad) assert.throws(() => encodeChunkToBytes(c), (e: unknown) => e instanceof WireError, String(c.type));
});
rt.run();

const pk = suite('wire packet builder');

const SESSION_HEADER: PacketHeader = { timeCritical: false, timeCriticalReverse: true, mode: PacketMode.Responder, timestamp: 0x1234 };

pk('random session chunk mixes stay under the limit and decode back in order', () => {
  const rng = new Prng(42);
  const sessionTypes = [...SESSION_CHUNK_TYPES];
  const buf = new Uint8Array(1400);
  const w = new ByteWriter(buf);
  const builder = new PacketBuilder(w);
  for (let round = 0; round < 500; round++) {
    const max = 64 + rng.int(1200);
    builder.maxLength = max;
    const header: PacketHeader = { ...SESSION_HEADER, timestampEcho: rng.bool() ? rng.int(65536) : undefined };
    if (header.timestampEcho === undefined) delete header.timestampEcho;
    builder.begin(header, 0);
    const appended: AnyChunk[] = [];
    for (let tries = 0; tries < 40; tries++) {
      const c = randomChunk(rng, rng.pick(sessionTypes));
      const before = w.pos;
      const fits = builder.fits(c);
      const ok = builder.append(c);
      assert.is(ok, fits);
      if (ok) appended.push(c);
      else assert.is(w.pos, before, 'a refused chunk writes nothing');
      assert.ok(builder.length <= max, `packet ${builder.length} > ${max}`);
    }
    assert.is(builder.chunkCount, appended.length);
    const p = decodePacket(builder.bytes());
    assert.equal(p.header, header);
    assert.equal(p.chunks.map(comparable), appended);
    assert.is(p.stopReason, 'end');
  }
});

pk('room() is exact: a chunk of exactly room() bytes fits, one more does not', () => {
  const w = new ByteWriter(new Uint8Array(200));
  const b = new PacketBuilder(w, 100).begin({ timeCritical: false, timeCriticalReverse: false, mode: PacketMode.Initiator });
  assert.is(b.room(), 100 - 1 - 3);
  assert.not.ok(b.append({ type: ChunkType.Ping, message: new Uint8Array(97) }));
  assert.ok(b.append({ type: ChunkType.Ping, message: new Uint8Array(96) }));
  assert.is(b.length, 100);
  assert.is(b.room(), -1);
  assert.not.ok(b.append({ type: ChunkType.SessionCloseAck }));
});

pk('encodePacket refuses to exceed the maximum size', () => {
  const w = new ByteWriter(new Uint8Array(4000));
  const chunks: AnyChunk[] = [{ type: ChunkType.Ping, message: new Uint8Array(1189) }];
  assert.throws(() => encodePacket(w, SESSION_HEADER, chunks), (e: unknown) => e instanceof WireError);
  assert.is(encodePacket(new ByteWriter(new Uint8Array(4000)), { ...SESSION_HEADER, timestamp: undefined }, [{ type: ChunkType.Ping, message: new Uint8Array(1188) }]), 1192);
});

pk('ack ranges truncate to the room left and keep the lowest ranges', () => {
  const rng = new Prng(7);
  for (let i = 0; i < 300; i++) {
    const cumulativeAck = rng.int(1e9);
    const ack: AckRangesChunk = { type: ChunkType.AckRanges, flowId: rng.int(1000), bufferBlocksAvailable: 64, cumulativeAck, ranges: randomRanges(rng, cumulativeAck, 200) };
    const max = 8 + rng.int(600);
    const w = new ByteWriter(new Uint8Array(1400));
    const b = new PacketBuilder(w, max).begin({ timeCritical: false, timeCriticalReverse: false, mode: PacketMode.Initiator });
    const n = b.appendAckRanges(ack);
    assert.ok(b.length <= max);
    const expect = ackRangesThatFit(ack, max - 4);
    assert.is(n, expect);
    if (n < 0) {
      assert.is(b.length, 1);
      continue;
    }
    const got = decodePacket(b.bytes()).chunks[0] as AckRangesChunk;
    assert.equal(got.ranges, ack.ranges.slice(0, n));
    if (n < ack.ranges.length) {
      // the next range really would not have fitted
      assert.ok(chunkBodyLength({ ...ack, ranges: ack.ranges.slice(0, n + 1) }) > max - 4);
    }
  }
});

pk('padToBlock pads the encrypted region (which may start before the packet) with 0xff', () => {
  for (let prefix = 0; prefix < 3; prefix++) {
    for (let len = 0; len < 40; len++) {
      const w = new ByteWriter(new Uint8Array(128));
      w.fill(0xaa, 4); // SSID, outside the region
      const regionStart = w.pos;
      w.fill(0x11, prefix + len);
      const pad = padToBlock(w, regionStart);
      assert.is((w.pos - regionStart) % 16, 0);
      assert.ok(pad < 16);
      assert.ok(w.written().subarray(w.pos - pad).every((x) => x === 0xff));
    }
  }
});
pk.run();

const misc = suite('wire user data resolution, acks, modes');

misc('Next User Data takes flow, sequence + 1 and FSN from the latest user data, across other chunks', () => {
  const p = decodePacket(
    fromHex(
      '4a1234' +
        '100005' + '00020903' + 'aa' + // UserData flow 2 seq 9 fsnOffset 3
        '110002' + '00bb' + // NUD -> seq 10
        '510003' + '024001' + // an ack in between
        '110002' + '10cc' + // NUD -> seq 11, FRA begin
        '100005' + '00050100' + 'dd' + // UserData flow 5 seq 1 fsnOffset 0
        '110001' + '03', // NUD -> flow 5 seq 2, ABN|FIN, no data
    ),
  );
  const r = resolveUserData(p.chunks);
  assert.equal(
    r.map((x) => [x.flowId, x.sequenceNumber, x.forwardSequenceNumber]),
    [
      [2, 9, 6],
      [2, 10, 6],
      [2, 11, 6],
      [5, 1, 1],
      [5, 2, 1],
    ],
  );
  assert.throws(() => resolveUserData(decodePacket(fromHex('01' + '110001' + '00')).chunks), (e: unknown) => e instanceof WireError);
});

misc('ack bitmap: bit k (LSB first) = cumulativeAck + 2 + k [?]', () => {
  const bitmap = ackBitmapFromReceived(10, [12, 13, 20]);
  assert.is(hexOf(bitmap), '0301');
  const c = decodeChunk(0x50, fromHex('02400a0301'));
  assert.equal(c, { type: ChunkType.AckBitmap, flowId: 2, bufferBlocksAvailable: 64, cumulativeAck: 10, bitmap: fromHex('0301') });
  assert.equal(ackBitmapReceived(c as { cumulativeAck: number; bitmap: Uint8Array }), [12, 13, 20]);
  const rng = new Prng(3);
  for (let i = 0; i < 500; i++) {
    const cum = rng.int(1e6);
    const set = new Set<number>();
    for (let k = rng.int(30); k > 0; k--) set.add(cum + 2 + rng.int(200));
    const list = [...set].sort((a, b) => a - b);
    assert.equal(ackBitmapReceived({ cumulativeAck: cum, bitmap: ackBitmapFromReceived(cum, list) }), list);
  }
});

misc('rangesFromReceived merges adjacent numbers; buffer blocks round up', () => {
  assert.equal(rangesFromReceived(5, [7, 8, 9, 12, 14, 15]), [
    { from: 7, to: 9 },
    { from: 12, to: 12 },
    { from: 14, to: 15 },
  ]);
  assert.throws(() => rangesFromReceived(5, [6]), (e: unknown) => e instanceof WireError);
  assert.equal([0, 1, 1024, 1025, 65536].map(bufferBlocksForBytes), [0, 1, 1, 2, 64]);
});

misc('mode table: startup chunks only in MOD 3, session chunks only in MOD 1/2, MOD 0 never', () => {
  for (const t of STARTUP_CHUNK_TYPES) {
    assert.ok(chunkAllowedInMode(t, PacketMode.Startup));
    assert.not.ok(chunkAllowedInMode(t, PacketMode.Initiator));
    assert.not.ok(chunkAllowedInMode(t, PacketMode.Responder));
  }
  for (const t of SESSION_CHUNK_TYPES) {
    assert.not.ok(chunkAllowedInMode(t, PacketMode.Startup));
    assert.ok(chunkAllowedInMode(t, PacketMode.Initiator));
    assert.ok(chunkAllowedInMode(t, PacketMode.Responder));
  }
  assert.ok(chunkAllowedInMode(ChunkType.ForwardedIHello, PacketMode.Responder));
  assert.not.ok(chunkAllowedInMode(ChunkType.UserData, PacketMode.Invalid));
  for (const t of ALL_CHUNK_TYPES) {
    assert.ok(STARTUP_CHUNK_TYPES.has(t) || SESSION_CHUNK_TYPES.has(t) || t === ChunkType.PacketFragment, `0x${t.toString(16)} classified`);
  }
});
misc.run();
