import { RtmfpError } from '../errors.js';

/** Default RTMFP server port (RFC 7425 section 4.1: rtmfp URIs default to 1935). */
export const RTMFP_DEFAULT_PORT = 1935;

/** The parts of an `rtmfp://host[:port]/app[/instance]` URI a NetConnection needs. */
export interface RtmfpUri {
  /** Host as written, without IPv6 brackets. */
  host: string;
  port: number;
  /** Application name: the first path segment (may be empty). */
  app: string;
  /** The rest of the path after the application, or '' (Flash "app/instance"). */
  instance: string;
  /** The URI as given, which the connect command object carries as `tcUrl`. */
  tcUrl: string;
}

/** Parses an rtmfp URI with WHATWG URL; throws RtmfpError ERR_NETCONNECTION_URI when it is not one. */
export function parseRtmfpUri(uri: string): RtmfpUri {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new RtmfpError('ERR_NETCONNECTION_URI', `not a URI: ${JSON.stringify(uri)}`);
  }
  if (url.protocol !== 'rtmfp:') throw new RtmfpError('ERR_NETCONNECTION_URI', `not an rtmfp URI: ${JSON.stringify(uri)}`);
  const host = url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw new RtmfpError('ERR_NETCONNECTION_URI', `rtmfp URI without a host: ${JSON.stringify(uri)}`);
  const port = url.port === '' ? RTMFP_DEFAULT_PORT : Number(url.port);
  const segments = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  return { host, port, app: segments[0] ?? '', instance: segments.slice(1).join('/'), tcUrl: uri };
}
