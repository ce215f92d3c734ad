// Receive-side reassembly memory shared by the sessions of one endpoint (RFC 7016 section
// 3.6.3). A session that owned a reassembler paid for its whole configuration; sessions sharing
// one pay only for what they buffer: the reference reassembler takes buffer, pool and flow rings
// as it uses them and gives them back when its last flow closes. Per-session bounds stay: each
// session may open `flowsPerSession` flows, each flow holds at most flowBufferBytes, and a
// session's out-of-order reservation is capped by ReceiveFlows' maxBufferedBytes; the shard's
// pool bounds all of them together.
import { ReferenceReassembler, type Reassembler, type ReassemblyConfig } from '../engine/reassembly/index.js';

/** Defaults of a shard: session-sized batches and flow caps, a pool for many sessions. */
export const SHARED_REASSEMBLY_DEFAULTS = {
  maxFlows: 65536,
  poolBytes: 64 * 1024 * 1024,
  flowBufferBytes: 2 * 1024 * 1024,
  maxBatch: 64,
  batchDataBytes: 64 * 1200,
} as const;

/** What each session may use of a shared reassembler (the former per-session pool, 2 MiB, and 32 flows). */
export const SHARED_SESSION_DEFAULTS = { flowsPerSession: 32, sessionBufferBytes: 2 * 1024 * 1024 } as const;

export interface SharedReassemblyOptions {
  /** Config of each shard (defaults SHARED_REASSEMBLY_DEFAULTS). */
  reassembly?: Partial<ReassemblyConfig>;
  flowsPerSession?: number;
  /** Cap on one session's out-of-order reservation (ReceiveFlows maxBufferedBytes). */
  sessionBufferBytes?: number;
}

interface Shard {
  reassembler: ReferenceReassembler;
  sessions: number;
}

/**
 * Hands each session a reassembler to share. A shard takes as many sessions as its flow slots
 * can serve at `flowsPerSession` each, so no session is ever refused a flow because others took
 * the slots; further sessions open another shard. An empty shard is dropped.
 */
export class SharedReassembly {
  readonly flowsPerSession: number;
  readonly sessionBufferBytes: number;
  private readonly config: Partial<ReassemblyConfig>;
  private readonly sessionsPerShard: number;
  private readonly shards: Shard[] = [];

  constructor(options: SharedReassemblyOptions = {}) {
    this.config = { ...SHARED_REASSEMBLY_DEFAULTS, ...options.reassembly };
    this.flowsPerSession = options.flowsPerSession ?? SHARED_SESSION_DEFAULTS.flowsPerSession;
    this.sessionBufferBytes = options.sessionBufferBytes ?? SHARED_SESSION_DEFAULTS.sessionBufferBytes;
    const maxFlows = this.config.maxFlows ?? SHARED_REASSEMBLY_DEFAULTS.maxFlows;
    this.sessionsPerShard = Math.max(1, Math.floor(maxFlows / Math.max(1, this.flowsPerSession)));
  }

  /** Reassemblers in use. */
  get shardCount(): number {
    return this.shards.length;
  }

  /** A reassembler for one more session; give it back with `release`. */
  acquire(): Reassembler {
    let shard = this.shards.find((s) => s.sessions < this.sessionsPerShard);
    if (!shard) {
      shard = { reassembler: new ReferenceReassembler(this.config), sessions: 0 };
      this.shards.push(shard);
    }
    shard.sessions++;
    return shard.reassembler;
  }

  /** The session is done with `r` (its flows already closed). */
  release(r: Reassembler): void {
    const i = this.shards.findIndex((s) => s.reassembler === r);
    if (i < 0) return;
    const shard = this.shards[i]!;
    if (--shard.sessions === 0) this.shards.splice(i, 1);
  }

  /** Bytes the shards hold in typed arrays (buffers, rows, flow rings). */
  allocatedBytes(): number {
    let n = 0;
    for (const s of this.shards) n += s.reassembler.allocatedBytes();
    return n;
  }
}
