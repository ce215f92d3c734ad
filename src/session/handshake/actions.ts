// What the handshake state machines ask the endpoint to do. They never touch sockets or timers:
// every input returns a list of these, and the endpoint (phase 2) carries them out in order.
import type { EnvelopeParams } from '../../crypto/envelope.js';
import type { NearFarKeys } from '../../crypto/kdf.js';
import type { IntegrityAgreement } from '../../crypto/key-components.js';
import type { SocketAddress } from '../../wire/address.js';
import type { CookieChangeChunk, ForwardedIHelloChunk, IHelloChunk, RedirectChunk, RHelloChunk } from '../../wire/chunks/hello.js';
import type { IIKeyingChunk, RIKeyingChunk } from '../../wire/chunks/keying.js';
import type { EndpointDiscriminator } from '../../wire/epd.js';

/** The endpoint's handle for an open session (opaque here: whatever the session table uses). */
export type SessionHandle = unknown;

export type StartupChunk = IHelloChunk | RHelloChunk | RedirectChunk | CookieChangeChunk | IIKeyingChunk | RIKeyingChunk;

/** The all-zero SSID of startup packets (wire-reference A.2). */
export const STARTUP_SESSION_ID: Uint8Array = new Uint8Array(4);

/**
 * Send one startup-mode packet (default key, MOD 3; wire-reference A.3, A.4). `sessionId` is the
 * SSID to scramble in: zero, except RIKeying and Cookie Change, which go out with the
 * initiator's session ID (A.8, B.1).
 */
export interface SendStartupAction {
  kind: 'sendStartup';
  to: SocketAddress;
  sessionId: Uint8Array;
  chunk: StartupChunk;
}

/** Send a Forwarded IHello inside an existing session (introductions, B.5). */
export interface SendOnSessionAction {
  kind: 'sendOnSession';
  session: SessionHandle;
  chunk: ForwardedIHelloChunk;
}

/** A session is ready: install the keys, then session packets use `farSessionId` as SSID. */
export interface EstablishedSession {
  role: 'initiator' | 'responder';
  /**
   * The opening attempt this session satisfies: the initiator's own, or (responder role) an attempt
   * of ours toward the same peer that lost the glare rule and was folded into this session.
   */
  attemptId: number | undefined;
  nearSessionId: Uint8Array;
  farSessionId: Uint8Array;
  /** Where session packets go: the RHello's source (initiator) or the IIKeying's (responder). */
  farAddress: SocketAddress;
  farCertificate: Uint8Array;
  farPeerId: Uint8Array;
  /** `21 0f` + far peer ID: the key for duplicate suppression (B.1). */
  farCanonicalEpd: Uint8Array;
  /** Send/receive keys and near/far nonces (D.4, D.5). */
  keys: NearFarKeys;
  integrity: IntegrityAgreement;
  envelopes: { send: EnvelopeParams; receive: EnvelopeParams };
  /** Exact SKIC / SKRC bytes (NetGroup and auth tokens use them with the nonces). */
  skic: Uint8Array;
  skrc: Uint8Array;
  /** Initiator role: the EPD we opened with. */
  epd: Uint8Array | undefined;
}

export interface EstablishedAction {
  kind: 'established';
  session: EstablishedSession;
}

export type AttemptFailure = 'timeout' | 'negotiationFailed' | 'tooManyAttempts';

export interface AttemptFailedAction {
  kind: 'attemptFailed';
  attemptId: number;
  reason: AttemptFailure;
}

/** The RHello named a peer we already have a session with (duplicate suppression, B.1): use it. */
export interface AttemptDeduplicatedAction {
  kind: 'attemptDeduplicated';
  attemptId: number;
  session: SessionHandle;
}

/** Close `session` without ceremony: an IIKeying with its exact certificate from its address replaced it (7425 4.3.7). */
export interface ReplaceSessionAction {
  kind: 'replaceSession';
  session: SessionHandle;
}

/**
 * An IHello whose fingerprint names someone else (B.2): a server may introduce (B.5), a peer
 * ignores it.
 */
export interface UnmatchedIHelloAction {
  kind: 'unmatchedIHello';
  ihello: IHelloChunk;
  epd: EndpointDiscriminator;
  from: SocketAddress;
}

export type HandshakeAction =
  | SendStartupAction
  | SendOnSessionAction
  | EstablishedAction
  | AttemptFailedAction
  | AttemptDeduplicatedAction
  | ReplaceSessionAction
  | UnmatchedIHelloAction;

/** What the handshake needs to know about sessions that are already open (the session table). */
export interface KnownSession {
  handle: SessionHandle;
  farPeerId: Uint8Array;
  farCertificate: Uint8Array;
  /** The far end's current (observed) address. */
  farAddress: SocketAddress;
  /** Addresses the far end reported about itself (Flash setPeerInfo; B.5, B.6). */
  reportedAddresses?: readonly SocketAddress[];
}

export interface SessionDirectory {
  /** Open sessions whose far peer ID is `peerId` (normally zero or one). */
  byPeerId(peerId: Uint8Array): readonly KnownSession[];
}

export const EMPTY_DIRECTORY: SessionDirectory = { byPeerId: () => [] };
