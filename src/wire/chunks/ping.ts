// Ping 0x01 and Ping Reply 0x41 (RFC 7016 sections 2.3.8-2.3.9, 3.5.4.1; wire-reference A.8, B.3).
import { ChunkType } from '../chunk-type.js';
import { ByteWriter } from '../writer.js';

/** Ping: `message(rest)`, possibly empty. An empty Ping just asks for a reply. */
export interface PingChunk {
  type: typeof ChunkType.Ping;
  message: Uint8Array;
}

/** Ping Reply: `messageEcho(rest)`. Mona replies with an empty body instead of echoing (A.8). */
export interface PingReplyChunk {
  type: typeof ChunkType.PingReply;
  messageEcho: Uint8Array;
}

export function decodePingBody(body: Uint8Array): PingChunk {
  return { type: ChunkType.Ping, message: body };
}

export function pingBodyLength(c: PingChunk): number {
  return c.message.length;
}

export function writePingBody(w: ByteWriter, c: PingChunk): void {
  w.bytes(c.message);
}

export function decodePingReplyBody(body: Uint8Array): PingReplyChunk {
  return { type: ChunkType.PingReply, messageEcho: body };
}

export function pingReplyBodyLength(c: PingReplyChunk): number {
  return c.messageEcho.length;
}

export function writePingReplyBody(w: ByteWriter, c: PingReplyChunk): void {
  w.bytes(c.messageEcho);
}
