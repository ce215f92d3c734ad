// Diffie-Hellman for the Flash profile (wire-reference D.4; RFC 7425 sections 4.2 and 4.6).
// Groups 2 (1024-bit MODP, RFC 2409 section 6.2, required), 14 (2048-bit, RFC 3526 section 3) and
// 16 (4096-bit, RFC 3526 section 5), generator 2. Public keys and shared secrets travel as
// MINIMAL-length big-endian integers (no leading zero bytes); the secret must be minimal when it
// keys HMAC or the derived keys differ (wire-reference D.4, G.4).
//
// Backend: one node:crypto DiffieHellman object per group, created on first use (about 50-90 ms
// once: Node checks the prime), then per key pair setPrivateKey + generateKeys. With rtmfp-cpp's
// short private exponents (224/320/480 bits) a group-2 key pair plus agreement with a raw foreign
// key costs about 0.23 ms, against about 1.2 ms for generateKeyPairSync('dh') (full-size
// exponent) + SPKI import + crypto.diffieHellman() (measured on this machine, Node 20).
import { createDiffieHellman, randomBytes, type DiffieHellman } from 'node:crypto';
import { CryptoError, CryptoErrorCode } from './errors.js';

export type DhGroupId = 2 | 14 | 16;
/** Supported groups, strongest first (rtmfp-cpp prefers the strongest common group). */
export const DH_GROUPS: readonly DhGroupId[] = [16, 14, 2];

export interface DhGroup {
  readonly id: DhGroupId;
  /** The prime p, big-endian, {128, 256, 512} bytes. */
  readonly prime: Uint8Array;
  readonly primeBytes: number;
  readonly generator: 2;
  /** Private exponent size rtmfp-cpp uses for this group (wire-reference D.4). */
  readonly privateKeyBits: number;
}

const PRIME_HEX: Record<DhGroupId, string> = {
  2:
    'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74' +
    '020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437' +
    '4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed' +
    'ee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff',
  14:
    'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74' +
    '020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437' +
    '4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed' +
    'ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05' +
    '98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb' +
    '9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b' +
    'e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718' +
    '3995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff',
  16:
    'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74' +
    '020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437' +
    '4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed' +
    'ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05' +
    '98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb' +
    '9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b' +
    'e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718' +
    '3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33' +
    'a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7' +
    'abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864' +
    'd87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2' +
    '08e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7' +
    '88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8' +
    'dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d99b2964fa090c3a2' +
    '233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9' +
    '93b4ea988d8fddc186ffb7dc90a6c08f4df435c934063199ffffffffffffffff',
};
const PRIVATE_BITS: Record<DhGroupId, number> = { 2: 224, 14: 320, 16: 480 };

interface GroupState {
  group: DhGroup;
  primeBig: bigint;
  minKey: bigint;
  maxKey: bigint;
  engine: DiffieHellman | undefined;
}
const states = new Map<DhGroupId, GroupState>();

export function isSupportedDhGroup(id: number): id is DhGroupId {
  return id === 2 || id === 14 || id === 16;
}

function state(id: number): GroupState {
  if (!isSupportedDhGroup(id)) throw new CryptoError(CryptoErrorCode.UnsupportedGroup, `Diffie-Hellman group ${id} is not supported (2, 14, 16)`);
  let s = states.get(id);
  if (s === undefined) {
    const prime = new Uint8Array(Buffer.from(PRIME_HEX[id], 'hex'));
    const primeBig = BigInt('0x' + PRIME_HEX[id]);
    const margin = 1n << 24n;
    s = {
      group: { id, prime, primeBytes: prime.length, generator: 2, privateKeyBits: PRIVATE_BITS[id] },
      primeBig,
      minKey: margin,
      maxKey: primeBig - margin,
      engine: undefined,
    };
    states.set(id, s);
  }
  return s;
}

function engine(s: GroupState): DiffieHellman {
  if (s.engine === undefined) s.engine = createDiffieHellman(Buffer.from(s.group.prime), 2);
  return s.engine;
}

/** Group parameters; throws CryptoError(UnsupportedGroup) for anything but 2, 14, 16. */
export function dhGroup(id: number): DhGroup {
  return state(id).group;
}

/** A view of `bytes` without its leading zero bytes (zero itself becomes an empty view). */
export function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function toBig(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

function popcount8(b: number): number {
  b = b - ((b >>> 1) & 0x55);
  b = (b & 0x33) + ((b >>> 2) & 0x33);
  return (b + (b >>> 4)) & 0x0f;
}

/**
 * Why a far public key is unacceptable, or undefined when it is fine. The RFC 7425 section 4.6.2
 * checks as rtmfp-cpp applies them: 2^24 <= y <= p - 2^24, and at least 16 one bits and 16 zero
 * bits within its significant bits. Leading zero bytes are tolerated (stripped).
 */
export function dhPublicKeyProblem(groupId: number, publicKey: Uint8Array): string | undefined {
  const s = state(groupId);
  const y = stripLeadingZeros(publicKey);
  if (y.length > s.group.primeBytes) return `key of ${y.length} bytes is longer than the ${s.group.primeBytes}-byte prime`;
  const v = toBig(y);
  if (v < s.minKey || v > s.maxKey) return 'key is outside 2^24 .. p - 2^24';
  let ones = 0;
  for (let i = 0; i < y.length; i++) ones += popcount8(y[i]!);
  const bits = (y.length - 1) * 8 + (32 - Math.clz32(y[0]!));
  const zeros = bits - ones;
  if (ones < 16 || zeros < 16) return `key has ${ones} one bits and ${zeros} zero bits (16 of each required)`;
  return undefined;
}

export function isValidDhPublicKey(groupId: number, publicKey: Uint8Array): boolean {
  return isSupportedDhGroup(groupId) && dhPublicKeyProblem(groupId, publicKey) === undefined;
}

/** Throws CryptoError(BadPublicKey) when `publicKey` fails the checks of dhPublicKeyProblem. */
export function validateDhPublicKey(groupId: number, publicKey: Uint8Array): void {
  const problem = dhPublicKeyProblem(groupId, publicKey);
  if (problem !== undefined) throw new CryptoError(CryptoErrorCode.BadPublicKey, `group ${groupId} public key rejected: ${problem}`);
}

/** A Diffie-Hellman key pair. The private exponent stays inside. */
export class DhKeyPair {
  readonly group: DhGroupId;
  /** Minimal-length big-endian public key. */
  readonly publicKey: Uint8Array;
  readonly #privateKey: Uint8Array;

  /** Use generateDhKeyPair / dhKeyPairFromPrivateKey. */
  private constructor(group: DhGroupId, privateKey: Uint8Array, publicKey: Uint8Array) {
    this.group = group;
    this.#privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /** @internal */
  static create(groupId: number, privateKey: Uint8Array): DhKeyPair {
    const s = state(groupId);
    const x = stripLeadingZeros(privateKey);
    if (x.length === 0 || x.length > s.group.primeBytes || toBig(x) >= s.primeBig - 1n) {
      throw new CryptoError(CryptoErrorCode.BadKey, `private key is not in 1 .. p-2 for group ${groupId}`);
    }
    const e = engine(s);
    let y: Uint8Array;
    try {
      e.setPrivateKey(Buffer.from(x));
      e.generateKeys(); // computes g^x mod p from the private key just set
      y = new Uint8Array(stripLeadingZeros(e.getPublicKey()));
    } catch (cause) {
      throw new CryptoError(CryptoErrorCode.Internal, 'node:crypto refused the Diffie-Hellman private key', { cause });
    }
    return new DhKeyPair(s.group.id, new Uint8Array(x), y);
  }

  /**
   * @internal A pair whose public key was computed elsewhere by this module's own code (a pool
   * worker running `create`), so the exponentiation is not repeated. Checks the shapes only.
   */
  static fromParts(groupId: number, privateKey: Uint8Array, publicKey: Uint8Array): DhKeyPair {
    const s = state(groupId);
    const x = stripLeadingZeros(privateKey);
    if (x.length === 0 || x.length > s.group.primeBytes || dhPublicKeyProblem(groupId, publicKey) !== undefined) {
      throw new CryptoError(CryptoErrorCode.BadKey, `not a group ${groupId} key pair`);
    }
    return new DhKeyPair(s.group.id, new Uint8Array(x), new Uint8Array(stripLeadingZeros(publicKey)));
  }

  /** The private exponent (big-endian), for persisting a static key. */
  exportPrivateKey(): Uint8Array {
    return this.#privateKey.slice();
  }

  /**
   * The shared secret with a far public key of the same group, as a minimal big-endian integer.
   * The far key is validated first (CryptoError BadPublicKey).
   */
  computeSecret(farPublicKey: Uint8Array): Uint8Array {
    validateDhPublicKey(this.group, farPublicKey);
    const e = engine(state(this.group));
    let secret: Buffer;
    try {
      e.setPrivateKey(Buffer.from(this.#privateKey));
      secret = e.computeSecret(Buffer.from(stripLeadingZeros(farPublicKey)));
    } catch (cause) {
      throw new CryptoError(CryptoErrorCode.Internal, 'node:crypto refused the Diffie-Hellman agreement', { cause });
    }
    // Node pads the secret to the prime's length; the Flash profile uses the minimal form.
    return new Uint8Array(stripLeadingZeros(secret));
  }
}

/**
 * A fresh key pair with rtmfp-cpp's private exponent size for the group. Retries in the
 * (astronomically unlikely) case our own public key would fail the far end's validation.
 */
export function generateDhKeyPair(groupId: number): DhKeyPair {
  const s = state(groupId);
  for (;;) {
    const x = randomBytes(s.group.privateKeyBits / 8);
    x[0]! |= 0x80; // keep the exponent full-size
    const pair = DhKeyPair.create(groupId, x);
    if (dhPublicKeyProblem(groupId, pair.publicKey) === undefined) return pair;
  }
}

/** Rebuilds a key pair from a stored private exponent (static keys, tests). */
export function dhKeyPairFromPrivateKey(groupId: number, privateKey: Uint8Array): DhKeyPair {
  return DhKeyPair.create(groupId, privateKey);
}

/** The shared secret of `pair` with `farPublicKey`, minimal big-endian (wire-reference D.4). */
export function computeDhSecret(pair: DhKeyPair, farPublicKey: Uint8Array): Uint8Array {
  return pair.computeSecret(farPublicKey);
}
