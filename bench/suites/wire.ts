import { randomBytes } from 'node:crypto';
import type { Bench } from 'tinybench';
import { Amf0Decoder, Amf0Encoder, Amf3Decoder, Amf3Encoder, type AmfValue } from '../../src/wire/amf/index.js';
import type { AnyChunk } from '../../src/wire/chunk.js';
import { ChunkType, PacketMode } from '../../src/wire/chunk-type.js';
import { FragmentControl } from '../../src/wire/chunks/user-data.js';
import { decodePacket, PacketBuilder, padToBlock, type PacketHeader } from '../../src/wire/packet.js';
import { ByteWriter } from '../../src/wire/writer.js';
import type { BenchSuite, SuiteHandle } from '../suite.js';

/**
 * Plaintext RTMFP packet codec (RFC 7016 §2.2.4, wire-reference §A.4/§A.5) per packet: a bulk
 * packet (one ~1100-byte User Data fragment plus an Ack Ranges chunk) and a chatty packet (one
 * User Data and seven Next User Data chunks of 100 bytes: small RTMP messages). Encoding reuses
 * one PacketBuilder and buffer, as the session layer does.
 */
const header: PacketHeader = { timeCritical: false, timeCriticalReverse: false, mode: PacketMode.Initiator, timestamp: 12345, timestampEcho: 54321 };

function bulkChunks(): AnyChunk[] {
  return [
    {
      type: ChunkType.UserData,
      fragmentControl: FragmentControl.Middle,
      abandon: false,
      final: false,
      flowId: 3,
      sequenceNumber: 100_000,
      fsnOffset: 12,
      data: randomBytes(1100),
    },
    { type: ChunkType.AckRanges, flowId: 2, bufferBlocksAvailable: 128, cumulativeAck: 99_990, ranges: [{ from: 99_992, to: 99_995 }] },
  ];
}

function chattyChunks(): AnyChunk[] {
  const chunks: AnyChunk[] = [
    {
      type: ChunkType.UserData,
      fragmentControl: FragmentControl.Whole,
      abandon: false,
      final: false,
      flowId: 5,
      sequenceNumber: 7000,
      fsnOffset: 3,
      data: randomBytes(100),
    },
  ];
  for (let i = 0; i < 7; i++) {
    chunks.push({ type: ChunkType.NextUserData, fragmentControl: FragmentControl.Whole, abandon: false, final: false, data: randomBytes(100) });
  }
  return chunks;
}

/**
 * A NetConnection.connect command as Flash sends it (RFC 7425 §5, wire-reference §E.4): name,
 * transaction ID, command object; and an AMF3 onMetaData-like object for the AMF3 codec.
 */
function connectCommand(): AmfValue[] {
  return [
    'connect',
    1,
    {
      app: 'live/room-42',
      flashVer: 'WIN 32,0,0,465',
      swfUrl: 'https://example.invalid/player.swf',
      tcUrl: 'rtmfp://example.invalid/live/room-42',
      fpad: false,
      capabilities: 239,
      audioCodecs: 3575,
      videoCodecs: 252,
      videoFunction: 1,
      pageUrl: 'https://example.invalid/room/42',
      objectEncoding: 3,
    },
  ];
}

function metaData(): AmfValue {
  return {
    duration: 0,
    width: 1280,
    height: 720,
    videocodecid: 7,
    audiocodecid: 10,
    framerate: 30,
    videodatarate: 2500,
    audiodatarate: 128,
    encoder: 'rtmfp-engine bench',
    tags: ['live', 'hd', 'stereo'],
  };
}

const suite: BenchSuite = {
  name: 'wire',
  description: 'RTMFP packet encode/decode (bulk: 1100-byte fragment + ack; chatty: 8 x 100-byte messages) per packet; AMF0 connect command and AMF3 metadata object encode/decode per message',
  async register(bench: Bench): Promise<SuiteHandle> {
    const units: Record<string, number> = {};
    for (const [label, chunks] of [
      ['bulk', bulkChunks()],
      ['chatty', chattyChunks()],
    ] as const) {
      const w = new ByteWriter(new Uint8Array(2048));
      const builder = new PacketBuilder(w);
      const encodeOnce = (): Uint8Array => {
        builder.begin(header, 0);
        for (const c of chunks) if (!builder.append(c)) throw new Error(`${label}: chunk does not fit`);
        padToBlock(w, 0);
        return w.buf.subarray(0, w.pos);
      };
      const encoded = Uint8Array.from(encodeOnce());
      const check = decodePacket(encoded);
      if (check.chunks.length !== chunks.length) throw new Error(`${label}: decoded ${check.chunks.length} of ${chunks.length} chunks`);
      bench.add(`packet-encode/${label}`, encodeOnce);
      bench.add(`packet-decode/${label}`, () => decodePacket(encoded));
      units[`packet-encode/${label}`] = 1;
      units[`packet-decode/${label}`] = 1;
    }

    // AMF: one value list / value per iteration (units = 1 message).
    const amf0e = new Amf0Encoder();
    const amf0d = new Amf0Decoder();
    const amf3e = new Amf3Encoder();
    const amf3d = new Amf3Decoder();
    const connect = connectCommand();
    const meta = metaData();
    const connectBytes = amf0e.encodeAll(connect);
    const metaBytes = amf3e.encode(meta);
    if (amf0d.decodeAll(connectBytes).length !== connect.length) throw new Error('AMF0 connect did not round-trip');
    bench.add('amf0-encode/connect', () => amf0e.encodeAll(connect));
    bench.add('amf0-decode/connect', () => amf0d.decodeAll(connectBytes));
    bench.add('amf3-encode/metadata', () => amf3e.encode(meta));
    bench.add('amf3-decode/metadata', () => amf3d.decode(metaBytes));
    return { unitsPerIteration: units };
  },
};

export default suite;
