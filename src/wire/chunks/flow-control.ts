// Buffer Probe 0x18 and Flow Exception Report 0x5e (RFC 7016 sections 2.3.15-2.3.16, 3.6.3.5;
// wire-reference A.8, C.3, C.4).
import { ChunkType } from '../chunk-type.js';
import { ByteReader } from '../reader.js';
import { ByteWriter, vluLength } from '../writer.js';

/**
 * Buffer Probe: `flowID`. It asks for an ack after a zero receive window. rtmfp-cpp sends it;
 * Mona and librtmfp treat it as fatal and kill the session (A.8), so a sender should know its peer.
 */
export interface BufferProbeChunk {
  type: typeof ChunkType.BufferProbe;
  flowId: number;
}

/** Flow Exception Report: `flowID, exceptionCode`. Every implementation sends code 0 (A.8). */
export interface FlowExceptionReportChunk {
  type: typeof ChunkType.FlowExceptionReport;
  flowId: number;
  exceptionCode: number;
}

// Trailing bytes after the fields are ignored: RFC 7016 leaves room to extend chunks.
export function decodeBufferProbeBody(body: Uint8Array): BufferProbeChunk {
  const r = new ByteReader(body);
  return { type: ChunkType.BufferProbe, flowId: r.vlu() };
}

export function bufferProbeBodyLength(c: BufferProbeChunk): number {
  return vluLength(c.flowId);
}

export function writeBufferProbeBody(w: ByteWriter, c: BufferProbeChunk): void {
  w.vlu(c.flowId);
}

export function decodeFlowExceptionReportBody(body: Uint8Array): FlowExceptionReportChunk {
  const r = new ByteReader(body);
  const flowId = r.vlu();
  const exceptionCode = r.vlu();
  return { type: ChunkType.FlowExceptionReport, flowId, exceptionCode };
}

export function flowExceptionReportBodyLength(c: FlowExceptionReportChunk): number {
  return vluLength(c.flowId) + vluLength(c.exceptionCode);
}

export function writeFlowExceptionReportBody(w: ByteWriter, c: FlowExceptionReportChunk): void {
  w.vlu(c.flowId).vlu(c.exceptionCode);
}
