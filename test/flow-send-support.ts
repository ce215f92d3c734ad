// Helpers for the send-flow tests: packets built with the real PacketBuilder and read back with
// the real decoder, acks built with the wire helpers.
import { ChunkType, PacketMode } from '../src/wire/chunk-type.js';
import { AckRangesChunk, rangesFromReceived } from '../src/wire/chunks/ack.js';
import { resolveUserData, ResolvedUserData, UserDataChunk } from '../src/wire/chunks/user-data.js';
import { decodePacket, PacketBuilder } from '../src/wire/packet.js';
import { ByteWriter } from '../src/wire/writer.js';
import type { AssembleContext, SendFlow } from '../src/flow/send-flow.js';
import type { AnyChunk } from '../src/wire/chunk.js';

export const TC_METADATA = new Uint8Array([0x54, 0x43, 0x04, 0x00]); // "TC\x04\x00" (E.1)

export function newBuilder(maxLength = 1200): PacketBuilder {
  const b = new PacketBuilder(new ByteWriter(new Uint8Array(maxLength + 64)), maxLength);
  b.begin({ timeCritical: false, timeCriticalReverse: false, mode: PacketMode.Initiator });
  return b;
}

export interface Sent {
  bytes: Uint8Array;
  chunks: AnyChunk[];
  userData: ResolvedUserData[];
}

export function decode(builder: PacketBuilder): Sent {
  const bytes = builder.bytes().slice();
  const { chunks } = decodePacket(bytes);
  return { bytes, chunks, userData: resolveUserData(chunks) };
}

/** One packet from one flow with no congestion limit. */
export function sendOne(flow: SendFlow, now: number, tsn: number, retransmitOnly = false, maxLength = 1200): Sent {
  const b = newBuilder(maxLength);
  const ctx: AssembleContext = { now, tsn, canSendMore: () => true, onFragmentSent: () => {} };
  flow.assemble(b, ctx, retransmitOnly);
  return decode(b);
}

export function ackRanges(flowId: number, cumulativeAck: number, received: number[] = [], blocks = 64): AckRangesChunk {
  return {
    type: ChunkType.AckRanges,
    flowId,
    bufferBlocksAvailable: blocks,
    cumulativeAck,
    ranges: rangesFromReceived(cumulativeAck, received),
  };
}

export function firstUserData(s: Sent): UserDataChunk {
  const c = s.chunks.find((x) => x.type === ChunkType.UserData);
  if (!c) throw new Error('no User Data chunk');
  return c as UserDataChunk;
}

export function seqs(s: Sent): number[] {
  return s.userData.map((u) => u.sequenceNumber);
}
