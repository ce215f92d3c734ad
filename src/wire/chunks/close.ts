// Session Close Request 0x0c and Session Close Acknowledgement 0x4c (RFC 7016 sections
// 2.3.17-2.3.18, 3.5.5; wire-reference A.8, B.4). Both have empty bodies; any bytes a future
// sender adds are ignored on receipt.
import { ChunkType } from '../chunk-type.js';

export interface SessionCloseRequestChunk {
  type: typeof ChunkType.SessionCloseRequest;
}

export interface SessionCloseAckChunk {
  type: typeof ChunkType.SessionCloseAck;
}

const REQUEST: SessionCloseRequestChunk = Object.freeze({ type: ChunkType.SessionCloseRequest });
const ACK: SessionCloseAckChunk = Object.freeze({ type: ChunkType.SessionCloseAck });

export function decodeSessionCloseRequestBody(_body: Uint8Array): SessionCloseRequestChunk {
  return REQUEST;
}

export function decodeSessionCloseAckBody(_body: Uint8Array): SessionCloseAckChunk {
  return ACK;
}
