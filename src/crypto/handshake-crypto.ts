// Which Diffie-Hellman keys meet in a handshake (wire-reference D.2 "which key goes where";
// RFC 7425 sections 4.3 and 4.6), and the envelopes a session uses once its keys exist.
//
//   initiator cert | responder cert      | SKIC has      | SKRC has          | secret from
//   static         | ephemeral (servers) | 1d group, 0e  | 0d ephemeral key  | I static x R ephemeral
//   static         | static (Flash P2P)  | 1d group, 0e  | 0e only           | I static x R static
//   ephemeral      | either              | 0d key        | 0d key, or none   | as RFC
import { type Certificate, staticKeyFor } from './certificate.js';
import { type DhGroupId, type DhKeyPair, generateDhKeyPair, isSupportedDhGroup } from './dh.js';
import type { EnvelopeParams } from './envelope.js';
import { CryptoError, CryptoErrorCode } from './errors.js';
import type { NearFarKeys } from './kdf.js';
import type { IntegrityAgreement, KeyComponents } from './key-components.js';

/**
 * Group preference when several are possible: group 2 first, because some peers advertise
 * groups they do not implement (Mona offers 5 and 14, implements only 2; wire-reference D.1, G).
 */
export const DEFAULT_GROUP_PREFERENCE: readonly DhGroupId[] = [2, 14, 16];

/** Our DH identity: static key pairs by group (empty when our certificate is ephemeral). */
export interface NearKeys {
  staticKeys: ReadonlyMap<number, DhKeyPair>;
}

export type KeyingMode = 'static-ephemeral' | 'static-static' | 'ephemeral';

export interface InitiatorKeying {
  group: DhGroupId;
  mode: KeyingMode;
  /** What to put in the SKIC: a group select (static modes) or our ephemeral key. */
  groupSelect: number | undefined;
  ephemeralKeyPair: DhKeyPair | undefined;
}

function pick(candidates: readonly number[], ok: (g: DhGroupId) => boolean, preference: readonly DhGroupId[]): DhGroupId | undefined {
  return preference.find((g) => candidates.includes(g) && ok(g));
}

/** The initiator's choice after RHello, from the responder certificate. */
export function planInitiatorKeying(
  near: NearKeys,
  far: Certificate,
  preference: readonly DhGroupId[] = DEFAULT_GROUP_PREFERENCE,
): InitiatorKeying {
  const farStatic = far.staticKeys.map((k) => k.group);
  if (near.staticKeys.size > 0) {
    const eph = pick(far.ephemeralGroups, (g) => near.staticKeys.has(g), preference);
    if (eph !== undefined) return { group: eph, mode: 'static-ephemeral', groupSelect: eph, ephemeralKeyPair: undefined };
    const st = pick(farStatic, (g) => near.staticKeys.has(g), preference);
    if (st !== undefined) return { group: st, mode: 'static-static', groupSelect: st, ephemeralKeyPair: undefined };
  } else {
    const g = pick([...far.ephemeralGroups, ...farStatic], () => true, preference);
    if (g !== undefined) return { group: g, mode: 'ephemeral', groupSelect: undefined, ephemeralKeyPair: generateDhKeyPair(g) };
  }
  throw new CryptoError(CryptoErrorCode.NoCommonGroup, 'no Diffie-Hellman group in common with the responder certificate');
}

function requireFarStatic(far: Certificate, group: number): Uint8Array {
  const k = staticKeyFor(far, group);
  if (k === undefined) throw new CryptoError(CryptoErrorCode.NoCommonGroup, `far certificate has no static key for group ${group}`);
  return k.publicKey;
}

/** The initiator's shared secret once the RIKeying's SKRC has arrived. */
export function initiatorSharedSecret(plan: InitiatorKeying, near: NearKeys, far: Certificate, skrc: KeyComponents): Uint8Array {
  const farEphemeral = skrc.ephemeralKey;
  if (farEphemeral !== undefined && farEphemeral.group !== plan.group) {
    throw new CryptoError(CryptoErrorCode.BadKeyComponent, `SKRC key is for group ${farEphemeral.group}, not ${plan.group}`);
  }
  switch (plan.mode) {
    case 'static-ephemeral':
      if (farEphemeral === undefined) throw new CryptoError(CryptoErrorCode.BadKeyComponent, 'SKRC carries no ephemeral key');
      return near.staticKeys.get(plan.group)!.computeSecret(farEphemeral.publicKey);
    case 'static-static':
      return near.staticKeys.get(plan.group)!.computeSecret(requireFarStatic(far, plan.group));
    case 'ephemeral':
      return plan.ephemeralKeyPair!.computeSecret(farEphemeral?.publicKey ?? requireFarStatic(far, plan.group));
  }
}

export interface ResponderKeying {
  group: DhGroupId;
  /** Set when our SKRC must carry `0d` (we are ephemeral, or have no static key in that group). */
  ephemeralKeyPair: DhKeyPair | undefined;
  sharedSecret: Uint8Array;
}

/** The responder's side on IIKeying: the far certificate and SKIC decide the group and keys. */
export function respondKeying(
  near: NearKeys,
  far: Certificate,
  skic: KeyComponents,
  /** Source of the ephemeral key pair (default: a fresh one here; a pool can have them ready). */
  ephemeral: (group: DhGroupId) => DhKeyPair = generateDhKeyPair,
): ResponderKeying {
  let group: number;
  let farKey: Uint8Array;
  if (skic.ephemeralKey !== undefined) {
    group = skic.ephemeralKey.group;
    farKey = skic.ephemeralKey.publicKey;
  } else if (skic.groupSelect !== undefined) {
    group = skic.groupSelect;
    farKey = requireFarStatic(far, group);
  } else {
    throw new CryptoError(CryptoErrorCode.BadKeyComponent, 'SKIC has neither an ephemeral key nor a group select');
  }
  if (!isSupportedDhGroup(group)) throw new CryptoError(CryptoErrorCode.UnsupportedGroup, `SKIC selects unsupported group ${group}`);
  const mine = near.staticKeys.get(group);
  if (mine !== undefined) return { group, ephemeralKeyPair: undefined, sharedSecret: mine.computeSecret(farKey) };
  const eph = ephemeral(group);
  return { group, ephemeralKeyPair: eph, sharedSecret: eph.computeSecret(farKey) };
}

/** Envelope parameters for both directions of an open session (wire-reference A.3, D.3, D.4). */
export function sessionEnvelopes(keys: NearFarKeys, agreement: IntegrityAgreement): { send: EnvelopeParams; receive: EnvelopeParams } {
  return {
    send: {
      key: keys.send.aesKey,
      hmacKey: keys.send.hmacKey,
      hmacLength: agreement.sendHmacLength,
      sequenceNumbers: agreement.sendSequenceNumbers,
    },
    receive: {
      key: keys.receive.aesKey,
      hmacKey: keys.receive.hmacKey,
      hmacLength: agreement.receiveHmacLength,
      sequenceNumbers: agreement.receiveSequenceNumbers,
    },
  };
}
