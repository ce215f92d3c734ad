// Length limits shared by the handshake chunk codecs. Each decoder refuses larger fields with
// WireError(Limit) and each encoder refuses them with WireError(Unencodable), so whatever we send
// we would also accept.
import { WireError, WireErrorCode } from '../errors.js';
import type { ByteReader } from '../reader.js';

/**
 * Longest tag (IHello tag, RHello/Redirect tag echo). Every implementation uses 16 random bytes
 * (wire-reference A.8); 64 leaves room for a variant without letting a peer make us store and
 * echo arbitrary amounts.
 */
export const MAX_TAG_LENGTH = 64;

/**
 * Longest cookie. Observed: 64 (Mona, Cumulus, librtmfp) and 65/66 (rtmfp-cpp) (wire-reference
 * B.1). 256 is four times that and still small enough to keep per-attempt state bounded.
 */
export const MAX_COOKIE_LENGTH = 256;

/**
 * Longest certificate. The largest observed is rtmfp-cpp's redirector at 915 bytes (three static
 * DH keys, D.1); startup packets are at most 4256 bytes of plaintext (A.5), so a certificate can
 * never usefully exceed that.
 */
export const MAX_CERTIFICATE_LENGTH = 4096;

/**
 * Longest session key component (SKIC / SKRC). A group-16 (4096-bit) ephemeral key plus 64 bytes
 * of randomness and negotiation options is under 700 bytes (D.2); the startup packet bound
 * applies as for certificates.
 */
export const MAX_KEY_COMPONENT_LENGTH = 4096;

/** Longest IIKeying/RIKeying signature; rtmfp-cpp's is 1 byte, a real signature well under 1 KiB. */
export const MAX_SIGNATURE_LENGTH = 4096;

/**
 * Most addresses in one Redirect. rtmfp-cpp itself keeps at most 24 Redirect-learned addresses
 * per attempt (wire-reference B.5); 64 is generous and bounds the work per packet.
 */
export const MAX_REDIRECT_ADDRESSES = 64;

/** The rest of `r` as a view, refusing more than `max` bytes with WireError(Limit). */
export function restWithin(r: ByteReader, max: number, what: string): Uint8Array {
  if (r.remaining > max) throw new WireError(WireErrorCode.Limit, `${what} of ${r.remaining} bytes exceeds ${max}`, r.pos);
  return r.rest();
}

/** Encoder-side twin of the decoder limits: refuses fields we would not accept ourselves. */
export function checkEncodable(b: Uint8Array, max: number, what: string): void {
  if (b.length > max) throw new WireError(WireErrorCode.Unencodable, `${what} of ${b.length} bytes exceeds ${max}`);
}
