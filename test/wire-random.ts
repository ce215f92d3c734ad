// Random chunk generators for the wire round-trip and fuzz tests (seeded through Prng).
import {
  ChunkType,
  FragmentControl,
  type AnyChunk,
  type Chunk,
  type SequenceRange,
  type SocketAddress,
  type UserDataOptions,
} from '../src/wire/index.js';
import { Prng } from './wire-prng.js';

export function randomAddress(rng: Prng): SocketAddress {
  const family = rng.bool() ? 4 : 6;
  return { family, ip: rng.bytes(family === 4 ? 4 : 16), port: rng.int(65536), origin: rng.int(4) as 0 | 1 | 2 | 3 };
}

function randomUserDataOptions(rng: Prng): UserDataOptions | undefined {
  if (rng.int(3) === 0) return undefined;
  const o: UserDataOptions = {};
  if (rng.bool()) o.userMetadata = rng.bytes(rng.int(12));
  if (rng.bool()) o.returnFlowAssociation = rng.vluValue();
  if (rng.int(4) === 0) {
    o.otherOptions = [];
    const n = 1 + rng.int(3);
    for (let i = 0; i < n; i++) {
      let type = rng.pick([0x01, 0x02, 0x1f, 0x2000, 0x4000, rng.int(1 << 20)]);
      if (type === 0 || type === 0x0a) type = 0x2001;
      o.otherOptions.push({ type, value: rng.bytes(rng.int(6)) });
    }
  }
  return o;
}

export function randomRanges(rng: Prng, cumulativeAck: number, max = 20): SequenceRange[] {
  const out: SequenceRange[] = [];
  let cursor = cumulativeAck;
  const n = rng.int(max + 1);
  for (let i = 0; i < n; i++) {
    const from = cursor + 2 + (rng.int(4) === 0 ? rng.int(100000) : rng.int(5));
    const to = from + (rng.int(4) === 0 ? rng.int(100000) : rng.int(5));
    out.push({ from, to });
    cursor = to;
  }
  return out;
}

/** One random chunk of the given type with every field exercised. */
export function randomChunk(rng: Prng, type: number): Chunk {
  const tag = () => rng.bytes(rng.bool() ? 16 : rng.int(65));
  const cookie = () => rng.bytes(rng.pick([64, 65, 66, rng.int(257)]));
  switch (type) {
    case ChunkType.IHello:
      return { type: ChunkType.IHello, epd: rng.bytes(rng.int(50)), tag: tag() };
    case ChunkType.ForwardedIHello:
      return { type: ChunkType.ForwardedIHello, epd: rng.bytes(rng.int(50)), replyAddress: randomAddress(rng), tag: tag() };
    case ChunkType.RHello:
      return { type: ChunkType.RHello, tagEcho: tag(), cookie: cookie(), responderCertificate: rng.bytes(rng.int(300)) };
    case ChunkType.Redirect: {
      const n = rng.int(6);
      return { type: ChunkType.Redirect, tagEcho: tag(), redirectDestinations: Array.from({ length: n }, () => randomAddress(rng)) };
    }
    case ChunkType.CookieChange:
      return { type: ChunkType.CookieChange, oldCookie: cookie(), newCookie: cookie() };
    case ChunkType.IIKeying:
      return {
        type: ChunkType.IIKeying,
        initiatorSessionId: rng.bytes(4),
        cookieEcho: cookie(),
        initiatorCertificate: rng.bytes(rng.int(300)),
        skic: rng.bytes(rng.int(200)),
        signature: rng.bytes(rng.int(40)),
      };
    case ChunkType.RIKeying:
      return { type: ChunkType.RIKeying, responderSessionId: rng.bytes(4), skrc: rng.bytes(rng.int(200)), signature: rng.bytes(rng.int(40)) };
    case ChunkType.Ping:
      return { type: ChunkType.Ping, message: rng.bytes(rng.int(40)) };
    case ChunkType.PingReply:
      return { type: ChunkType.PingReply, messageEcho: rng.bytes(rng.int(40)) };
    case ChunkType.UserData: {
      const sequenceNumber = rng.vluValue();
      const c: Chunk = {
        type: ChunkType.UserData,
        fragmentControl: rng.int(4) as FragmentControl,
        abandon: rng.bool(),
        final: rng.bool(),
        flowId: rng.vluValue(),
        sequenceNumber,
        fsnOffset: rng.int(Math.min(sequenceNumber, 1000) + 1),
        data: rng.bytes(rng.int(100)),
      };
      const options = randomUserDataOptions(rng);
      if (options) c.options = options;
      return c;
    }
    case ChunkType.NextUserData: {
      const c: Chunk = {
        type: ChunkType.NextUserData,
        fragmentControl: rng.int(4) as FragmentControl,
        abandon: rng.bool(),
        final: rng.bool(),
        data: rng.bytes(rng.int(100)),
      };
      const options = randomUserDataOptions(rng);
      if (options) c.options = options;
      return c;
    }
    case ChunkType.BufferProbe:
      return { type: ChunkType.BufferProbe, flowId: rng.vluValue() };
    case ChunkType.AckBitmap:
      return {
        type: ChunkType.AckBitmap,
        flowId: rng.vluValue(),
        bufferBlocksAvailable: rng.vluValue(),
        cumulativeAck: rng.int(2 ** 40),
        bitmap: rng.bytes(rng.int(20)),
      };
    case ChunkType.AckRanges: {
      const cumulativeAck = rng.int(2 ** 40);
      return {
        type: ChunkType.AckRanges,
        flowId: rng.vluValue(),
        bufferBlocksAvailable: rng.vluValue(),
        cumulativeAck,
        ranges: randomRanges(rng, cumulativeAck),
      };
    }
    case ChunkType.FlowExceptionReport:
      return { type: ChunkType.FlowExceptionReport, flowId: rng.vluValue(), exceptionCode: rng.vluValue() };
    case ChunkType.SessionCloseRequest:
      return { type: ChunkType.SessionCloseRequest };
    case ChunkType.SessionCloseAck:
      return { type: ChunkType.SessionCloseAck };
    case ChunkType.PacketFragment:
      return {
        type: ChunkType.PacketFragment,
        moreFragments: rng.bool(),
        packetId: rng.vluValue(),
        fragmentNumber: rng.vluValue(),
        fragment: rng.bytes(rng.int(100)),
      };
    case ChunkType.EcnReport:
      return { type: ChunkType.EcnReport, congestionExperiencedCount: rng.int(256) };
    default:
      throw new Error(`no generator for 0x${type.toString(16)}`);
  }
}

export const ALL_CHUNK_TYPES: number[] = Object.values(ChunkType);

/** Removes decoder-only fields so a decoded chunk can be compared with what was encoded. */
export function comparable(c: AnyChunk): AnyChunk {
  if (c.type === ChunkType.IIKeying || c.type === ChunkType.RIKeying) {
    const { signedBytes: _ignored, ...rest } = c;
    return rest as AnyChunk;
  }
  return c;
}
