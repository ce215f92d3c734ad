// Property test: a random sender script through ReceiveFlows over real packet encode/decode, with
// both the reference and the WASM reassembler. Messages are fragmented at rtmfp-cpp's 1161-byte
// MSS (wire-reference A.5), sent in shuffled packets, some duplicated, some lost and retransmitted
// after a timeout; the acks ReceiveFlows writes (themselves sometimes lost) are the sender's only
// feedback. Every message must arrive byte-exact (in order on sequence flows, once each on the
// network-order flow), every flow must complete, the acks must eventually cover every sequence
// number (so a sender could finish), and no ack may cover a number whose fragment never arrived.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ReceiveFlows } from '../src/flow/receive-flows.js';
import { ChunkType } from '../src/wire/chunk-type.js';
import type { AnyChunk } from '../src/wire/chunk.js';
import type { AckRangesChunk } from '../src/wire/chunks/ack.js';
import { FragmentControl, type NextUserDataChunk, type UserDataChunk } from '../src/wire/chunks/user-data.js';
import { decodePacket, PacketBuilder } from '../src/wire/packet.js';
import { ByteWriter } from '../src/wire/writer.js';
import { HEADER, TC, TC_NETWORK } from './flow-receive-support.js';

const MSS = 1161;
const PACKET = 1192;
const RTO = 300;
const STEP = 20;
const SEND_WINDOW = 48;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Frag {
  flowId: number;
  seq: number;
  fra: FragmentControl;
  final: boolean;
  data: Uint8Array;
  acked: boolean;
  arrived: boolean;
  sentAt: number;
}

interface SenderFlow {
  id: number;
  metadata: Uint8Array;
  network: boolean;
  frags: Frag[];
  /** Message bytes by first sequence number. */
  messages: Map<number, Uint8Array>;
  ackSeen: boolean;
}

function buildFlow(rand: () => number, id: number, network: boolean, count: number): SenderFlow {
  const frags: Frag[] = [];
  const messages = new Map<number, Uint8Array>();
  let seq = 1;
  for (let m = 0; m < count; m++) {
    const u = rand();
    const size = u < 0.1 ? 0 : u < 0.6 ? Math.floor(rand() * 1500) : Math.floor(rand() * 12000);
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (Math.floor(rand() * 256) + i) & 0xff;
    messages.set(seq, bytes);
    const n = Math.max(1, Math.ceil(size / MSS));
    for (let k = 0; k < n; k++) {
      const fra = n === 1 ? FragmentControl.Whole : k === 0 ? FragmentControl.Begin : k === n - 1 ? FragmentControl.End : FragmentControl.Middle;
      frags.push({ flowId: id, seq, fra, final: false, data: bytes.subarray(k * MSS, Math.min(size, (k + 1) * MSS)), acked: false, arrived: false, sentAt: -1 });
      seq++;
    }
  }
  frags[frags.length - 1]!.final = true;
  return { id, metadata: network ? TC_NETWORK : TC, network, frags, messages, ackSeen: false };
}

function shuffle<T>(rand: () => number, a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

function run(kind: 'reference' | 'wasm', seed: number, tight: boolean): void {
  const rand = prng(seed);
  const flows = [buildFlow(rand, 2, false, 40), buildFlow(rand, 3, false, 30), buildFlow(rand, 7, true, 30)];
  const byId = new Map(flows.map((f) => [f.id, f]));
  const got = new Map<number, { first: number; bytes: Uint8Array }[]>(flows.map((f) => [f.id, []]));
  const completed = new Set<number>();
  const rf = new ReceiveFlows({
    reassemblerKind: kind,
    // Tight: buffers smaller than the sender's window, so fragments are refused (and not acked)
    // and only hole reservation keeps the flows moving.
    reassembly: tight
      ? { maxFlows: 4, maxFragmentBytes: 1200, poolBytes: 40 * 1200, flowBufferBytes: 20 * 1200, maxFragmentsPerMessage: 16, windowSequences: 256 }
      : { maxFlows: 4, maxFragmentBytes: 1200, poolBytes: 256 * 1024, flowBufferBytes: 128 * 1024, maxFragmentsPerMessage: 16, windowSequences: 256 },
    handler: {
      onMessage: (f, m, firstSeq) => got.get(f.flowId)!.push({ first: firstSeq, bytes: m.slice() }),
      onAbandoned: (f, a, z) => assert.unreachable(`flow ${f.flowId} abandoned ${a}..${z}`),
      onComplete: (f) => completed.add(f.flowId),
      onRejected: (id) => assert.unreachable(`flow ${id} rejected`),
    },
  });
  const packetBuf = new Uint8Array(PACKET + 64);
  let now = 0;
  let acksSeen = 0;

  const feedAck = (a: AckRangesChunk): void => {
    const f = byId.get(a.flowId)!;
    f.ackSeen = true;
    acksSeen++;
    for (const fr of f.frags) {
      const covered = fr.seq <= a.cumulativeAck || a.ranges.some((r) => fr.seq >= r.from && fr.seq <= r.to);
      if (covered) {
        assert.ok(fr.arrived, `flow ${f.id} seq ${fr.seq} acked but never arrived`);
        fr.acked = true;
      }
    }
  };

  for (let round = 0; round < 4000; round++) {
    if (flows.every((f) => f.frags.every((x) => x.acked)) && completed.size === flows.length) break;
    // What to send: timed-out retransmissions and new data inside the send window.
    const out: Frag[] = [];
    for (const f of flows) {
      const lowest = f.frags.find((x) => !x.acked)?.seq ?? Infinity;
      for (const fr of f.frags) {
        if (fr.acked) continue;
        if (fr.seq >= lowest + SEND_WINDOW) break;
        if (fr.sentAt < 0 || now - fr.sentAt >= RTO) {
          fr.sentAt = now;
          out.push(fr);
          if (rand() < 0.1) out.push(fr); // duplicate
        }
      }
    }
    shuffle(rand, out);
    // Packetize: consecutive numbers of one flow become Next User Data chunks.
    const packets: AnyChunk[][] = [];
    let cur: AnyChunk[] = [];
    let w = new ByteWriter(packetBuf);
    let b = new PacketBuilder(w, PACKET).begin(HEADER);
    let prev: Frag | undefined;
    const fsnOf = (fr: Frag): number => (byId.get(fr.flowId)!.frags.find((x) => !x.acked)?.seq ?? fr.seq + 1) - 1;
    for (const fr of out) {
      const f = byId.get(fr.flowId)!;
      const withOptions = !f.ackSeen;
      const fsn = Math.min(fsnOf(fr), fr.seq - 1);
      const next = prev !== undefined && prev.flowId === fr.flowId && prev.seq + 1 === fr.seq && fsnOf(prev) === fsnOf(fr) && fsn === Math.min(fsnOf(prev), prev.seq - 1);
      const common = { fragmentControl: fr.fra, abandon: false, final: fr.final, data: fr.data };
      let c: UserDataChunk | NextUserDataChunk = next
        ? { type: ChunkType.NextUserData, ...common }
        : { type: ChunkType.UserData, flowId: fr.flowId, sequenceNumber: fr.seq, fsnOffset: fr.seq - fsn, ...common };
      if (withOptions && c.type === ChunkType.UserData) c.options = { userMetadata: f.metadata };
      if (!b.append(c)) {
        packets.push(cur);
        cur = [];
        w = new ByteWriter(packetBuf);
        b = new PacketBuilder(w, PACKET).begin(HEADER);
        c = { type: ChunkType.UserData, flowId: fr.flowId, sequenceNumber: fr.seq, fsnOffset: fr.seq - fsn, ...common };
        if (withOptions) c.options = { userMetadata: f.metadata };
        assert.ok(b.append(c), 'a fragment fits an empty packet');
      }
      cur.push(c);
      prev = fr;
    }
    if (cur.length > 0) packets.push(cur);
    // The network: lose some, reorder the rest; each surviving packet goes through the codec.
    shuffle(rand, packets);
    for (const chunks of packets) {
      if (rand() < 0.15) continue;
      const wr = new ByteWriter(new Uint8Array(PACKET + 64));
      const pb = new PacketBuilder(wr, PACKET).begin(HEADER);
      for (const c of chunks) assert.ok(pb.append(c));
      const decoded = decodePacket(pb.bytes()).chunks;
      // Mark what arrives (resolving Next User Data like the receiver does).
      let last: Frag | undefined;
      for (const c of chunks) {
        const uc = c as UserDataChunk | NextUserDataChunk;
        const fl = uc.type === ChunkType.UserData ? byId.get(uc.flowId)! : byId.get(last!.flowId)!;
        const seq = uc.type === ChunkType.UserData ? uc.sequenceNumber : last!.seq + 1;
        last = fl.frags[seq - 1]!;
        last.arrived = true;
      }
      rf.onPacket(decoded, now);
    }
    // Acks when due, possibly several packets; some ack packets are lost.
    for (let guard = 0; rf.ackDue(now) && guard < 16; guard++) {
      const aw = new ByteWriter(new Uint8Array(PACKET + 64));
      const ab = new PacketBuilder(aw, PACKET).begin(HEADER);
      assert.ok(rf.writeAcks(ab, now) > 0, 'an empty packet holds at least one ack');
      if (rand() < 0.1) continue;
      for (const c of decodePacket(ab.bytes()).chunks) {
        assert.is(c.type, ChunkType.AckRanges, 'no exceptions in a clean run');
        feedAck(c as AckRangesChunk);
      }
    }
    assert.ok(rf.nextAckDeadline() >= now, 'nothing left overdue');
    now += STEP;
  }

  for (const f of flows) {
    assert.ok(f.frags.every((x) => x.acked), `${kind} seed ${seed}: flow ${f.id} not fully acked`);
    assert.ok(completed.has(f.id), `flow ${f.id} completed`);
    const list = got.get(f.id)!;
    assert.is(list.length, f.messages.size, `flow ${f.id} message count`);
    if (!f.network) assert.equal(list.map((m) => m.first), [...f.messages.keys()], 'in order');
    const seen = new Set<number>();
    for (const m of list) {
      assert.not.ok(seen.has(m.first), 'delivered once');
      seen.add(m.first);
      assert.equal(m.bytes, f.messages.get(m.first), `flow ${f.id} message at ${m.first} byte-exact`);
    }
  }
  assert.ok(acksSeen > 0);
  assert.ok(rf.stats.duplicates > 0, 'the script produced duplicates');
  if (tight) assert.ok(rf.stats.refusedCapacity > 0, 'the tight buffers refused some fragments');
  assert.is(rf.stats.openFlows, 0);
  assert.is(rf.reassembler.stats().poolBlocksUsed, 0);
}

for (const kind of ['reference', 'wasm'] as const) {
  const t = suite(`flow-receive property (${kind})`);
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const tight = seed > 3;
    t(`random sender script, seed ${seed}${tight ? ', tight buffers' : ''}`, () => run(kind, seed * 7919 + (kind === 'wasm' ? 1 : 0), tight));
  }
  t.run();
}
