/**
 * Bounds every AMF decoder enforces, so that hostile input costs at most a bounded amount of
 * memory and time. All counts are checked before anything is allocated; container counts are
 * also checked against the bytes left (each element takes at least one byte), so a 5-byte
 * input cannot ask for a 2^28-element array.
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
  /** Values decoded in one decode call, across all nesting. */
  maxValues: number;
  /** Entries in any one reference table (AMF0 objects; AMF3 strings, objects, traits). */
  maxReferences: number;
}

export const DEFAULT_AMF_LIMITS: Readonly<AmfLimits> = Object.freeze({
  maxDepth: 64,
  maxStringLength: 4 * 1024 * 1024,
  maxByteArrayLength: 16 * 1024 * 1024,
  maxContainerLength: 1 << 20,
  maxValues: 1 << 20,
  maxReferences: 1 << 20,
});

export function resolveLimits(options?: Partial<AmfLimits>): AmfLimits {
  return { ...DEFAULT_AMF_LIMITS, ...options };
}

/** Bounds the encoders enforce. Cycles never recurse (they become references); depth bounds the rest. */
export interface AmfEncoderLimits {
  maxDepth: number;
}

export const DEFAULT_AMF_ENCODER_LIMITS: Readonly<AmfEncoderLimits> = Object.freeze({ maxDepth: 64 });
