/**
 * Bounds every AMF decoder enforces, so that hostile input costs at most a bounded amount of
 * memory and time. All counts are checked before anything is allocated; container counts are
 * also checked against the bytes left (each element takes at least one byte) and against the
 * values still allowed, so a 5-byte input cannot ask for a 2^28-element array and a container
 * that could never be finished fails at its header. String and ByteArray lengths are checked
 * against their limit and then against the bytes left before anything is decoded, so a declared
 * 4 GB string fails at once (ERR_AMF_LIMIT, or ERR_AMF_TRUNCATED when the limit is raised).
 *
 * Work and memory per decode call are therefore linear in `min(input bytes, maxValues)`: every
 * value takes at least one input byte, each string or ByteArray byte comes from one input byte
 * (references reuse the decoded string or object, they copy nothing), and `maxValues` caps the
 * per-value allocations (a 4-byte anonymous object is ~14x its size in JS objects). Measured
 * (bench/suites/amf-limits.ts, results/amf-limits.json): a 1 MB command of AMF0 nulls cost
 * 436 ms to decode under the old 2^20 value limit; under 2^16 it is refused in 26 ms (16x less),
 * the per-session DecodeBudget (src/server/decode-budget.ts) bounding how often that can recur.
 */
export interface AmfLimits {
  /** Nesting of containers (objects, arrays, vectors, dictionaries, AVM+ switches). */
  maxDepth: number;
  /** UTF-8 bytes of one string, long string, XML text or object key. */
  maxStringLength: number;
  /** Bytes of one AMF3 ByteArray. */
  maxByteArrayLength: number;
  /** Elements of one container (array items, object members, vector items, dictionary entries). */
  maxContainerLength: number;
  /**
   * Values decoded in one decode call, across all nesting (an AMF3 number vector counts each
   * item). The main bound on decoding CPU: a value costs ~100-200 ns whatever its size.
   */
  maxValues: number;
  /** Entries in any one reference table (AMF0 objects; AMF3 strings, objects, traits). */
  maxReferences: number;
}

export const DEFAULT_AMF_LIMITS: Readonly<AmfLimits> = Object.freeze({
  maxDepth: 64,
  maxStringLength: 4 * 1024 * 1024,
  maxByteArrayLength: 16 * 1024 * 1024,
  maxContainerLength: 1 << 20,
  // 65,536: far above any command or metadata object (an FLV keyframe index of two hours at
  // one keyframe per second is 14,400 values) and a twentieth of what 1 MB of nulls would cost.
  maxValues: 1 << 16,
  maxReferences: 1 << 20,
});

/** Decoder options common to AMF0 and AMF3: limits plus the cycle policy. */
export interface AmfDecodeOptions extends Partial<AmfLimits> {
  /**
   * Accept references to an object still being decoded (an ancestor of the reference), which
   * decode to cyclic JS objects: AMF0 reference 0x07 to an enclosing object or array, AMF3
   * object references to an enclosing object, array, vector or dictionary. Default false: such
   * a reference fails with ERR_AMF_CYCLE, because applications (JSON.stringify, loggers, deep
   * equality, naive walkers) recurse forever on cyclic values. References to completed objects
   * (shared, acyclic) are always accepted.
   */
  allowCycles?: boolean;
}

export function resolveLimits(options?: Partial<AmfLimits>): AmfLimits {
  const limits = { ...DEFAULT_AMF_LIMITS };
  if (options) {
    for (const k of Object.keys(DEFAULT_AMF_LIMITS) as (keyof AmfLimits)[]) {
      const v = options[k];
      if (v !== undefined) limits[k] = v;
    }
  }
  return limits;
}

/** Bounds the encoders enforce. Cycles never recurse (they become references); depth bounds the rest. */
export interface AmfEncoderLimits {
  maxDepth: number;
}

export const DEFAULT_AMF_ENCODER_LIMITS: Readonly<AmfEncoderLimits> = Object.freeze({ maxDepth: 64 });
