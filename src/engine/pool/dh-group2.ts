import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { EngineError, describeThrown } from './errors.js';

/**
 * Diffie-Hellman in RFC 7425 group 2 (RFC 2409 §6.2 1024-bit MODP, generator 2;
 * wire-reference §D.4) with node:crypto KeyObjects, plus the conversion between the wire's
 * minimal big-endian integers and node's SPKI DER. Runs on whichever thread calls it: the pool's
 * DH worker (workers/diffie-hellman.ts) and tests use the same code.
 *
 * Costs on the project VM: key pair ~0.3-0.7 ms, agreement ~0.3 ms (performance-baselines.md).
 */

/** The group 2 prime, 128 bytes (wire-reference §D.4). */
export const GROUP2_PRIME = hex(
  'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74' +
    '020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437' +
    '4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed' +
    'ee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff',
);
export const GROUP2_GENERATOR = 2;
export const GROUP2_BYTES = 128;

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

// AlgorithmIdentifier { dhKeyAgreement (1.2.840.113549.1.3.1), DHParameter { p, g = 2 } },
// DER, exactly what OpenSSL writes for a modp2 key (checked in test/pool-dh.test.ts).
const ALGORITHM_ID = concat(
  hex('308195' + '06092a864886f70d010301' + '308187' + '02818100'),
  GROUP2_PRIME,
  hex('020102'),
);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  return Uint8Array.of(0x82, n >> 8, n & 0xff);
}

function tlv(tag: number, value: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(tag), derLength(value.length), value);
}

/** Strips leading zero bytes (wire-reference §D.4: keys and secrets are minimal big-endian). */
export function minimalBigEndian(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** Reads one DER TLV at `at`; returns the value's bounds. Throws EngineError on anything odd. */
function readTlv(der: Uint8Array, at: number, tag: number): { start: number; end: number } {
  if (at + 2 > der.length || der[at] !== tag) throw new EngineError('ERR_ENGINE_DH', `DER: expected tag ${tag} at ${at}`);
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const octets = len & 0x7f;
    if (octets < 1 || octets > 2 || start + octets > der.length) throw new EngineError('ERR_ENGINE_DH', 'DER: bad length');
    len = 0;
    for (let i = 0; i < octets; i++) len = (len << 8) | der[start + i]!;
    start += octets;
  }
  if (start + len > der.length) throw new EngineError('ERR_ENGINE_DH', 'DER: value past end');
  return { start, end: start + len };
}

/** The public value y of a group 2 public KeyObject, minimal big-endian. */
export function rawPublicKey(publicKey: KeyObject): Uint8Array {
  const der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  const spki = readTlv(der, 0, 0x30);
  const alg = readTlv(der, spki.start, 0x30);
  const bits = readTlv(der, alg.end, 0x03);
  if (der[bits.start] !== 0) throw new EngineError('ERR_ENGINE_DH', 'DER: public key bit string has unused bits');
  const y = readTlv(der, bits.start + 1, 0x02);
  return Uint8Array.from(minimalBigEndian(der.subarray(y.start, y.end)));
}

/** A group 2 public KeyObject from the peer's big-endian public value. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (!(raw instanceof Uint8Array)) throw new EngineError('ERR_ENGINE_DH', 'group 2 public key must be a Uint8Array');
  const y = minimalBigEndian(raw);
  if (raw.length === 0 || y.length > GROUP2_BYTES) {
    throw new EngineError('ERR_ENGINE_DH', `group 2 public key must be 1..${GROUP2_BYTES} bytes, got ${raw.length}`);
  }
  // DER INTEGER is signed: prefix 0x00 when the top bit is set.
  const integer = tlv(0x02, y[0]! & 0x80 ? concat(Uint8Array.of(0), y) : y);
  const spki = tlv(0x30, concat(ALGORITHM_ID, tlv(0x03, concat(Uint8Array.of(0), integer))));
  try {
    return createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.length), format: 'der', type: 'spki' });
  } catch (e) {
    throw new EngineError('ERR_ENGINE_DH', `unusable group 2 public key: ${describeThrown(e)}`, { cause: e });
  }
}

// @types/node 20 lacks the 'dh' overload that node:crypto has had since v15.
const generateDhKeyPair = generateKeyPairSync as unknown as (
  type: 'dh',
  options: { group: 'modp2' },
) => { publicKey: KeyObject; privateKey: KeyObject };

/** A fresh group 2 key pair (new private key every call, unlike DiffieHellman.generateKeys()). */
export function generateGroup2KeyPair(): { publicKey: Uint8Array; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateDhKeyPair('dh', { group: 'modp2' });
  return { publicKey: rawPublicKey(publicKey), privateKey };
}

/** The shared secret, minimal big-endian (wire-reference §D.4: strip the zeros node pads with). */
export function agreeGroup2(privateKey: KeyObject, peerPublicKey: Uint8Array): Uint8Array {
  if (privateKey?.type !== 'private' || (privateKey.asymmetricKeyType as string) !== 'dh') {
    throw new EngineError('ERR_ENGINE_DH', 'private key is not a DH private KeyObject');
  }
  const peer = publicKeyFromRaw(peerPublicKey);
  try {
    return Uint8Array.from(minimalBigEndian(diffieHellman({ privateKey, publicKey: peer })));
  } catch (e) {
    throw new EngineError('ERR_ENGINE_DH', `group 2 agreement failed: ${describeThrown(e)}`, { cause: e });
  }
}
