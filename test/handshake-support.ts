// In-memory harness for the handshake tests: nodes with an address and a Handshake, a FIFO
// "network" that carries every startup chunk through the real wire codec (encode, then decode a
// copy) and a session directory fed by `established` actions.
import { createHash } from 'node:crypto';
import { AddressOrigin, type SocketAddress } from '../src/wire/address.js';
import { decodeChunk, encodeChunkToBytes, type AnyChunk } from '../src/wire/chunk.js';
import { chunkBodyLength } from '../src/wire/chunk.js';
import type { ForwardedIHelloChunk } from '../src/wire/chunks/hello.js';
import { peerIdsEqual } from '../src/crypto/peer-id.js';
import {
  Handshake,
  startupDatagramLength,
  addressKey,
  type EstablishedSession,
  type ForwarderInfo,
  type HandshakeAction,
  type HandshakeOptions,
  type KnownSession,
  type SessionDirectory,
} from '../src/session/handshake/index.js';

export function v4(a: number, b: number, c: number, d: number, port: number, origin: AddressOrigin = AddressOrigin.Unknown): SocketAddress {
  return { family: 4, ip: new Uint8Array([a, b, c, d]), port, origin };
}

/** Deterministic "randomness": SHA-256 counter stream from a seed. */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
      off += 32;
    }
    return out;
  };
}

export class Directory implements SessionDirectory {
  readonly sessions: KnownSession[] = [];
  byPeerId(peerId: Uint8Array): readonly KnownSession[] {
    return this.sessions.filter((s) => peerIdsEqual(s.farPeerId, peerId));
  }
}

export interface Node {
  name: string;
  address: SocketAddress;
  hs: Handshake;
  directory: Directory;
  established: EstablishedSession[];
  failed: HandshakeAction[];
  other: HandshakeAction[];
}

interface InFlight {
  kind: 'startup' | 'session';
  from: SocketAddress;
  to: SocketAddress;
  sessionId: Uint8Array;
  bytes: Uint8Array;
  toNode?: string;
}

/** Every datagram the network carried, for assertions. */
export interface Delivery {
  from: string;
  to: string;
  chunk: AnyChunk;
  sessionId: Uint8Array;
  delivered: boolean;
}

export class Network {
  readonly nodes = new Map<string, Node>();
  private readonly byAddress = new Map<string, Node>();
  readonly log: Delivery[] = [];
  private queue: InFlight[] = [];
  /** Return false to drop a datagram. */
  filter: (d: { from: SocketAddress; to: SocketAddress; chunk: AnyChunk }) => boolean = () => true;
  /** Rewrites the source address the receiver sees (a NAT). */
  nat: (from: SocketAddress, to: SocketAddress) => SocketAddress = (f) => f;

  add(name: string, address: SocketAddress, options: Omit<HandshakeOptions, 'directory'>): Node {
    const directory = new Directory();
    const node: Node = { name, address, hs: new Handshake({ ...options, directory }), directory, established: [], failed: [], other: [] };
    this.nodes.set(name, node);
    this.byAddress.set(addressKey(address), node);
    return node;
  }

  node(name: string): Node {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  /** Apply actions produced by `node`. */
  apply(node: Node, actions: readonly HandshakeAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'sendStartup':
          this.queue.push({ kind: 'startup', from: node.address, to: a.to, sessionId: a.sessionId, bytes: encodeChunkToBytes(a.chunk) });
          break;
        case 'sendOnSession':
          this.queue.push({ kind: 'session', from: node.address, to: node.address, sessionId: new Uint8Array(4), bytes: encodeChunkToBytes(a.chunk), toNode: a.session as string });
          break;
        case 'established': {
          node.established.push(a.session);
          const peer = this.byAddress.get(addressKey(a.session.farAddress));
          node.directory.sessions.push({ handle: peer?.name ?? '?', farPeerId: a.session.farPeerId, farCertificate: a.session.farCertificate, farAddress: a.session.farAddress });
          break;
        }
        case 'attemptFailed':
        case 'attemptDeduplicated':
          node.failed.push(a);
          break;
        default:
          node.other.push(a);
      }
    }
  }

  /** Delivers queued datagrams (and whatever they cause) until the queue is empty. */
  run(now: number, limit = 1000): void {
    for (let i = 0; i < limit && this.queue.length > 0; i++) {
      const d = this.queue.shift()!;
      const chunk = decodeChunk(d.bytes[0]!, d.bytes.subarray(3));
      if (d.kind === 'session') {
        const target = this.node(d.toNode!);
        this.log.push({ from: this.nameOf(d.from), to: target.name, chunk, sessionId: d.sessionId, delivered: true });
        this.apply(target, target.hs.receiveForwardedIHello(chunk as ForwardedIHelloChunk, this.via(target, d.from), now));
        continue;
      }
      const target = this.byAddress.get(addressKey(d.to));
      const pass = target !== undefined && this.filter({ from: d.from, to: d.to, chunk });
      this.log.push({ from: this.nameOf(d.from), to: target?.name ?? addressKey(d.to), chunk, sessionId: d.sessionId, delivered: pass });
      if (!pass) continue;
      const seenFrom = this.nat(d.from, d.to);
      const len = startupDatagramLength(chunkBodyLength(chunk));
      this.apply(target!, target!.hs.receive(chunk, { from: seenFrom, datagramLength: len, sessionId: d.sessionId }, now));
    }
  }

  /** Fires every node's timeouts due at `now`, then delivers. */
  tick(now: number): void {
    for (const n of this.nodes.values()) if (n.hs.nextTimeout() <= now) this.apply(n, n.hs.onTimeout(now));
    this.run(now);
  }

  /** The target's view of the session a Forwarded IHello came on: its own session with `forwarder`. */
  via(target: Node, forwarder: SocketAddress): ForwarderInfo {
    const e = target.established.find((x) => addressKey(x.farAddress) === addressKey(forwarder));
    return { opened: e?.role === 'initiator', farPeerId: e?.farPeerId ?? new Uint8Array(0) };
  }

  nameOf(a: SocketAddress): string {
    return this.byAddress.get(addressKey(a))?.name ?? addressKey(a);
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
