// Walks a raw capture scenario (../shared/vectors/raw/sN, see vectors/README.md "Raw formats")
// end to end with the project's own codecs, the way the README says the captures were decoded:
//
//   1. startup datagrams open with the default key (wire-reference A.3), MOD 3 (A.4);
//   2. each RIKeying (sent with SSID = the initiator's session ID, A.8) is paired with its
//      IIKeying; the session keys are re-derived from the SKIC/SKRC on the wire and every DH
//      secret candidate of the key log (D.4), and a candidate counts only when the derived AES
//      keys are keys the programs really loaded;
//   3. every other datagram is opened with the session chosen by the receiver's session ID
//      (A.2) and the direction, with the HMAC / SSEQ settings the SKIC/SKRC negotiate (D.3);
//   4. every chunk is decoded, user data is reassembled per flow (C.1) and TC flow messages
//      are decoded with the Flash/AMF codecs (E.1, E.2).
//
// Test support only: it records what it found (and every failure) and leaves asserting to the test.
import {
  deriveSessionKeys,
  decodeKeyComponents,
  keysForRole,
  negotiateIntegrity,
  openDatagram,
  readSessionId,
  sessionEnvelopes,
  startupEnvelope,
  type EnvelopeParams,
  type IntegrityAgreement,
  type OpenedDatagram,
  type SessionKeys,
} from '../../src/crypto/index.js';
import {
  ChunkType,
  chunkAllowedInMode,
  decodePacket,
  FragmentControl,
  isKnownChunkType,
  PacketMode,
  resolveUserData,
  STARTUP_CHUNK_TYPES,
  type AnyChunk,
  type DecodedPacket,
  type IIKeyingChunk,
  type RIKeyingChunk,
} from '../../src/wire/index.js';
import { decodeTcMetadata, FlashMessageDecoder, isTcMetadata, type FlashMessage, type TcMetadata } from '../../src/wire/flash/index.js';
import type { RawCapture, RawDatagram, RawScenario } from './vectors.js';

/** librtmfp's private chunk sent before Session Close Ack (wire-reference B.4). */
export const LIBRTMFP_CLOSE_REASON_CHUNK = 0x4d;

export type Direction = 'i2r' | 'r2i';

/** What a walked datagram turned out to be. */
export type DatagramKind = 'startup' | 'session' | 'unopened' | 'short';

export interface StartupRecord {
  capture: string;
  n: number;
  src: string;
  dst: string;
  sessionId: string;
  packet: DecodedPacket;
}

export interface Handshake {
  /** Index in ScenarioWalk.handshakes. */
  id: number;
  capture: string;
  /** Capture numbers of the (first) IIKeying and RIKeying. */
  iiKeyingN: number;
  riKeyingN: number;
  initiator: string;
  responder: string;
  initiatorSessionId: string;
  responderSessionId: string;
  iiKeying: IIKeyingChunk;
  riKeying: RIKeyingChunk;
  /** Set when some key-log secret derives AES keys the programs loaded. */
  keys?: SessionKeys;
  secretLength?: number;
  /** Negotiation (D.3) from the initiator's side: near = SKIC offers, far = SKRC offers. */
  agreement?: IntegrityAgreement;
  envelopes?: Record<Direction, EnvelopeParams>;
  /** Why keys are missing, when they are. */
  failure?: string;
}

export interface SessionRecord {
  capture: string;
  n: number;
  handshake: number;
  direction: Direction;
  sessionSequenceNumber: number;
  /** Whether the address pair matched the handshake's (false: chosen by session ID alone). */
  addressMatched: boolean;
  packet: DecodedPacket;
}

export interface FlowFragment {
  fragmentControl: number;
  abandon: boolean;
  final: boolean;
  data: Uint8Array;
}

export interface Flow {
  key: string;
  handshake: number;
  direction: Direction;
  flowId: number;
  metadata?: Uint8Array;
  returnFlowAssociation?: number;
  fragments: Map<number, FlowFragment>;
  duplicates: number;
  /** Retransmissions whose bytes differ from the first copy (should never happen). */
  conflicts: number[];
}

export type FlowKind = 'tc' | 'netgroup' | 'other' | 'none';

export interface FlowMessage {
  flow: Flow;
  /** Sequence number of its first fragment. */
  sequenceNumber: number;
  bytes: Uint8Array;
}

export interface TcMessage extends FlowMessage {
  tc: TcMetadata;
  message: FlashMessage;
}

export interface Failure {
  where: string;
  error: string;
}

export interface ScenarioWalk {
  scenario: string;
  totals: { datagrams: number; short: number; startup: number; session: number; chunks: number };
  perCapture: Map<string, { datagrams: number; startup: number; session: number; chunks: number }>;
  startup: StartupRecord[];
  handshakes: Handshake[];
  sessions: SessionRecord[];
  /** Datagrams of 4+ bytes that nothing opened: `capture#n`. */
  unopened: { capture: string; n: number; sessionId: string; dir: string; len: number }[];
  /** Chunk types seen, by name, with counts. */
  chunkTypes: Map<number, number>;
  /** Known chunks found in a packet whose mode may not carry them (A.4): should stay empty. */
  modeViolations: string[];
  /** Unknown chunk types other than 0x4d: should stay empty. */
  unknownChunks: string[];
  /** Chunks or packets whose decode threw: should stay empty. */
  decodeFailures: Failure[];
  flows: Flow[];
  flowKinds: Map<string, FlowKind>;
  tcMessages: TcMessage[];
  tcFailures: Failure[];
  netGroupMessages: FlowMessage[];
  /** Messages on flows whose metadata was never seen or is neither TC nor NetGroup. */
  otherMessages: FlowMessage[];
  /** Fragments that did not form a complete message (lost pieces, abandoned, capture cut). */
  incompleteFragments: number;
  /** Duplicate session sequence numbers per session direction (A.3 receivers reject those). */
  duplicateSseq: string[];
  /** s9-style inline plaintexts that differ from what the codec opened, and how many were compared. */
  plaintextMismatches: string[];
  plaintextChecked: number;
  /** IIKeyings (distinct SKIC) that no RIKeying answered: `capture#n`. */
  unansweredIIKeyings: string[];
}

interface KeyMaterial {
  secrets: Uint8Array[];
  aesKeys: Set<string>;
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** Endpoints of a datagram; the mini-initiator logs (s9) only say `out` / `in`. */
function endpoints(d: RawDatagram): { src: string; dst: string } {
  if (d.src !== undefined && d.dst !== undefined) return { src: d.src, dst: d.dst };
  return d.dir === 'out' ? { src: 'mini', dst: 'far' } : { src: 'far', dst: 'mini' };
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}${'code' in e ? `(${String((e as { code: unknown }).code)})` : ''}: ${e.message}`;
  return String(e);
}

/** Opens a datagram as a startup packet: default key, checksum, MOD 3, only startup chunks. */
function tryStartup(bytes: Uint8Array): DecodedPacket | undefined {
  let opened: OpenedDatagram;
  try {
    opened = openDatagram(bytes, startupEnvelope());
  } catch {
    return undefined;
  }
  let packet: DecodedPacket;
  try {
    packet = decodePacket(opened.packet);
  } catch {
    return undefined;
  }
  if (packet.header.mode !== PacketMode.Startup || packet.chunks.length === 0) return undefined;
  for (const c of packet.chunks) if (c.type === 'unknown' || !STARTUP_CHUNK_TYPES.has(c.type)) return undefined;
  return packet;
}

/**
 * Key material of a scenario: DH secret candidates (HMAC keys long enough to be a secret, minus
 * the SKIC/SKRC bytes that were also used as HMAC keys) and the AES keys the programs loaded.
 * The mini-initiator logs carry their keys in a `note` record instead of a key log.
 */
function keyMaterial(scenario: RawScenario, components: Set<string>): KeyMaterial {
  const secrets = new Map<string, Uint8Array>();
  const aesKeys = new Set<string>();
  for (const k of scenario.keys) {
    if (k.kind === 'HMACKEY' && k.length >= 96 && !components.has(k.hex)) secrets.set(k.hex, fromHex(k.hex));
    if (k.kind === 'AES' || k.kind === 'AESENC' || k.kind === 'AESDEC') aesKeys.add(k.hex);
  }
  for (const cap of scenario.captures) {
    for (const d of cap.datagrams as (RawDatagram & { secretHex?: string; txKey?: string; rxKey?: string })[]) {
      if (d.dir !== 'note') continue;
      if (d.secretHex) secrets.set(d.secretHex, fromHex(d.secretHex));
      if (d.txKey) aesKeys.add(d.txKey);
      if (d.rxKey) aesKeys.add(d.rxKey);
    }
  }
  return { secrets: [...secrets.values()], aesKeys };
}

/** Re-derives one handshake's keys and the envelopes its two directions use. */
function deriveHandshakeKeys(h: Handshake, km: KeyMaterial): void {
  const matches: { keys: SessionKeys; secret: Uint8Array }[] = [];
  for (const secret of km.secrets) {
    const keys = deriveSessionKeys(secret, h.iiKeying.skic, h.riKeying.skrc);
    if (km.aesKeys.has(toHex(keys.initiatorToResponder.aesKey)) && km.aesKeys.has(toHex(keys.responderToInitiator.aesKey))) {
      matches.push({ keys, secret });
    }
  }
  if (matches.length !== 1) {
    h.failure = matches.length === 0 ? 'no key-log secret derives loaded AES keys' : `${matches.length} secrets match`;
    return;
  }
  const skic = decodeKeyComponents(h.iiKeying.skic);
  const skrc = decodeKeyComponents(h.riKeying.skrc);
  const agreement = negotiateIntegrity({ hmac: skic.hmac, sseq: skic.sseq }, { hmac: skrc.hmac, sseq: skrc.sseq });
  if (!agreement.ok) {
    h.failure = `negotiation failed: ${agreement.reason}`;
    return;
  }
  const env = sessionEnvelopes(keysForRole(matches[0]!.keys, 'initiator'), agreement);
  h.keys = matches[0]!.keys;
  h.secretLength = matches[0]!.secret.length;
  h.agreement = agreement;
  h.envelopes = { i2r: env.send, r2i: env.receive };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Metadata signatures: "TC" (E.1), "GC"/"GR" NetGroup (F.3, F.4). */
export function flowKind(metadata: Uint8Array | undefined): FlowKind {
  if (metadata === undefined) return 'none';
  if (isTcMetadata(metadata)) return 'tc';
  if (metadata.length >= 2 && metadata[0] === 0x47 && (metadata[1] === 0x43 || metadata[1] === 0x52)) return 'netgroup';
  return 'other';
}

/**
 * Complete messages of a flow (C.1): a Whole fragment, or Begin, Middle*, End on consecutive
 * sequence numbers, none abandoned. Returns the messages and the number of leftover fragments.
 */
export function reassembleFlow(flow: Flow): { messages: FlowMessage[]; leftover: number } {
  const seqs = [...flow.fragments.keys()].sort((a, b) => a - b);
  const messages: FlowMessage[] = [];
  let used = 0;
  for (let i = 0; i < seqs.length; i++) {
    const s = seqs[i]!;
    const f = flow.fragments.get(s)!;
    if (f.abandon) {
      used++;
      continue;
    }
    if (f.fragmentControl === FragmentControl.Whole) {
      messages.push({ flow, sequenceNumber: s, bytes: f.data });
      used++;
      continue;
    }
    if (f.fragmentControl !== FragmentControl.Begin) continue;
    const parts = [f.data];
    let j = i + 1;
    let done = false;
    for (; j < seqs.length && seqs[j] === s + (j - i); j++) {
      const g = flow.fragments.get(seqs[j]!)!;
      if (g.abandon || (g.fragmentControl !== FragmentControl.Middle && g.fragmentControl !== FragmentControl.End)) break;
      parts.push(g.data);
      if (g.fragmentControl === FragmentControl.End) {
        done = true;
        break;
      }
    }
    if (!done) continue;
    let total = 0;
    for (const p of parts) total += p.length;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    messages.push({ flow, sequenceNumber: s, bytes });
    used += parts.length;
    i = j;
  }
  return { messages, leftover: flow.fragments.size - used };
}

/** Walks every capture of a scenario. */
export function walkScenario(scenario: RawScenario): ScenarioWalk {
  const walk: ScenarioWalk = {
    scenario: scenario.name,
    totals: { datagrams: 0, short: 0, startup: 0, session: 0, chunks: 0 },
    perCapture: new Map(),
    startup: [],
    handshakes: [],
    sessions: [],
    unopened: [],
    chunkTypes: new Map(),
    modeViolations: [],
    unknownChunks: [],
    decodeFailures: [],
    flows: [],
    flowKinds: new Map(),
    tcMessages: [],
    tcFailures: [],
    netGroupMessages: [],
    otherMessages: [],
    incompleteFragments: 0,
    duplicateSseq: [],
    plaintextMismatches: [],
    plaintextChecked: 0,
    unansweredIIKeyings: [],
  };
  const countChunks = (packet: DecodedPacket, where: string): void => {
    for (const c of packet.chunks) {
      const t = c.type === 'unknown' ? c.chunkType : c.type;
      walk.chunkTypes.set(t, (walk.chunkTypes.get(t) ?? 0) + 1);
      if (c.type === 'unknown') {
        if (c.chunkType !== LIBRTMFP_CLOSE_REASON_CHUNK) walk.unknownChunks.push(`${where}: 0x${c.chunkType.toString(16)}`);
      } else if (isKnownChunkType(c.type) && !chunkAllowedInMode(c.type, packet.header.mode)) {
        walk.modeViolations.push(`${where}: chunk 0x${c.type.toString(16)} in mode ${packet.header.mode}`);
      }
    }
  };

  // Pass 1: startup packets, and the IIKeying / RIKeying they carry.
  const classified = new Map<string, DatagramKind>();
  const components = new Set<string>();
  const iiKeyings: { cap: RawCapture; n: number; src: string; dst: string; chunk: IIKeyingChunk }[] = [];
  const riKeyings: { cap: RawCapture; n: number; src: string; dst: string; sessionId: string; chunk: RIKeyingChunk }[] = [];
  for (const cap of scenario.captures) {
    const per = { datagrams: 0, startup: 0, session: 0, chunks: 0 };
    walk.perCapture.set(cap.file, per);
    for (const d of cap.datagrams) {
      if (d.dir === 'note') continue;
      const key = `${cap.file}#${d.n}`;
      const bytes = fromHex(d.hex);
      if (bytes.length < 4) {
        walk.totals.short++;
        classified.set(key, 'short');
        continue;
      }
      walk.totals.datagrams++;
      per.datagrams++;
      const packet = tryStartup(bytes);
      if (packet === undefined) continue;
      classified.set(key, 'startup');
      const { src, dst } = endpoints(d);
      const sessionId = toHex(readSessionId(bytes));
      walk.startup.push({ capture: cap.file, n: d.n, src, dst, sessionId, packet });
      walk.totals.startup++;
      per.startup++;
      per.chunks += packet.chunks.length;
      walk.totals.chunks += packet.chunks.length;
      countChunks(packet, key);
      if (d.plaintextHex !== undefined) {
        const opened = openDatagram(bytes, startupEnvelope());
        walk.plaintextChecked++;
        if (toHex(opened.plaintext) !== d.plaintextHex) walk.plaintextMismatches.push(key);
      }
      for (const c of packet.chunks) {
        if (c.type === ChunkType.IIKeying) {
          iiKeyings.push({ cap, n: d.n, src, dst, chunk: c });
          components.add(toHex(c.skic));
        } else if (c.type === ChunkType.RIKeying) {
          riKeyings.push({ cap, n: d.n, src, dst, sessionId, chunk: c });
          components.add(toHex(c.skrc));
        }
      }
    }
  }

  // Pass 2: pair each RIKeying with its IIKeying and derive the session keys.
  const km = keyMaterial(scenario, components);
  const byIdentity = new Map<string, Handshake>();
  for (const ri of riKeyings) {
    const ii = iiKeyings
      .filter((x) => x.cap === ri.cap && x.n < ri.n && toHex(x.chunk.initiatorSessionId) === ri.sessionId && x.src === ri.dst && x.dst === ri.src)
      .pop();
    if (ii === undefined) {
      walk.decodeFailures.push({ where: `${ri.cap.file}#${ri.n}`, error: 'RIKeying with no IIKeying' });
      continue;
    }
    const identity = [ri.cap.file, ri.sessionId, toHex(ri.chunk.responderSessionId), toHex(ii.chunk.skic), toHex(ri.chunk.skrc)].join('/');
    if (byIdentity.has(identity)) continue; // a retransmitted IIKeying / RIKeying
    const h: Handshake = {
      id: walk.handshakes.length,
      capture: ri.cap.file,
      iiKeyingN: ii.n,
      riKeyingN: ri.n,
      initiator: ii.src,
      responder: ii.dst,
      initiatorSessionId: ri.sessionId,
      responderSessionId: toHex(ri.chunk.responderSessionId),
      iiKeying: ii.chunk,
      riKeying: ri.chunk,
    };
    deriveHandshakeKeys(h, km);
    byIdentity.set(identity, h);
    walk.handshakes.push(h);
  }

  const answered = new Set(walk.handshakes.map((h) => toHex(h.iiKeying.skic)));
  for (const ii of iiKeyings) {
    const skic = toHex(ii.chunk.skic);
    if (answered.has(skic)) continue;
    answered.add(skic);
    walk.unansweredIIKeyings.push(`${ii.cap.file}#${ii.n}`);
  }

  // Pass 3: every other datagram is a session packet of one of those handshakes.
  const flows = new Map<string, Flow>();
  const sseqSeen = new Map<string, Set<number>>();
  for (const cap of scenario.captures) {
    const per = walk.perCapture.get(cap.file)!;
    const hs = walk.handshakes.filter((h) => h.capture === cap.file && h.envelopes !== undefined);
    for (const d of cap.datagrams) {
      const key = `${cap.file}#${d.n}`;
      if (d.dir === 'note' || classified.has(key)) continue;
      const bytes = fromHex(d.hex);
      const sessionId = toHex(readSessionId(bytes));
      const { src, dst } = endpoints(d);
      const candidates: { h: Handshake; direction: Direction; addressMatched: boolean }[] = [];
      for (const h of hs) {
        if (sessionId === h.responderSessionId) {
          candidates.push({ h, direction: 'i2r', addressMatched: src === h.initiator && dst === h.responder });
        }
        if (sessionId === h.initiatorSessionId) {
          candidates.push({ h, direction: 'r2i', addressMatched: src === h.responder && dst === h.initiator });
        }
      }
      // Address-matched first, then the most recent handshake before this datagram.
      candidates.sort(
        (a, b) =>
          Number(b.addressMatched) - Number(a.addressMatched) ||
          Number(b.h.riKeyingN < d.n) - Number(a.h.riKeyingN < d.n) ||
          b.h.riKeyingN - a.h.riKeyingN,
      );
      let done = false;
      for (const c of candidates) {
        let opened: OpenedDatagram;
        try {
          opened = openDatagram(bytes, c.h.envelopes![c.direction]);
        } catch {
          continue;
        }
        const wantMode = c.direction === 'i2r' ? PacketMode.Initiator : PacketMode.Responder;
        if ((opened.packet[0]! & 3) !== wantMode) continue;
        let packet: DecodedPacket;
        try {
          packet = decodePacket(opened.packet);
        } catch (e) {
          walk.decodeFailures.push({ where: key, error: describe(e) });
          done = true;
          break;
        }
        if (d.plaintextHex !== undefined) {
          walk.plaintextChecked++;
          if (toHex(opened.plaintext) !== d.plaintextHex) walk.plaintextMismatches.push(key);
        }
        const rec: SessionRecord = {
          capture: cap.file,
          n: d.n,
          handshake: c.h.id,
          direction: c.direction,
          sessionSequenceNumber: opened.sessionSequenceNumber,
          addressMatched: c.addressMatched,
          packet,
        };
        walk.sessions.push(rec);
        walk.totals.session++;
        per.session++;
        walk.totals.chunks += packet.chunks.length;
        per.chunks += packet.chunks.length;
        countChunks(packet, key);
        if (rec.sessionSequenceNumber >= 0) {
          const sk = `${c.h.id}/${c.direction}`;
          const seen = sseqSeen.get(sk) ?? new Set<number>();
          sseqSeen.set(sk, seen);
          if (seen.has(rec.sessionSequenceNumber)) walk.duplicateSseq.push(`${key} sseq ${rec.sessionSequenceNumber}`);
          seen.add(rec.sessionSequenceNumber);
        }
        collectUserData(walk, flows, rec, key);
        done = true;
        break;
      }
      if (!done) walk.unopened.push({ capture: cap.file, n: d.n, sessionId, dir: d.dir, len: bytes.length });
    }
  }

  // Pass 4: reassemble every flow and decode its messages.
  const flash = new FlashMessageDecoder();
  for (const flow of flows.values()) {
    walk.flows.push(flow);
    const kind = flowKind(flow.metadata);
    walk.flowKinds.set(flow.key, kind);
    const { messages, leftover } = reassembleFlow(flow);
    walk.incompleteFragments += leftover;
    if (kind === 'tc') {
      let tc: TcMetadata;
      try {
        tc = decodeTcMetadata(flow.metadata!);
      } catch (e) {
        walk.tcFailures.push({ where: `flow ${flow.key} metadata`, error: describe(e) });
        continue;
      }
      for (const m of messages) {
        try {
          walk.tcMessages.push({ ...m, tc, message: flash.decode(m.bytes) });
        } catch (e) {
          walk.tcFailures.push({ where: `flow ${flow.key} seq ${m.sequenceNumber} (${toHex(m.bytes.subarray(0, 48))})`, error: describe(e) });
        }
      }
    } else if (kind === 'netgroup') {
      walk.netGroupMessages.push(...messages);
    } else {
      walk.otherMessages.push(...messages);
    }
  }
  return walk;
}

function collectUserData(walk: ScenarioWalk, flows: Map<string, Flow>, rec: SessionRecord, where: string): void {
  let resolved;
  try {
    resolved = resolveUserData(rec.packet.chunks as AnyChunk[]);
  } catch (e) {
    walk.decodeFailures.push({ where, error: describe(e) });
    return;
  }
  for (const u of resolved) {
    const key = `${rec.handshake}/${rec.direction}/${u.flowId}`;
    let flow = flows.get(key);
    if (flow === undefined) {
      flow = { key, handshake: rec.handshake, direction: rec.direction, flowId: u.flowId, fragments: new Map(), duplicates: 0, conflicts: [] };
      flows.set(key, flow);
    }
    const c = u.chunk;
    if (c.options?.userMetadata !== undefined) {
      if (flow.metadata !== undefined && !bytesEqual(flow.metadata, c.options.userMetadata)) {
        walk.decodeFailures.push({ where, error: `flow ${key} metadata changed` });
      }
      flow.metadata = c.options.userMetadata.slice();
    }
    if (c.options?.returnFlowAssociation !== undefined) flow.returnFlowAssociation = c.options.returnFlowAssociation;
    const frag: FlowFragment = { fragmentControl: c.fragmentControl, abandon: c.abandon, final: c.final, data: c.data };
    const prev = flow.fragments.get(u.sequenceNumber);
    if (prev !== undefined) {
      flow.duplicates++;
      if (prev.fragmentControl !== frag.fragmentControl || !bytesEqual(prev.data, frag.data)) {
        // An abandoned copy of a fragment carries no data; anything else must repeat the bytes.
        if (!frag.abandon && !prev.abandon) flow.conflicts.push(u.sequenceNumber);
      }
      continue;
    }
    flow.fragments.set(u.sequenceNumber, frag);
  }
}
