// Decodes every curated captured datagram (../shared/vectors/*/*.json, except encrypted-only.json)
// with the wire codec and checks header and chunk fields against the documented decode, then
// re-encodes the packet (plus the original prefix and padToBlock) and compares all the bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ByteReader,
  ByteWriter,
  ChunkType,
  decodeEpd,
  decodeOptionList,
  decodePacket,
  encodePacket,
  formatSocketAddress,
  padToBlock,
  PacketMode,
  resolveUserData,
  STARTUP_CHUNK_TYPES,
  type AnyChunk,
  type RtmfpOption,
  type SocketAddress,
  type UserDataOptions,
} from '../src/wire/index.js';
import { createDecipheriv } from 'node:crypto';
import { curatedFiles, rawScenarios, readJson, vectorsAvailable } from './support/vectors.js';
import { fromHex, hexOf } from './wire-prng.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the vector JSON is untyped by nature */
type Json = any;

interface Datagram {
  n: number | string;
  plaintextHex?: string;
  integrity?: { checksum?: string; hmac?: string };
  sessionSequenceNumber?: number;
  header?: Json;
  chunks?: Json[];
  paddingLength?: number;
  annotation?: { off: number; len: number; hex: string; field: string }[];
}

const MODE_NAMES: Record<string, number> = { initiator: PacketMode.Initiator, responder: PacketMode.Responder, startup: PacketMode.Startup };

/** Vector hex strings ending with an ellipsis are heads of longer values. */
function sameHex(actual: Uint8Array, expected: string, what: string): void {
  if (expected.endsWith('\u2026')) {
    const head = expected.slice(0, -1);
    assert.is(hexOf(actual).slice(0, head.length), head, what);
  } else {
    assert.is(hexOf(actual), expected, what);
  }
}

function checkAddress(a: SocketAddress, v: Json, what: string): void {
  assert.is(formatSocketAddress(a), v.address, `${what} address`);
  assert.is(a.origin, v.origin, `${what} origin`);
  assert.is(a.family, v.family === 'IPv6' ? 6 : 4, `${what} family`);
}

function checkEpd(epd: Uint8Array, v: Json, what: string): void {
  assert.is(hexOf(epd), v.hex, `${what} EPD bytes`);
  const d = decodeEpd(epd);
  assert.is(d.options.length, v.options.length, `${what} EPD options`);
  v.options.forEach((o: Json, i: number) => {
    const got = d.options[i]!;
    assert.is(got.type, parseInt(o.type, 16), `${what} EPD option ${i} type`);
    assert.is(got.value.length, o.valueLen, `${what} EPD option ${i} length`);
    if (o.text !== undefined) assert.is(Buffer.from(got.value).toString('utf8'), o.text);
    if (o.value !== undefined) assert.is(hexOf(got.value), o.value);
  });
  if (v.options[0] && parseInt(v.options[0].type, 16) === 0x0f) assert.is(hexOf(d.fingerprint!), v.options[0].value);
}

function checkField(bytes: Uint8Array, v: Json, what: string): void {
  assert.is(bytes.length, v.len, `${what} length`);
  sameHex(bytes, v.hex, what);
}

function checkUserDataOptions(o: UserDataOptions | undefined, v: Json[] | undefined, what: string): void {
  if (!v || v.length === 0) return;
  assert.ok(o, `${what} options present`);
  // The documented decode lists options in wire order; ours splits metadata/association/others.
  const flat: RtmfpOption[] = [];
  for (const x of v) flat.push(...decodeOptionList(fromHex(x.raw)));
  let meta = 0;
  let assoc = 0;
  let other = 0;
  for (let i = 0; i < v.length; i++) {
    const type = parseInt(v[i].type, 16);
    if (type === 0 && meta++ === 0) {
      assert.is(hexOf(o!.userMetadata!), v[i].metadata?.hex ?? hexOf(flat[i]!.value), `${what} metadata`);
    } else if (type === 0x0a && assoc++ === 0) {
      assert.is(o!.returnFlowAssociation, v[i].flowID, `${what} return flow association`);
    } else {
      assert.is(o!.otherOptions![other++]!.type, type, `${what} other option`);
    }
  }
}

function flagsOf(c: { fragmentControl: number; abandon: boolean; final: boolean; options?: unknown }, v: Json, what: string): void {
  const names = ['whole', 'begin', 'end', 'middle'];
  assert.is(c.options !== undefined, v.options, `${what} OPT`);
  assert.is(names[c.fragmentControl], v.fragment, `${what} FRA`);
  assert.is(c.abandon, v.abandon, `${what} ABN`);
  assert.is(c.final, v.final, `${what} FIN`);
}

function checkChunk(c: AnyChunk, v: Json, resolved: Map<AnyChunk, { flowId: number; sequenceNumber: number; forwardSequenceNumber: number }>, what: string): void {
  const type = parseInt(v.type, 16);
  assert.is(c.type === 'unknown' ? c.chunkType : c.type, type, `${what} type`);
  switch (c.type) {
    case ChunkType.IHello:
      assert.is(c.epd.length, v.epdLength);
      checkEpd(c.epd, v.epd, what);
      assert.is(hexOf(c.tag), v.tag);
      assert.is(c.tag.length, v.tagLength);
      break;
    case ChunkType.ForwardedIHello:
      checkEpd(c.epd, v.epd, what);
      checkAddress(c.replyAddress, v.replyAddress, `${what} reply`);
      assert.is(hexOf(c.tag), v.tag);
      break;
    case ChunkType.RHello:
      assert.is(hexOf(c.tagEcho), v.tag);
      assert.is(c.tagEcho.length, v.tagLength);
      assert.is(c.cookie.length, v.cookieLength);
      assert.is(hexOf(c.cookie), v.cookie);
      checkField(c.responderCertificate, v.certificate, `${what} certificate`);
      break;
    case ChunkType.Redirect:
      assert.is(hexOf(c.tagEcho), v.tag);
      assert.is(c.redirectDestinations.length, v.addresses.length, `${what} address count`);
      c.redirectDestinations.forEach((a, i) => checkAddress(a, v.addresses[i], `${what} address ${i}`));
      break;
    case ChunkType.CookieChange:
      assert.is(hexOf(c.oldCookie), v.oldCookie);
      assert.is(hexOf(c.newCookie), v.newCookie);
      assert.is(c.newCookie.length, v.newCookieLength);
      break;
    case ChunkType.IIKeying:
      assert.is(hexOf(c.initiatorSessionId), v.initiatorSessionID);
      assert.is(c.cookieEcho.length, v.cookieLength);
      assert.is(hexOf(c.cookieEcho), v.cookie);
      checkField(c.initiatorCertificate, v.certificate, `${what} certificate`);
      checkField(c.skic, v.skic, `${what} SKIC`);
      assert.is(c.signedBytes!.length, v.signedPartLength, `${what} signed part`);
      assert.is(hexOf(c.signature), v.signature);
      break;
    case ChunkType.RIKeying:
      assert.is(hexOf(c.responderSessionId), v.responderSessionID);
      checkField(c.skrc, v.skrc, `${what} SKRC`);
      assert.is(hexOf(c.signature), v.signature);
      assert.is(hexOf(c.signedBytes!), '' + v.responderSessionID + hexOf(new ByteWriter().vlu(c.skrc.length).written()) + hexOf(c.skrc));
      break;
    case ChunkType.Ping:
      assert.is(hexOf(c.message), v.message);
      break;
    case ChunkType.PingReply:
      assert.is(hexOf(c.messageEcho), v.message);
      break;
    case ChunkType.UserData:
      flagsOf(c, v.flags, what);
      assert.is(c.flowId, v.flowID);
      assert.is(c.sequenceNumber, v.sequenceNumber);
      assert.is(c.fsnOffset, v.fsnOffset);
      assert.is(resolved.get(c)!.forwardSequenceNumber, v.forwardSequenceNumber);
      checkUserDataOptions(c.options, v.options, what);
      assert.is(c.data.length, v.dataLength);
      sameHex(c.data, v.dataHex, `${what} data`);
      break;
    case ChunkType.NextUserData: {
      flagsOf(c, v.flags, what);
      const r = resolved.get(c)!;
      assert.is(r.flowId, v.flowID, `${what} implied flow`);
      assert.is(r.sequenceNumber, v.sequenceNumber, `${what} implied sequence number`);
      assert.is(r.forwardSequenceNumber, v.forwardSequenceNumber, `${what} implied FSN`);
      checkUserDataOptions(c.options, v.options, what);
      assert.is(c.data.length, v.dataLength);
      sameHex(c.data, v.dataHex, `${what} data`);
      break;
    }
    case ChunkType.AckRanges:
      assert.is(c.flowId, v.flowID);
      assert.is(c.bufferBlocksAvailable, v.bufferBlocksAvailable);
      assert.is(c.bufferBlocksAvailable * 1024, v.bufferBytesAvailable);
      assert.is(c.cumulativeAck, v.cumulativeAck);
      assert.equal(
        c.ranges,
        v.ranges.map((x: Json) => ({ from: x.from ?? x[0], to: x.to ?? x[1] })),
      );
      break;
    case ChunkType.SessionCloseRequest:
    case ChunkType.SessionCloseAck:
      assert.is(v.length, 0);
      break;
    case ChunkType.FlowExceptionReport:
      assert.is(c.flowId, v.flowID);
      assert.is(c.exceptionCode, v.exceptionCode ?? v.code);
      break;
    default:
      assert.unreachable(`${what}: no documented decode check for ${v.name}`);
  }
}

/** Where the RTMFP packet starts inside plaintextHex: after the SSEQ VLU and the checksum, if any. */
function packetStart(d: Datagram, plain: Uint8Array): number {
  const ann = d.annotation ?? [];
  const hasSseq = d.sessionSequenceNumber !== undefined || ann.some((a) => a.field.startsWith('session sequence number'));
  const hasChecksum = d.integrity ? d.integrity.checksum !== undefined : ann.some((a) => a.field.startsWith('Internet checksum'));
  const r = new ByteReader(plain);
  if (hasSseq) {
    const s = r.vlu();
    if (d.sessionSequenceNumber !== undefined) assert.is(s, d.sessionSequenceNumber, 'session sequence number');
  }
  if (hasChecksum) r.skip(2);
  const flagsAnn = ann.find((a) => a.field.startsWith('flags 0x'));
  if (flagsAnn) assert.is(r.pos, flagsAnn.off, 'packet start agrees with the annotation');
  return r.pos;
}

let datagrams = 0;
let chunkCount = 0;

test('every curated datagram decodes to the documented fields and re-encodes byte for byte', () => {
  if (!vectorsAvailable()) {
    console.warn('vectors not found; skipping');
    return;
  }
  const files = curatedFiles().filter((f) => !f.endsWith('encrypted-only.json'));
  assert.ok(files.length >= 20, `found ${files.length} curated files`);
  const scratch = new Uint8Array(8192);
  for (const file of files) {
    const doc = readJson<{ datagrams?: Datagram[] }>(file);
    if (!doc.datagrams) continue; // derivations / NetGroup message samples carry no packets
    for (const d of doc.datagrams) {
      if (!d.plaintextHex || !d.chunks) continue;
      const what = `${file}#${d.n}`;
      const plain = fromHex(d.plaintextHex);
      const start = packetStart(d, plain);
      const packetBytes = plain.subarray(start);
      const p = decodePacket(packetBytes);
      datagrams++;

      const flagsByte = packetBytes[0]!;
      if (d.header) {
        assert.is(flagsByte, d.header.flagsByte, `${what} flags`);
        assert.is(p.header.timeCritical, d.header.timeCritical, `${what} TC`);
        assert.is(p.header.timeCriticalReverse, d.header.timeCriticalReverse, `${what} TCR`);
        assert.is(p.header.mode, MODE_NAMES[d.header.mode], `${what} mode`);
        assert.is(p.header.timestamp !== undefined, d.header.hasTimestamp, `${what} TS`);
        assert.is(p.header.timestampEcho !== undefined, d.header.hasTimestampEcho, `${what} TSE`);
        if (d.header.hasTimestamp) assert.is(p.header.timestamp, d.header.timestamp, `${what} timestamp`);
        if (d.header.hasTimestampEcho) assert.is(p.header.timestampEcho, d.header.timestampEcho, `${what} echo`);
      } else {
        const ann = d.annotation!.find((a) => a.field.startsWith('flags 0x'))!;
        assert.is(flagsByte, parseInt(ann.hex, 16), `${what} flags`);
      }

      assert.is(p.chunks.length, d.chunks.length, `${what} chunk count`);
      const resolved = new Map<AnyChunk, { flowId: number; sequenceNumber: number; forwardSequenceNumber: number }>();
      for (const r of resolveUserData(p.chunks)) resolved.set(r.chunk, r);
      p.chunks.forEach((c, i) => checkChunk(c, d.chunks![i], resolved, `${what} chunk ${i} (${d.chunks![i].name})`));
      chunkCount += p.chunks.length;

      // Everything after the chunks is 0xff padding.
      assert.ok(p.trailing.every((b) => b === 0xff), `${what} trailing bytes are padding`);
      if (d.paddingLength !== undefined) assert.is(p.trailing.length, d.paddingLength, `${what} padding length`);

      // Re-encode: original prefix, our packet, our padding = the original plaintext exactly.
      const w = new ByteWriter(scratch);
      w.bytes(plain.subarray(0, start));
      encodePacket(w, p.header, p.chunks, 4256);
      assert.is(hexOf(w.written().subarray(start)), hexOf(packetBytes.subarray(0, p.chunksEnd)), `${what} re-encoded packet`);
      padToBlock(w, 0);
      assert.is(hexOf(w.written()), d.plaintextHex, `${what} re-encoded plaintext with padding`);
    }
  }
  assert.ok(datagrams >= 200, `decoded ${datagrams} datagrams`);
});

/** A.3 checksum, computed independently here: ones'-complement sum of 16-bit words, inverted. */
function internetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2) sum += b[b.length - 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

let rawStartup = 0;

test('every startup packet in the raw captures (default key, checksum verified) decodes and re-encodes', () => {
  if (!vectorsAvailable()) return;
  const key = Buffer.from('Adobe Systems 02', 'latin1');
  const iv = Buffer.alloc(16);
  const byType = new Map<number, number>();
  for (const s of rawScenarios()) {
    for (const cap of s.captures) {
      for (const dg of cap.datagrams) {
        const raw = Buffer.from(dg.hex, 'hex');
        if (raw.length < 20 || (raw.length - 4) % 16 !== 0) continue;
        const d = createDecipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
        const plain = new Uint8Array(Buffer.concat([d.update(raw.subarray(4)), d.final()]));
        if (((plain[0]! << 8) | plain[1]!) !== internetChecksum(plain.subarray(2))) continue;
        if ((plain[2]! & 0x03) !== PacketMode.Startup) continue;
        const what = `raw/${s.name}/${cap.file}#${dg.n}`;
        const p = decodePacket(plain.subarray(2));
        assert.ok(p.chunks.length > 0, `${what} has chunks`);
        for (const c of p.chunks) {
          assert.ok(c.type !== 'unknown' && STARTUP_CHUNK_TYPES.has(c.type), `${what} startup chunk`);
          byType.set(c.type as number, (byType.get(c.type as number) ?? 0) + 1);
        }
        assert.ok(p.trailing.every((x) => x === 0xff), `${what} padding`);
        const w = new ByteWriter(new Uint8Array(plain.length + 16));
        w.bytes(plain.subarray(0, 2));
        encodePacket(w, p.header, p.chunks, 4256);
        padToBlock(w, 0);
        assert.is(hexOf(w.written()), hexOf(plain), `${what} re-encoded`);
        rawStartup++;
      }
    }
  }
  assert.ok(rawStartup >= 100, `found ${rawStartup} startup packets`);
  // IHello, RHello, IIKeying, RIKeying and Redirect all occur in the raw captures.
  for (const t of [ChunkType.IHello, ChunkType.RHello, ChunkType.IIKeying, ChunkType.RIKeying, ChunkType.Redirect]) {
    assert.ok((byType.get(t) ?? 0) > 0, `chunk 0x${t.toString(16)} seen`);
  }
});

test('summary', () => {
  console.log(`  wire-vectors: ${rawStartup} raw startup packets decoded and re-encoded`);
  console.log(`  wire-vectors: ${datagrams} datagrams, ${chunkCount} chunks checked`);
});

test.run();
