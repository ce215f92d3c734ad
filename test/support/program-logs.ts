// Facts printed by the captured programs (../shared/vectors/raw/sN/*.log): peer IDs, session
// nonces, librtmfp's SKIC/SKRC dumps, status codes and URLs. Used to cross-check what the codecs
// decode from the same scenario's datagrams.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vectorsDir } from './vectors.js';

export interface ProgramLog {
  file: string;
  text: string;
}

/** Every `*.log` of a raw scenario, with terminal colour escapes removed. */
export function programLogs(scenario: string): ProgramLog[] {
  const dir = join(vectorsDir, 'raw', scenario);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8').replace(/\x1b\[[0-9;]*m/g, '') }));
}

function all(re: RegExp, text: string, group = 1): string[] {
  return [...text.matchAll(re)].map((m) => m[group]!);
}

/**
 * Peer IDs / fingerprints the programs printed with a label that says so: rtmfp-cpp's
 * `my fingerprint:` / `fingerprint:`, tcserver's JSON `peerID` / `connectionID` /
 * `serverFingerprint` / `fingerprint`, the redirector's `fingerprint <id>`, librtmfp's `Peer ID :` (value on the next line).
 */
export function printedPeerIds(log: ProgramLog): string[] {
  return [
    ...all(/(?:fingerprint|peerID|connectionID|serverFingerprint)"?\s*[:=]?\s*"?([0-9a-f]{64})\b/gi, log.text),
    ...all(/Peer ID :\s*\n?\s*([0-9a-f]{64})\b/g, log.text),
  ];
}

/** rtmfp-cpp's `near nonce:` / `far nonce:` lines (wire-reference D.5). */
export function printedNonces(log: ProgramLog): string[] {
  return all(/(?:near|far) nonce:\s*([0-9a-f]{64})\b/g, log.text);
}

/** librtmfp prints the SKIC as `Initiator Nonce :` and the SKRC as `Responder Nonce :`. */
export function printedKeyComponents(log: ProgramLog): { skic: string[]; skrc: string[] } {
  return {
    skic: all(/Initiator Nonce : ([0-9a-f]+)/g, log.text),
    skrc: all(/Responder Nonce : ([0-9a-f]+)/g, log.text),
  };
}

/** librtmfp's `Server Certificate :` dump (the RHello certificate). */
export function printedServerCertificates(log: ProgramLog): string[] {
  return all(/Server Certificate : ([0-9a-f]+)/g, log.text);
}

/** Status codes like `NetStream.Publish.Start` anywhere in the log. */
export function printedStatusCodes(log: ProgramLog): string[] {
  return all(/\b(Net(?:Connection|Stream|Group)\.[A-Za-z]+\.[A-Za-z]+)\b/g, log.text);
}

/** `rtmfp://host:port/app` URLs anywhere in the log. */
export function printedUrls(log: ProgramLog): string[] {
  return all(/(rtmfp:\/\/[0-9.]+:\d+\/[A-Za-z0-9_]+)/g, log.text);
}
