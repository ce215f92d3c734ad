// A synthetic A/V stream and a player-side collector, shared by the relay test on the virtual
// network (test/server-relay.test.ts) and its real-UDP soak run (soak/relay.soak.ts).
import { createHash } from 'node:crypto';
import type { NetStream } from '../../src/flash/net-stream.js';
import type { AmfValue } from '../../src/wire/amf/types.js';
import { mulberry32 } from './prng.js';

export interface Frame {
  kind: 'audio' | 'video';
  timestamp: number;
  payload: Uint8Array;
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  fill(b: Uint8Array): void {
    for (let i = 0; i < b.length; i++) b[i] = this.int(256);
  }
}

/** A synthetic A/V stream: a keyframe every 25 video frames (H.264-style first bytes), 40 ms apart. */
export function makeFrames(rng: Rng, seconds: number): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < seconds * 25; i++) {
    const t = i * 40;
    const key = i % 25 === 0;
    const v = new Uint8Array(key ? 12_000 + rng.int(4000) : 1500 + rng.int(3000));
    rng.fill(v);
    v[0] = key ? 0x17 : 0x27; // frame type | codec 7 (AVC)
    v[1] = 1; // AVC NALU (not a sequence header)
    frames.push({ kind: 'video', timestamp: t, payload: v });
    for (const at of [t, t + 20]) {
      const a = new Uint8Array(200 + rng.int(100));
      rng.fill(a);
      a[0] = 0xaf; // AAC
      a[1] = 1; // raw
      frames.push({ kind: 'audio', timestamp: at, payload: a });
    }
  }
  return frames;
}

export const digest = (kind: string, ts: number, p: Uint8Array) => createHash('sha256').update(kind).update(String(ts)).update(p).digest('hex');

export class Collector {
  readonly got: string[] = [];
  readonly metadata: AmfValue[] = [];
  lastAt = 0;
  constructor(
    ns: NetStream,
    private readonly now: () => number,
  ) {
    ns.on('audio', (t, p) => this.add('audio', t, p));
    ns.on('video', (t, p) => this.add('video', t, p));
    ns.client.onMetaData = (md: AmfValue) => void this.metadata.push(md);
  }
  private add(kind: string, t: number, p: Uint8Array): void {
    this.got.push(digest(kind, t, p));
    this.lastAt = this.now();
  }
}

/** Audio and video travel on separate flows: compare each kind's sequence on its own. */
export function byKind(list: string[], frames: Frame[], kind: string): string[] {
  const wanted = new Set(frames.filter((f) => f.kind === kind).map((f) => digest(f.kind, f.timestamp, f.payload)));
  return list.filter((d) => wanted.has(d));
}
