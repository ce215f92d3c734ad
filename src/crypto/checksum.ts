// The 16-bit checksum of the Flash profile's packet envelope (wire-reference A.3). It is the
// RFC 1071 Internet checksum over big-endian 16-bit words, except that an odd trailing byte is
// added as the LOW-order byte of a word, as rtmfp-cpp, librtmfp and MonaServer all do.

/** Checksum of bytes[start, end). Returns a value in 0..0xffff. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  let i = start;
  const even = end - ((end - start) & 1);
  // Fold every 32768 words so the sum stays below 2^32 for the bit operations below.
  while (i < even) {
    const stop = Math.min(even, i + 65536);
    for (; i < stop; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (i < end) sum += bytes[i]!; // odd trailing byte: low-order, not high-order
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
