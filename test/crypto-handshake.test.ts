// End-to-end handshake crypto in memory for the three rows of D.2's "which key goes where"
// table: both ends build and decode each other's certificates and components, agree on the
// secret, derive keys, negotiate integrity, and exchange a sealed packet in each direction.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CryptoError,
  buildFlashClientCertificate,
  buildInitiatorComponents,
  buildResponderComponents,
  buildServerCertificate,
  decodeCertificate,
  decodeKeyComponents,
  deriveSessionKeys,
  encodeCertificate,
  generateDhKeyPair,
  initiatorSharedSecret,
  keysForRole,
  negotiateIntegrityOrThrow,
  openDatagram,
  planInitiatorKeying,
  respondKeying,
  sealDatagram,
  sessionEnvelopes,
  toHex,
  type DhKeyPair,
  type HmacOffer,
  type SseqOffer,
} from '../src/crypto/index.js';

interface Side {
  cert: Uint8Array;
  staticKeys: Map<number, DhKeyPair>;
  hmac: HmacOffer;
  sseq: SseqOffer;
}

function run(initiator: Side, responder: Side, expectMode: string, expectSkrcKey: boolean): void {
  const rCertSeen = decodeCertificate(responder.cert);
  const plan = planInitiatorKeying({ staticKeys: initiator.staticKeys }, rCertSeen);
  assert.is(plan.mode, expectMode);
  const rand = new Uint8Array(64).fill(9);
  const skic = buildInitiatorComponents({
    ...(plan.ephemeralKeyPair ? { ephemeralKey: { group: plan.group, publicKey: plan.ephemeralKeyPair.publicKey } } : {}),
    ...(plan.groupSelect !== undefined ? { groupSelect: plan.groupSelect } : {}),
    extraRandomness: rand,
    hmac: initiator.hmac,
    sseq: initiator.sseq,
  });
  // Responder side.
  const iCertSeen = decodeCertificate(initiator.cert);
  const skicSeen = decodeKeyComponents(skic);
  const resp = respondKeying({ staticKeys: responder.staticKeys }, iCertSeen, skicSeen);
  assert.is(resp.ephemeralKeyPair !== undefined, expectSkrcKey);
  const skrc = buildResponderComponents({
    hmac: responder.hmac,
    sseq: responder.sseq,
    ...(resp.ephemeralKeyPair ? { ephemeralKey: { group: resp.group, publicKey: resp.ephemeralKeyPair.publicKey } } : { extraRandomness: rand }),
  });
  // Initiator side.
  const skrcSeen = decodeKeyComponents(skrc);
  const iSecret = initiatorSharedSecret(plan, { staticKeys: initiator.staticKeys }, rCertSeen, skrcSeen);
  assert.is(toHex(iSecret), toHex(resp.sharedSecret));
  const iEnv = sessionEnvelopes(
    keysForRole(deriveSessionKeys(iSecret, skic, skrc), 'initiator'),
    negotiateIntegrityOrThrow({ hmac: skicSeen.hmac, sseq: skicSeen.sseq }, { hmac: skrcSeen.hmac, sseq: skrcSeen.sseq }),
  );
  const rEnv = sessionEnvelopes(
    keysForRole(deriveSessionKeys(resp.sharedSecret, skic, skrc), 'responder'),
    negotiateIntegrityOrThrow({ hmac: skrcSeen.hmac, sseq: skrcSeen.sseq }, { hmac: skicSeen.hmac, sseq: skicSeen.sseq }),
  );
  const a = sealDatagram(new Uint8Array([0, 0, 0, 1]), new Uint8Array([0x8d, 1, 2, 3, 4, 0x01, 0, 0]), iEnv.send, iEnv.send.sequenceNumbers ? 0 : undefined);
  assert.is(toHex(openDatagram(a, rEnv.receive).packet.subarray(0, 8)), '8d01020304010000');
  const b = sealDatagram(new Uint8Array([2, 0, 0, 0]), new Uint8Array([0x4e, 9, 9, 0x41, 0, 0]), rEnv.send, rEnv.send.sequenceNumbers ? 7 : undefined);
  assert.is(toHex(openDatagram(b, iEnv.receive).packet.subarray(0, 6)), '4e0909410000');
}

const hs = suite('crypto handshake');
const flashOffer = { hmac: { flags: 2, length: 10 }, sseq: { flags: 2 } };
const monaOffer = { hmac: { flags: 0, length: 0 }, sseq: { flags: 0 } };
const cppOffer = { hmac: { flags: 7, length: 16 }, sseq: { flags: 7 } };

hs('Flash client (static group 2) -> server (ephemeral cert): SKRC carries 0d', () => {
  const k = generateDhKeyPair(2);
  run(
    { cert: buildFlashClientCertificate(k.publicKey), staticKeys: new Map([[2, k]]), ...flashOffer },
    { cert: buildServerCertificate(), staticKeys: new Map(), ...monaOffer },
    'static-ephemeral',
    true,
  );
});

hs('Flash peer (static) -> Flash peer (static): SKRC carries randomness only', () => {
  const a = generateDhKeyPair(2);
  const b = generateDhKeyPair(2);
  run(
    { cert: buildFlashClientCertificate(a.publicKey), staticKeys: new Map([[2, a]]), ...cppOffer },
    { cert: buildFlashClientCertificate(b.publicKey), staticKeys: new Map([[2, b]]), ...cppOffer },
    'static-static',
    false,
  );
});

hs('ephemeral initiator (rtmfp-cpp echoserver style) -> ephemeral server, group 14 when 2 is not offered', () => {
  run(
    { cert: buildServerCertificate({ hostname: 'echo' }), staticKeys: new Map(), ...cppOffer },
    { cert: buildServerCertificate({ groups: [14] }), staticKeys: new Map(), ...flashOffer },
    'ephemeral',
    true,
  );
});

hs('ephemeral initiator -> static responder: responder uses its static key', () => {
  const b = generateDhKeyPair(2);
  run(
    { cert: buildServerCertificate(), staticKeys: new Map(), ...flashOffer },
    { cert: encodeCertificate({ hostname: 'redir', staticKeys: [{ group: 2, publicKey: b.publicKey }] }), staticKeys: new Map([[2, b]]), ...flashOffer },
    'ephemeral',
    false,
  );
});

hs('no common group is a typed failure', () => {
  const k = generateDhKeyPair(2);
  assert.throws(
    () => planInitiatorKeying({ staticKeys: new Map([[2, k]]) }, decodeCertificate(buildServerCertificate({ groups: [5] }))),
    (e: unknown) => e instanceof CryptoError && e.code === 'ERR_CRYPTO_NO_COMMON_GROUP',
  );
  assert.throws(
    () => respondKeying({ staticKeys: new Map() }, decodeCertificate(buildServerCertificate()), decodeKeyComponents(buildInitiatorComponents({ groupSelect: 2 }))),
    (e: unknown) => e instanceof CryptoError && e.code === 'ERR_CRYPTO_NO_COMMON_GROUP',
  );
});

hs.run();
