import { ByteWriter } from '../writer.js';
import { FlashError, FlashErrorCode } from './errors.js';

/**
 * User Control events (message type 0x04, RTMP-style payload: U16 event type then event data;
 * wire-reference E.6). 34 and 41 are RTMFP additions (RFC 7425 section 5.2).
 */
export const UserControlEventType = {
  StreamBegin: 0,
  StreamEOF: 1,
  SetBufferLength: 3,
  /** RTMP keepalive; must not be used on RTMFP, but Mona still answers it. */
  PingRequest: 6,
  PingResponse: 7,
  /** RFC 7425 section 5.2: release held flows once `count` flows have shown this syncID. */
  FlowSync: 34,
  /** Mona sends `00 29 00003a98 00002710` after the connect _result. */
  SetKeepalive: 41,
} as const;

export type UserControlEvent =
  | { kind: 'StreamBegin'; streamId: number }
  | { kind: 'StreamEOF'; streamId: number }
  | { kind: 'SetBufferLength'; streamId: number; bufferLengthMs: number }
  | { kind: 'PingRequest'; time: number }
  | { kind: 'PingResponse'; time: number }
  | { kind: 'FlowSync'; syncId: number; count: number }
  | { kind: 'SetKeepalive'; serverKeepaliveMs: number; peerKeepaliveMs: number }
  /** Any other event type, kept as received (`data` is a copy). */
  | { kind: 'Unknown'; eventType: number; data: Uint8Array };

/** Bytes of event data each known event needs. Extra bytes are ignored (liberal). */
const DATA_LENGTH: Record<number, number> = { 0: 4, 1: 4, 3: 8, 6: 4, 7: 4, 34: 8, 41: 8 };

export function decodeUserControl(payload: Uint8Array): UserControlEvent {
  if (payload.length < 2) throw new FlashError(FlashErrorCode.Truncated, 'user control event without an event type', payload.length);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const type = view.getUint16(0);
  const need = DATA_LENGTH[type];
  if (need === undefined) return { kind: 'Unknown', eventType: type, data: payload.slice(2) };
  if (payload.length < 2 + need) {
    throw new FlashError(FlashErrorCode.Truncated, `user control event ${type} needs ${need} data bytes, has ${payload.length - 2}`, payload.length);
  }
  const a = view.getUint32(2);
  switch (type) {
    case UserControlEventType.StreamBegin:
      return { kind: 'StreamBegin', streamId: a };
    case UserControlEventType.StreamEOF:
      return { kind: 'StreamEOF', streamId: a };
    case UserControlEventType.SetBufferLength:
      return { kind: 'SetBufferLength', streamId: a, bufferLengthMs: view.getUint32(6) };
    case UserControlEventType.PingRequest:
      return { kind: 'PingRequest', time: a };
    case UserControlEventType.PingResponse:
      return { kind: 'PingResponse', time: a };
    case UserControlEventType.FlowSync:
      return { kind: 'FlowSync', syncId: a, count: view.getUint32(6) };
    default:
      return { kind: 'SetKeepalive', serverKeepaliveMs: a, peerKeepaliveMs: view.getUint32(6) };
  }
}

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new FlashError(FlashErrorCode.Unencodable, `${what} ${v} is not a 32-bit unsigned integer`);
  return v;
}

/** The User Control payload (event type + data), without the message header. */
export function encodeUserControl(event: UserControlEvent): Uint8Array {
  const w = new ByteWriter();
  switch (event.kind) {
    case 'StreamBegin':
      w.u16(UserControlEventType.StreamBegin).u32(u32(event.streamId, 'stream ID'));
      break;
    case 'StreamEOF':
      w.u16(UserControlEventType.StreamEOF).u32(u32(event.streamId, 'stream ID'));
      break;
    case 'SetBufferLength':
      w.u16(UserControlEventType.SetBufferLength).u32(u32(event.streamId, 'stream ID')).u32(u32(event.bufferLengthMs, 'buffer length'));
      break;
    case 'PingRequest':
      w.u16(UserControlEventType.PingRequest).u32(u32(event.time, 'time'));
      break;
    case 'PingResponse':
      w.u16(UserControlEventType.PingResponse).u32(u32(event.time, 'time'));
      break;
    case 'FlowSync':
      w.u16(UserControlEventType.FlowSync).u32(u32(event.syncId, 'sync ID')).u32(u32(event.count, 'count'));
      break;
    case 'SetKeepalive':
      w.u16(UserControlEventType.SetKeepalive).u32(u32(event.serverKeepaliveMs, 'server keepalive')).u32(u32(event.peerKeepaliveMs, 'peer keepalive'));
      break;
    case 'Unknown':
      if (!Number.isInteger(event.eventType) || event.eventType < 0 || event.eventType > 0xffff) {
        throw new FlashError(FlashErrorCode.Unencodable, `event type ${event.eventType} is not a U16`);
      }
      w.u16(event.eventType).bytes(event.data);
      break;
  }
  return w.written().slice();
}
