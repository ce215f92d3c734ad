import type { ArrayPlacer } from '../array-placement.js';
import { ReassemblyError, ReassemblyErrorCode, type ReassemblyArrayName, type ReassemblyArrays, type ReassemblyLayout } from './types.js';

// What the reference and WASM reassemblers share in construction and argument checks. Not
// re-exported: the public surface is the Reassembler interface in types.ts.

/**
 * Creates every array of `ReassemblyArrays` on `target`, each where `place` puts it, sized for
 * the layout. Both implementations call this from their constructor, so the two cannot differ
 * in which arrays exist or how long they are.
 */
export function placeReassemblyArrays(target: ReassemblyArrays, c: ReassemblyLayout, place: ArrayPlacer<ReassemblyArrayName>): void {
  const B = c.maxBatch;
  const O = c.maxOutputs;
  target.batchFlow = place(Int32Array, 'batchFlow', B);
  target.batchFlags = place(Uint8Array, 'batchFlags', B);
  target.batchSequence = place(Float64Array, 'batchSequence', B);
  target.batchForward = place(Float64Array, 'batchForward', B);
  target.batchOffset = place(Uint32Array, 'batchOffset', B);
  target.batchLength = place(Uint32Array, 'batchLength', B);
  target.batchVerdict = place(Uint8Array, 'batchVerdict', B);
  target.batchData = place(Uint8Array, 'batchData', c.batchDataBytes);
  target.deliveryData = place(Uint8Array, 'deliveryData', c.deliveryBytes);
  target.deliveryFlow = place(Int32Array, 'deliveryFlow', O);
  target.deliveryFirst = place(Float64Array, 'deliveryFirst', O);
  target.deliveryLast = place(Float64Array, 'deliveryLast', O);
  target.deliveryOffset = place(Uint32Array, 'deliveryOffset', O);
  target.deliveryLength = place(Uint32Array, 'deliveryLength', O);
  target.abandonFlow = place(Int32Array, 'abandonFlow', O);
  target.abandonFirst = place(Float64Array, 'abandonFirst', O);
  target.abandonLast = place(Float64Array, 'abandonLast', O);
  target.abandonFragments = place(Uint32Array, 'abandonFragments', O);
  target.abandonBytes = place(Uint32Array, 'abandonBytes', O);
  target.ackFrom = place(Float64Array, 'ackFrom', c.maxAckRanges);
  target.ackTo = place(Float64Array, 'ackTo', c.maxAckRanges);
}

/** Throws ReassemblyError(ERR_REASSEMBLY_BATCH_LIMIT) unless 0 <= count <= maxBatch (an integer). */
export function checkBatchCount(count: number, maxBatch: number): void {
  if (!Number.isInteger(count) || count < 0 || count > maxBatch) {
    throw new ReassemblyError(ReassemblyErrorCode.BatchLimit, `batch count ${count} not in [0, ${maxBatch}]`);
  }
}
