// Packet Fragment 0x7f (RFC 7016 section 2.3.1; wire-reference A.5): a piece of a whole packet
// too large for one datagram. [RFC] only: nobody sends it, rtmfp-cpp defines the constant.
// Layout: flags(1) (0x80 = more fragments follow; other bits reserved, ignored), VLU packetID,
// VLU fragmentNum, fragment bytes(rest).
import { ChunkType } from '../chunk-type.js';
import { ByteReader } from '../reader.js';
import { ByteWriter, vluLength } from '../writer.js';

export const FRAGMENT_FLAG_MORE = 0x80;

export interface PacketFragmentChunk {
  type: typeof ChunkType.PacketFragment;
  moreFragments: boolean;
  packetId: number;
  fragmentNumber: number;
  fragment: Uint8Array;
}

export function decodePacketFragmentBody(body: Uint8Array): PacketFragmentChunk {
  const r = new ByteReader(body);
  const flags = r.u8();
  const packetId = r.vlu();
  const fragmentNumber = r.vlu();
  return {
    type: ChunkType.PacketFragment,
    moreFragments: (flags & FRAGMENT_FLAG_MORE) !== 0,
    packetId,
    fragmentNumber,
    fragment: r.rest(),
  };
}

export function packetFragmentBodyLength(c: PacketFragmentChunk): number {
  return 1 + vluLength(c.packetId) + vluLength(c.fragmentNumber) + c.fragment.length;
}

export function writePacketFragmentBody(w: ByteWriter, c: PacketFragmentChunk): void {
  w.u8(c.moreFragments ? FRAGMENT_FLAG_MORE : 0).vlu(c.packetId).vlu(c.fragmentNumber).bytes(c.fragment);
}
