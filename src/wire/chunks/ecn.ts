// ECN report 0xec (wire-reference A.8, C.6): rtmfp-cpp's experimental chunk carrying the count of
// Congestion Experienced marks received, modulo 256, in one byte. [S] only.
import { ChunkType } from '../chunk-type.js';
import { WireError, WireErrorCode } from '../errors.js';
import { ByteReader } from '../reader.js';
import { ByteWriter } from '../writer.js';

export interface EcnReportChunk {
  type: typeof ChunkType.EcnReport;
  /** CE-marked packets received so far, modulo 256. */
  congestionExperiencedCount: number;
}

export function decodeEcnReportBody(body: Uint8Array): EcnReportChunk {
  const r = new ByteReader(body);
  return { type: ChunkType.EcnReport, congestionExperiencedCount: r.u8() };
}

export function ecnReportBodyLength(_c: EcnReportChunk): number {
  return 1;
}

export function writeEcnReportBody(w: ByteWriter, c: EcnReportChunk): void {
  const n = c.congestionExperiencedCount;
  if (!Number.isInteger(n) || n < 0 || n > 255) {
    throw new WireError(WireErrorCode.Unencodable, `CE count ${n} is not a byte (send it modulo 256)`);
  }
  w.u8(n);
}
