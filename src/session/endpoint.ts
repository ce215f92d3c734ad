// An RTMFP endpoint (RFC 7016 section 3): one datagram transport (a UDP socket, or a port on the
// virtual network), many sessions, initiator and responder at once. Datagrams read in one turn
// arrive as one batch (DatagramTransport); the session
// packets among them are HMAC-checked, then decrypted in ONE call through the engine's packet
// cipher (the hot path), then parsed and handed to their sessions. Outgoing session packets of a
// turn are likewise sealed and encrypted as one batch before they are sent.
import { EventEmitter } from 'node:events';
import { UdpTransport } from '../transport/udp-transport.js';
import type { DatagramBatch, DatagramTransport, LocalAddress } from '../transport/datagram-transport.js';
import { SystemClock, type Clock, type TimerHandle } from '../time/clock.js';
import { Session, type SessionContext, type SessionOptions } from './session.js';
import { SharedReassembly } from './shared-reassembly.js';
import { EndpointTimeCritical } from '../flow/congestion.js';
import { Handshake, type HandshakeOptions } from './handshake/handshake.js';
import { LoadBalancer, serverAdmission, type ServerAdmission } from './handshake/introduction.js';
import { createFlashIdentity, type Identity } from './handshake/identity.js';
import type { EstablishedSession, HandshakeAction, KnownSession, SessionDirectory, StartupChunk } from './handshake/actions.js';
import { KeyTable } from '../engine/key-table.js';
import type { ReassemblyConfig } from '../engine/reassembly/types.js';
import { allocatePacketBatch, type PacketBatch, type PacketCipherSync } from '../engine/packet-batch.js';
import { selectEngine, type EngineChoices, type EngineConfig } from '../engine/engine-config.js';
import {
  datagramCiphertextLength,
  finishDatagram,
  openDatagram,
  parsePlaintext,
  plaintextPrefixLength,
  preparePlaintext,
  sealDatagram,
  startupEnvelope,
  verifyDatagramHmac,
  SESSION_ID_BYTES,
  type PlaintextInfo,
} from '../crypto/envelope.js';
import { decodePacket, PacketBuilder } from '../wire/packet.js';
import { ByteWriter } from '../wire/writer.js';
import { ChunkType, PacketMode, chunkAllowedInMode } from '../wire/chunk-type.js';
import { socketAddressFromEndpoint, type SocketAddress } from '../wire/address.js';
import { decodeEpd, encodeEpd, fingerprintEpd } from '../wire/epd.js';
import type { ForwardedIHelloChunk, IHelloChunk } from '../wire/chunks/hello.js';
import { peerIdsEqual } from '../crypto/peer-id.js';
import { RtmfpError } from '../errors.js';

export interface EndpointOptions {
  /** Our certificate and keys. Default: a fresh Flash-style identity (static group-2 key). */
  identity?: Identity;
  /**
   * The datagram transport to serve on (a VirtualNetwork port, or a UdpTransport opened by the
   * caller). Default: `listen` opens a UdpTransport from host/port/family.
   */
  transport?: DatagramTransport;
  /** Bind address. Default 0.0.0.0 (or :: with family 6). */
  host?: string;
  /** Bind port; 0 picks one. Default 0. */
  port?: number;
  family?: 4 | 6;
  clock?: Clock;
  /** Most open sessions; further handshakes are refused. Default 4096. */
  maxSessions?: number;
  /**
   * Which backend serves each hot path (cipher, reassembly, fragment window): an EngineConfig
   * from `selectEngine`, or the choices to pass it. Default: the measured winners.
   */
  engine?: EngineConfig | EngineChoices;
  /** Overrides the engine's packet cipher with a factory of one's own (tests, benchmarks). */
  createCipher?: (keys: KeyTable) => PacketCipherSync;
  /** Handshake tuning (cookies, amplification factor, rate limits, timeouts, trusted forwarders). */
  handshake?: Omit<HandshakeOptions, 'identity' | 'directory' | 'allocateSessionId' | 'loadBalancer'>;
  /** Answer IHellos naming a connected peer with Redirect + Forwarded IHello (servers, B.5). */
  introductions?: boolean;
  /**
   * Act as a load balancer (RFC 7016 3.5.1.7, wire-reference B.5 "Load balancing"): an IHello
   * that does not name a peer ID (a URI or hostname EPD: a client looking for a server) gets a
   * Redirect listing `k` of the servers and each of them a Forwarded IHello, so they answer the
   * client directly. A server registers by opening a session to this endpoint by its peer ID,
   * and counts only if its peer ID is in `servers` or `acceptServer(peerId, certificate,
   * address)` returns true (decided once, when the session opens; it unregisters when the
   * session closes). Default: no session is a server. With no server registered, such IHellos
   * get the normal handshake, and the clients served that way never become redirect targets.
   */
  loadBalance?: { k?: number } & ServerAdmission;
  session?: SessionOptions;
  /** SO_RCVBUF to request (performance baselines: at least 4 MiB). */
  recvBufferSize?: number;
  /**
   * Most datagrams decrypted (or encrypted) in one batch. The batches start small and double up
   * to this as traffic needs them. Default 256.
   */
  maxBatchDatagrams?: number;
}

/** Endpoint counters (observability). Live object. */
export interface EndpointCounters {
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Dropped: shorter than an SSID plus one AES block. */
  droppedShort: number;
  /** Dropped: SSID of no session and not a valid startup packet. */
  droppedUnknownSession: number;
  /** Dropped: bad HMAC, bad checksum, bad length (wrong key, tampered, truncated). */
  droppedIntegrity: number;
  /** Dropped: repeated or too-old session sequence number (A.3). */
  droppedReplay: number;
  /** Dropped: decodes badly, or a mode / chunk not allowed where it came. */
  droppedMalformed: number;
  /** Handshakes refused because maxSessions is reached. */
  refusedSessions: number;
  sessionsOpened: number;
  sessionsClosed: number;
}

export interface EndpointEvents {
  /** A session a far end opened to us. */
  session: [session: Session];
  /** A session closed (either way). */
  sessionClosed: [session: Session];
  /** An IHello naming someone else's peer ID that we did not introduce (B.2). */
  unmatchedIHello: [epd: Uint8Array, from: SocketAddress];
}

/** Where to connect: a URI / hostname (server) or a peer ID (peer), and the addresses to try. */
export interface ConnectTarget {
  addresses: readonly { address: string; port: number }[];
  /** `rtmfp://host/app` ancillary data (RFC 7425 4.4.2.2); servers accept any. */
  uri?: string;
  /** 32-byte peer ID: the EPD is its fingerprint (RFC 7425 4.4.2.3). */
  peerId?: Uint8Array;
  /** A raw EPD, when neither of the above fits. */
  epd?: Uint8Array;
}

const DEFAULT_MAX_BATCH = 256;
/** Datagrams a fresh batch holds; an endpoint that moves little traffic never grows it. */
const INITIAL_BATCH = 4;
const SLOT_BYTES = 1280; // a datagram: SSID + up to 1232 bytes of ciphertext + HMAC

/** What a session packet of the current turn needs between decryption and dispatch. */
interface Inbound {
  session: Session;
  from: SocketAddress;
  length: number;
}

interface Outbound {
  session: Session;
  to: SocketAddress;
  offset: number;
  bodyLength: number;
}

export class Endpoint extends EventEmitter<EndpointEvents> {
  readonly identity: Identity;
  readonly clock: Clock;
  readonly handshake: Handshake;
  readonly transport: DatagramTransport;
  readonly counters: EndpointCounters = {
    datagramsIn: 0,
    datagramsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    droppedShort: 0,
    droppedUnknownSession: 0,
    droppedIntegrity: 0,
    droppedReplay: 0,
    droppedMalformed: 0,
    refusedSessions: 0,
    sessionsOpened: 0,
    sessionsClosed: 0,
  };
  readonly keys: KeyTable;
  readonly cipher: PacketCipherSync;
  /** The backends this endpoint runs (`engine.describe()` says which and why). */
  readonly engine: EngineConfig;

  /** Session options with the engine's reassembly backend filled in. */
  private readonly sessionOptions: SessionOptions;
  private readonly maxSessions: number;
  /** A load balancer answers IHellos with Redirects even when full (they open no session here). */
  private readonly balancing: boolean;
  private readonly sessions = new Map<number, Session>();
  private readonly timeCritical = new EndpointTimeCritical();
  private readonly pendingConnects = new Map<number, { resolve: (s: Session) => void; reject: (e: Error) => void }>();
  /** Key slots given back by closed sessions; slots from nextKeySlot up were never used. */
  private readonly freeSlots: number[] = [];
  private nextKeySlot = 0;
  private readonly maxBatch: number;
  private recvBatch: PacketBatch;
  private readonly recvMeta: Inbound[] = [];
  private sendBatch: PacketBatch;
  private readonly sendMeta: Outbound[] = [];
  private readonly plaintextInfo: PlaintextInfo = { packetOffset: 0, sessionSequenceNumber: -1 };
  private startupWriter: ByteWriter | undefined;
  /** What every session gets from this endpoint (one object for all of them). */
  private readonly sessionContext: SessionContext;
  private handshakeTimer: TimerHandle | undefined;
  private handshakeTimerAt = Infinity;
  private sendFlushScheduled = false;
  /** Sessions that woke (something to send) since the last turn's flush, in wake order. */
  private readonly woken: Session[] = [];
  private wakeScheduled = false;
  /** Sessions that received packets in the batch being dispatched: flushed once at its end. */
  private readonly touched = new Set<Session>();
  /** Inside onBatch: wakes and sends wait for the end of the batch. */
  private inBatch = false;
  private closed = false;
  /** Load balancing: who may register as a server, and the sessions of those that did. */
  private readonly admitServer: ((peerId: Uint8Array, certificate: Uint8Array, address: SocketAddress) => boolean) | undefined;
  private readonly registeredServers = new Set<Session>();

  /**
   * Starts serving on `options.transport`, or on a UDP socket it opens (host, port, family,
   * recvBufferSize) when none is given.
   */
  static async listen(options: EndpointOptions = {}): Promise<Endpoint> {
    const transport =
      options.transport ??
      (await UdpTransport.open({
        ...(options.family !== undefined ? { family: options.family } : {}),
        ...(options.host !== undefined ? { host: options.host } : {}),
        port: options.port ?? 0,
        ...(options.recvBufferSize !== undefined ? { recvBufferSize: options.recvBufferSize } : {}),
      }));
    return new Endpoint(transport, options);
  }

  private constructor(transport: DatagramTransport, options: EndpointOptions) {
    super();
    this.transport = transport;
    transport.attach((batch) => this.onBatch(batch));
    this.identity = options.identity ?? createFlashIdentity();
    this.clock = options.clock ?? new SystemClock();
    this.maxSessions = options.maxSessions ?? 4096;
    this.balancing = options.loadBalance !== undefined;
    // Both grow on demand: the key table by slots set, the batches by datagrams per turn.
    this.keys = new KeyTable(this.maxSessions * 2);
    this.engine = isEngineConfig(options.engine) ? options.engine : selectEngine(options.engine);
    this.cipher = options.createCipher ? options.createCipher(this.keys) : this.engine.createCipher(this.keys);
    this.sessionOptions = { ...options.session, receive: { reassemblerKind: this.engine.reassembly, ...options.session?.receive } };
    this.maxBatch = Math.max(1, options.maxBatchDatagrams ?? DEFAULT_MAX_BATCH);
    this.recvBatch = allocatePacketBatch(Math.min(INITIAL_BATCH, this.maxBatch), SLOT_BYTES);
    this.sendBatch = allocatePacketBatch(Math.min(INITIAL_BATCH, this.maxBatch), SLOT_BYTES);
    // With the reference reassembly, sessions share the endpoint's (memory on demand); a session
    // given the WASM kind owns one (SessionContext.receiveMemory).
    this.sessionContext = {
      clock: this.clock,
      timeCritical: this.timeCritical,
      transmit: (s, packet, to) => this.transmit(s, packet, to),
      wake: (s) => this.wakeSession(s),
      forwardedIHello: (s, chunk, t) => this.onForwardedIHello(s, chunk, t),
      closed: (s) => this.onSessionClosed(s),
      receiveMemory: new SharedReassembly({
        ...(options.session?.receive?.reassembly ? { reassembly: withoutPool(options.session.receive.reassembly) } : {}),
        ...(options.session?.receive?.reassembly?.maxFlows !== undefined ? { flowsPerSession: options.session.receive.reassembly.maxFlows } : {}),
        ...(options.session?.receive?.reassembly?.poolBytes !== undefined ? { sessionBufferBytes: options.session.receive.reassembly.poolBytes } : {}),
      }),
    };
    const directory: SessionDirectory = { byPeerId: (id) => this.knownSessions(id) };
    let loadBalancer: LoadBalancer | undefined;
    if (options.loadBalance) {
      this.admitServer = serverAdmission(options.loadBalance);
      loadBalancer = new LoadBalancer(() => {
        const out: KnownSession[] = [];
        for (const s of this.registeredServers) {
          if (s.state === 'open') out.push({ handle: s, farPeerId: s.farPeerId, farCertificate: s.farCertificate, farAddress: s.farAddress });
        }
        return out;
      }, options.loadBalance.k ?? 1);
    }
    this.handshake = new Handshake({
      // Tags, cookies' nonces and secrets, session IDs and key randomness from the Clock:
      // reproducible under a seeded ManualClock (the simulator), cryptographic otherwise.
      random: (n) => this.clock.random(n),
      ...options.handshake,
      identity: this.identity,
      directory,
      introductions: options.introductions ?? false,
      ...(loadBalancer !== undefined ? { loadBalancer } : {}),
      allocateSessionId: () => this.allocateSessionId(),
    });
  }

  /** The bound address (port 0 resolved). */
  get address(): LocalAddress {
    return this.transport.local;
  }

  /** Our peer ID: SHA-256 of our certificate (RFC 7425 4.3.2). */
  get peerId(): Uint8Array {
    return this.identity.peerId;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  allSessions(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /**
   * Opens a session (RFC 7016 3.5.1): IHello to every address, retransmitted until an RHello with
   * our tag arrives (from any address), then keying. Rejects with RtmfpError
   * ERR_SESSION_OPEN_FAILED on timeout or negotiation failure.
   */
  connect(target: ConnectTarget, options: { signal?: AbortSignal } = {}): Promise<Session> {
    if (this.closed) return Promise.reject(new RtmfpError('ERR_ENDPOINT_CLOSED', 'endpoint is closed'));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const epd =
      target.epd ??
      (target.peerId
        ? fingerprintEpd(target.peerId)
        : target.uri !== undefined
          ? encodeEpd({ ancillaryData: target.uri })
          : undefined);
    if (!epd) return Promise.reject(new RtmfpError('ERR_SESSION_TARGET', 'connect needs a uri, a peerId or an epd'));
    const addresses = target.addresses.map((a) => socketAddressFromEndpoint({ address: a.address, port: a.port }));
    const now = this.clock.now();
    return new Promise<Session>((resolve, reject) => {
      const { attemptId, actions } = this.handshake.open(epd, addresses, now);
      if (signal) {
        // Aborted: the attempt stops retransmitting IHellos and the promise rejects at once.
        const onAbort = (): void => {
          if (!this.pendingConnects.delete(attemptId)) return;
          this.handshake.cancel(attemptId);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const settle = <T>(f: (v: T) => void) => (v: T): void => {
          signal.removeEventListener('abort', onAbort);
          f(v);
        };
        this.pendingConnects.set(attemptId, { resolve: settle(resolve), reject: settle(reject) });
      } else {
        this.pendingConnects.set(attemptId, { resolve, reject });
      }
      this.perform(actions, now);
      this.rescheduleHandshake(now);
      this.flushSends();
    });
  }

  /** Closes every session abruptly and the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.sessions.values()]) s.abort('endpoint');
    this.flushSends();
    this.handshakeTimer?.cancel();
    for (const p of this.pendingConnects.values()) p.reject(new RtmfpError('ERR_ENDPOINT_CLOSED', 'endpoint closed'));
    this.pendingConnects.clear();
    await this.transport.close();
  }

  // ---- receive path ----

  private onBatch(batch: DatagramBatch): void {
    const now = this.clock.now();
    // Sessions answer the whole batch at its end, not packet by packet: acks for several packets
    // of a turn go in one (RFC 7016 3.6.3.4.5 lets a receiver delay acks; rtmfp-cpp likewise
    // acks once per read loop), and every packet the turn causes is encrypted in one batch.
    this.inBatch = true;
    this.sendFlushScheduled = true;
    try {
      this.receiveBatch(batch, now);
      this.inBatch = false;
      for (const s of this.touched) s.flush(now);
      this.flushWokenSessions(now);
      this.rescheduleHandshake(now);
    } finally {
      this.inBatch = false;
      this.touched.clear();
      this.flushSends();
    }
  }

  private receiveBatch(batch: DatagramBatch, now: number): void {
    let rb = this.recvBatch;
    rb.count = 0;
    this.recvMeta.length = 0;
    let arena = 0;
    for (let i = 0; i < batch.datagrams.length; i++) {
      const d = batch.datagrams[i]!;
      const src = batch.sources[i]!;
      this.counters.datagramsIn++;
      this.counters.bytesIn += d.length;
      if (d.length < SESSION_ID_BYTES + 16) {
        this.counters.droppedShort++;
        continue;
      }
      const session = this.sessions.get(this.ssidValue(d));
      if (!session) {
        this.onStartupDatagram(d, src, now);
        continue;
      }
      const env = session.established.envelopes.receive;
      let body: number;
      try {
        body = datagramCiphertextLength(d.length, env.hmacLength);
        verifyDatagramHmac(d, env); // before decrypting (A.3)
      } catch {
        this.counters.droppedIntegrity++;
        continue;
      }
      if (rb.count === this.maxBatch) {
        this.decryptAndDispatch(now);
        arena = 0;
      }
      if (rb.count === rb.offsets.length || arena + body > rb.data.length) rb = this.recvBatch = grownBatch(rb, this.maxBatch, arena + body);
      rb.data.set(d.subarray(SESSION_ID_BYTES, SESSION_ID_BYTES + body), arena);
      rb.offsets[rb.count] = arena;
      rb.lengths[rb.count] = body;
      rb.keySlots[rb.count] = session.receiveKeySlot;
      rb.count++;
      arena += body;
      this.recvMeta.push({ session, from: src, length: d.length });
    }
    if (rb.count > 0) this.decryptAndDispatch(now);
  }

  private decryptAndDispatch(now: number): void {
    const rb = this.recvBatch;
    this.cipher.decryptSync(rb);
    for (let i = 0; i < rb.count; i++) {
      const m = this.recvMeta[i]!;
      const s = m.session;
      if (s.state === 'closed') continue;
      const plain = rb.data.subarray(rb.offsets[i]!, rb.offsets[i]! + rb.lengths[i]!);
      const env = s.established.envelopes.receive;
      let info: PlaintextInfo;
      try {
        info = parsePlaintext(plain, env, this.plaintextInfo);
      } catch {
        this.counters.droppedIntegrity++;
        continue;
      }
      if (info.sessionSequenceNumber >= 0 && !s.acceptSessionSequenceNumber(info.sessionSequenceNumber)) {
        this.counters.droppedReplay++;
        continue;
      }
      let packet;
      try {
        packet = decodePacket(plain.subarray(info.packetOffset));
      } catch {
        this.counters.droppedMalformed++;
        continue;
      }
      // The far end's mode is the opposite of ours; startup chunks never ride a session (A.4).
      const farMode = s.role === 'initiator' ? PacketMode.Responder : PacketMode.Initiator;
      if (packet.header.mode !== farMode) {
        this.counters.droppedMalformed++;
        continue;
      }
      const chunks = packet.chunks.filter((c) => c.type === 'unknown' || chunkAllowedInMode(c.type, farMode));
      s.receivePacket(packet.header, chunks, m.from, m.length, now, false);
      this.touched.add(s);
    }
    rb.count = 0;
    this.recvMeta.length = 0;
  }

  private onStartupDatagram(d: Uint8Array, from: SocketAddress, now: number): void {
    let opened;
    try {
      opened = openDatagram(d, startupEnvelope());
    } catch {
      this.counters.droppedUnknownSession++;
      return;
    }
    let packet;
    try {
      packet = decodePacket(opened.packet);
    } catch {
      this.counters.droppedMalformed++;
      return;
    }
    if (packet.header.mode !== PacketMode.Startup) {
      this.counters.droppedMalformed++;
      return;
    }
    let chunks = packet.chunks;
    if (this.full() && !this.balancing) {
      // Full: an IHello is not answered, so the far end gives up on its handshake instead of
      // completing it and then finding its session ignored (it would be refused at establishment).
      // IHellos naming another peer (introductions) open no session here and still go through.
      const kept = chunks.filter((c) => c.type !== ChunkType.IHello || this.namesAnotherPeer(c));
      if (kept.length !== chunks.length) {
        this.counters.refusedSessions++;
        if (kept.length === 0) return;
        chunks = kept;
      }
    }
    // One hello per datagram, its bytes credited once (Handshake.receiveDatagram).
    this.perform(this.handshake.receiveDatagram(chunks, { from, datagramLength: d.length, sessionId: opened.sessionId }, now), now);
  }

  // ---- handshake actions ----

  private perform(actions: readonly HandshakeAction[], now: number): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'sendStartup':
          this.sendStartup(a.chunk, a.to, a.sessionId, now);
          break;
        case 'sendOnSession':
          (a.session as Session).sendForwardedIHello(a.chunk);
          break;
        case 'established':
          this.onEstablished(a.session, now);
          break;
        case 'attemptFailed': {
          const p = this.pendingConnects.get(a.attemptId);
          this.pendingConnects.delete(a.attemptId);
          p?.reject(new RtmfpError('ERR_SESSION_OPEN_FAILED', `session could not be opened: ${a.reason}`));
          break;
        }
        case 'attemptDeduplicated': {
          const p = this.pendingConnects.get(a.attemptId);
          this.pendingConnects.delete(a.attemptId);
          p?.resolve(a.session as Session);
          break;
        }
        case 'replaceSession':
          (a.session as Session).abort('replaced');
          break;
        case 'unmatchedIHello':
          this.emit('unmatchedIHello', a.epd.fingerprint ?? new Uint8Array(0), a.from);
          break;
      }
    }
  }

  private full(): boolean {
    return this.sessions.size >= this.maxSessions || this.freeSlots.length + this.keys.capacity - this.nextKeySlot < 2;
  }

  /** An IHello naming a peer ID other than ours: an introduction request, which opens no session here (B.5). */
  private namesAnotherPeer(ihello: IHelloChunk): boolean {
    try {
      const fp = decodeEpd(ihello.epd).fingerprint;
      return fp !== undefined && !peerIdsEqual(fp, this.identity.peerId);
    } catch {
      return false;
    }
  }

  private onEstablished(e: EstablishedSession, now: number): void {
    if (this.full()) {
      this.counters.refusedSessions++;
      const p = e.attemptId !== undefined ? this.pendingConnects.get(e.attemptId) : undefined;
      if (p && e.attemptId !== undefined) {
        this.pendingConnects.delete(e.attemptId);
        p.reject(new RtmfpError('ERR_SESSION_LIMIT', 'too many sessions'));
      }
      return;
    }
    const session = new Session(this.sessionContext, e, this.sessionOptions);
    session.sendKeySlot = this.freeSlots.pop() ?? this.nextKeySlot++;
    session.receiveKeySlot = this.freeSlots.pop() ?? this.nextKeySlot++;
    this.keys.set(session.sendKeySlot, e.envelopes.send.key);
    this.keys.set(session.receiveKeySlot, e.envelopes.receive.key);
    this.sessions.set(this.ssidValue(e.nearSessionId, 0), session);
    this.counters.sessionsOpened++;
    const pending = e.attemptId !== undefined ? this.pendingConnects.get(e.attemptId) : undefined;
    if (pending && e.attemptId !== undefined) {
      this.pendingConnects.delete(e.attemptId);
      pending.resolve(session);
    }
    if (e.role === 'responder' && this.admitsServer(e)) this.registeredServers.add(session);
    if (e.role === 'responder') this.emit('session', session);
    session.flush(now);
  }

  /** Load balancing: whether the far end of a session it opened to us registers as a server. */
  private admitsServer(e: EstablishedSession): boolean {
    if (!this.admitServer) return false;
    try {
      return this.admitServer(e.farPeerId, e.farCertificate, e.farAddress);
    } catch (err) {
      // An application hook must not unwind the handshake: not a server, and the error surfaces.
      this.clock.defer(() => {
        throw err;
      });
      return false;
    }
  }

  private onForwardedIHello(s: Session, chunk: ForwardedIHelloChunk, now: number): void {
    // Trusted only from sessions we opened or configured peer IDs (handshake/forwarders.ts).
    this.perform(this.handshake.receiveForwardedIHello(chunk, { opened: s.role === 'initiator', farPeerId: s.farPeerId }, now), now);
    this.flushSends();
  }

  private onSessionClosed(s: Session): void {
    const key = this.ssidValue(s.nearSessionId, 0);
    if (this.sessions.get(key) !== s) return;
    this.registeredServers.delete(s);
    // Its last packets (a Close Ack) are still in the turn's batch: seal them before the keys go.
    this.flushSends();
    this.sessions.delete(key);
    this.keys.clear(s.sendKeySlot);
    this.keys.clear(s.receiveKeySlot);
    this.freeSlots.push(s.sendKeySlot, s.receiveKeySlot);
    this.counters.sessionsClosed++;
    this.emit('sessionClosed', s);
  }

  private knownSessions(peerId: Uint8Array): KnownSession[] {
    const out: KnownSession[] = [];
    for (const s of this.sessions.values()) {
      if (s.state !== 'open' || !peerIdsEqual(s.farPeerId, peerId)) continue;
      out.push({ handle: s, farPeerId: s.farPeerId, farCertificate: s.farCertificate, farAddress: s.farAddress, reportedAddresses: s.reportedAddresses });
    }
    return out;
  }

  private allocateSessionId(): Uint8Array {
    for (;;) {
      const id = this.clock.random(4);
      const v = this.ssidValue(id, 0);
      if (v !== 0 && !this.sessions.has(v)) return id;
    }
  }

  private rescheduleHandshake(now: number): void {
    const at = this.handshake.nextTimeout();
    if (!Number.isFinite(at) || this.closed) return;
    if (this.handshakeTimer && this.handshakeTimerAt <= at) return;
    this.handshakeTimer?.cancel();
    this.handshakeTimerAt = Math.max(at, now);
    this.handshakeTimer = this.clock.setTimer(this.handshakeTimerAt, () => {
      this.handshakeTimer = undefined;
      this.handshakeTimerAt = Infinity;
      const t = this.clock.now();
      this.perform(this.handshake.onTimeout(t), t);
      this.rescheduleHandshake(t);
      this.flushSends();
    });
  }

  // ---- send path ----

  private sendStartup(chunk: StartupChunk, to: SocketAddress, sessionId: Uint8Array, now: number): void {
    const w = (this.startupWriter ??= new ByteWriter(new Uint8Array(4400)));
    w.pos = 0;
    const b = new PacketBuilder(w, 4256);
    b.begin({ timeCritical: false, timeCriticalReverse: false, mode: PacketMode.Startup, timestamp: Math.floor(now / 4) & 0xffff });
    if (!b.append(chunk)) return;
    const datagram = sealDatagram(sessionId, b.bytes(), startupEnvelope());
    this.sendDatagram(datagram, to);
  }

  /** Session packets: queued for the turn's encryption batch. */
  private transmit(s: Session, packet: Uint8Array, to?: SocketAddress): void {
    const env = s.established.envelopes.send;
    const sseq = env.sequenceNumbers ? s.nextSendSequenceNumber++ : undefined;
    const prefix = plaintextPrefixLength(env, sseq);
    if (this.sendBatch.count === this.maxBatch) this.flushSends();
    else if (this.sendBatch.count === this.sendBatch.offsets.length) this.sendBatch = grownBatch(this.sendBatch, this.maxBatch, 0);
    const sb = this.sendBatch;
    const offset = sb.count * SLOT_BYTES;
    const bodyOffset = offset + SESSION_ID_BYTES;
    sb.data.set(packet, bodyOffset + prefix);
    const bodyLength = preparePlaintext(sb.data, bodyOffset, packet.length, env, sseq);
    sb.offsets[sb.count] = bodyOffset;
    sb.lengths[sb.count] = bodyLength;
    sb.keySlots[sb.count] = s.sendKeySlot;
    sb.count++;
    this.sendMeta.push({ session: s, to: to ?? s.farAddress, offset, bodyLength });
    if (!this.sendFlushScheduled) {
      this.sendFlushScheduled = true;
      this.clock.defer(this.flushSendsDeferred);
    }
  }

  private readonly flushSendsDeferred = (): void => this.flushSends();

  /**
   * A session has something to send: flushed on the next turn together with every other woken
   * session (one timer callback and one encryption batch per turn, not one per session), or at
   * the end of the batch being received.
   */
  private wakeSession(s: Session): void {
    this.woken.push(s);
    if (this.inBatch || this.wakeScheduled) return;
    this.wakeScheduled = true;
    this.clock.immediate(this.flushWokenDeferred);
  }

  private readonly flushWokenDeferred = (): void => {
    this.wakeScheduled = false;
    this.sendFlushScheduled = true; // one flushSends at the end, not a microtask per session
    try {
      this.flushWokenSessions(this.clock.now());
    } finally {
      this.flushSends();
    }
  };

  private flushWokenSessions(now: number): void {
    const w = this.woken;
    // A session woken while flushing (more than maxPacketsPerFlush to send) waits a turn.
    const n = w.length;
    for (let i = 0; i < n; i++) w[i]!.runWoken(now);
    w.splice(0, n);
  }

  /** Encrypts everything queued in one call, finishes each datagram (SSID, HMAC) and sends it. */
  private flushSends(): void {
    this.sendFlushScheduled = false;
    const sb = this.sendBatch;
    if (sb.count === 0) return;
    this.cipher.encryptSync(sb);
    // A transport that says when it still holds sent bytes gets views of the batch arena, and
    // the arena is replaced only when a send is still queued (rare: the socket was full).
    // Others get their own copy of each datagram.
    const t = this.transport;
    const reuse = t.holdsSentBuffers !== undefined;
    const data = sb.data;
    for (let i = 0; i < sb.count; i++) {
      const m = this.sendMeta[i]!;
      const env = m.session.established.envelopes.send;
      const total = finishDatagram(data, m.offset, m.bodyLength, m.session.farSessionId, env);
      this.sendDatagram(reuse ? data.subarray(m.offset, m.offset + total) : data.slice(m.offset, m.offset + total), m.to);
    }
    if (reuse && t.holdsSentBuffers!()) sb.data = new Uint8Array(data.length);
    sb.count = 0;
    this.sendMeta.length = 0;
  }

  private sendDatagram(datagram: Uint8Array, to: SocketAddress): void {
    this.counters.datagramsOut++;
    this.counters.bytesOut += datagram.length;
    this.transport.send(datagram, to);
  }

  /** The SSID of a datagram (XOR-descrambled, A.2) or of raw session ID bytes, as a number key. */
  private ssidValue(bytes: Uint8Array, scrambled: 0 | 1 = 1): number {
    const v = (i: number): number => ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    return scrambled ? (v(0) ^ v(4) ^ v(8)) >>> 0 : v(0);
  }
}

function isEngineConfig(e: EngineConfig | EngineChoices | undefined): e is EngineConfig {
  return e !== undefined && typeof (e as EngineConfig).createCipher === 'function';
}

/** The rejection of an aborted operation: the signal's reason wrapped as ERR_ABORTED. */
export function abortError(signal: AbortSignal): RtmfpError {
  return new RtmfpError('ERR_ABORTED', 'the operation was aborted', { cause: signal.reason });
}

/**
 * A copy of `b` (its packets and bytes) with room for twice the datagrams, at most `max`, and at
 * least `minBytes` of data.
 */
function grownBatch(b: PacketBatch, max: number, minBytes: number): PacketBatch {
  const capacity = Math.max(b.count + 1, Math.min(max, b.offsets.length * 2));
  const n = allocatePacketBatch(capacity, SLOT_BYTES);
  if (n.data.length < minBytes) n.data = new Uint8Array(minBytes);
  n.data.set(b.data.subarray(0, Math.min(b.data.length, n.data.length)));
  n.offsets.set(b.offsets.subarray(0, b.count));
  n.lengths.set(b.lengths.subarray(0, b.count));
  n.keySlots.set(b.keySlots.subarray(0, b.count));
  n.count = b.count;
  return n;
}

/** A session's reassembly config as a shard's: its poolBytes is the session cap, not the shard's. */
function withoutPool(c: Partial<ReassemblyConfig>): Partial<ReassemblyConfig> {
  const { poolBytes: _p, maxFlows: _f, ...rest } = c;
  return rest;
}
