// Does an endpoint discriminator select a certificate? (RFC 7425 section 4.4.3 as rtmfp-cpp
// implements it; wire-reference A.7, D.6.) Used by the responder on IHello ("is this for me?")
// and by the initiator on RHello ("is this the endpoint I asked for?").
import type { Certificate } from '../../crypto/certificate.js';
import { peerIdsEqual } from '../../crypto/peer-id.js';
import type { EndpointDiscriminator } from '../../wire/epd.js';

export type EpdMismatch = 'fingerprint' | 'hostname' | 'ancillaryData' | 'nothing';

/**
 * undefined when `epd` selects the endpoint with this certificate and peer ID, else why not. A
 * fingerprint decides alone; otherwise a required hostname must equal the certificate's hostname
 * option byte for byte, and ancillary data needs a certificate that accepts it (option 0x0a).
 * An EPD must name something (RFC 7425 4.4.2): one with no fingerprint, no hostname and no
 * (non-empty) ancillary data selects nobody, not everybody; answering it let a 100-byte datagram
 * of 16 empty-EPD IHellos draw 16 RHellos.
 */
export function epdMismatch(epd: EndpointDiscriminator, certificate: Certificate, peerId: Uint8Array): EpdMismatch | undefined {
  if (epd.fingerprint !== undefined) return peerIdsEqual(epd.fingerprint, peerId) ? undefined : 'fingerprint';
  const ancillary = epd.ancillaryData !== undefined && epd.ancillaryData.length > 0;
  if (epd.requiredHostname === undefined && !ancillary) return 'nothing';
  if (epd.requiredHostname !== undefined) {
    const want = new TextEncoder().encode(epd.requiredHostname);
    const have = certificate.hostnameBytes;
    if (have === undefined || !peerIdsEqual(want, have)) return 'hostname';
  }
  if (epd.ancillaryData !== undefined && !certificate.acceptsAncillaryData) return 'ancillaryData';
  return undefined;
}

/** Whether an EPD without a fingerprint names a server at all (a hostname or an ancillary-data URI). */
export function epdNamesServer(epd: EndpointDiscriminator): boolean {
  return epd.fingerprint === undefined && (epd.requiredHostname !== undefined || (epd.ancillaryData !== undefined && epd.ancillaryData.length > 0));
}
